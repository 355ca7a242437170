package compose

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"unicode"
)

// The parsers here accept what the loader's own parsers accept for the
// values the schema leaves as strings.

// parseDuration accepts Go durations plus the d and w units, as the
// loader's str2duration does.
func parseDuration(s string) error {
	orig := s
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if s == "0" {
		return nil
	}
	bad := fmt.Errorf("time: invalid duration %q", orig)
	if s == "" {
		return bad
	}
	for s != "" {
		i := 0
		for i < len(s) && (s[i] == '.' || '0' <= s[i] && s[i] <= '9') {
			i++
		}
		if num := s[:i]; num == "" || num == "." || strings.Count(num, ".") > 1 {
			return bad
		}
		s = s[i:]
		j := 0
		for j < len(s) && s[j] != '.' && (s[j] < '0' || s[j] > '9') {
			j++
		}
		switch s[:j] {
		case "ns", "us", "µs", "μs", "ms", "s", "m", "h", "d", "w":
		case "":
			return fmt.Errorf("time: missing unit in duration %q", orig)
		default:
			return fmt.Errorf("time: unknown unit %q in duration %q", s[:j], orig)
		}
		s = s[j:]
	}
	return nil
}

// parseBytes accepts a byte count with an optional k, m, g, t or p unit
// (b, kb, kib and so on), as docker's units.RAMInBytes does.
func parseBytes(s string) error {
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return nil
	}
	sep := strings.LastIndexAny(s, "01234567890. ")
	if sep == -1 {
		return fmt.Errorf("invalid size: '%s'", s)
	}
	num, sfx := s[:sep+1], s[sep+1:]
	if s[sep] == ' ' {
		num = s[:sep]
	}
	size, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("invalid size: '%s'", s)
	}
	sfx = strings.ToLower(sfx)
	switch {
	case sfx == "" || sfx == "b":
		return nil
	case len(sfx) <= 3 && strings.ContainsRune("kmgtp", rune(sfx[0])) && (len(sfx) == 1 || sfx[1:] == "b" || sfx[1:] == "ib"):
		return nil
	}
	return fmt.Errorf("invalid suffix: '%s'", sfx)
}

// parsePort reads a short port: [[ip:]host:]container[/proto], where the
// ports may be ranges.
func parsePort(raw string) error {
	parts := strings.Split(raw, ":")
	var ip, host, container string
	switch n := len(parts); n {
	case 1:
		container = parts[0]
	case 2:
		host, container = parts[0], parts[1]
	default:
		ip, host, container = strings.Join(parts[:n-2], ":"), parts[n-2], parts[n-1]
	}
	container, proto, _ := strings.Cut(container, "/")
	if container != "" && proto == "" {
		proto = "tcp"
	}
	switch proto = strings.ToLower(proto); proto {
	case "tcp", "udp", "sctp":
	default:
		return errors.New("invalid proto: " + proto)
	}
	if ip != "" && ip[0] == '[' {
		h, _, err := net.SplitHostPort(ip + ":")
		if err != nil {
			return fmt.Errorf("invalid IP address %v: %w", ip, err)
		}
		ip = h
	}
	if ip != "" && net.ParseIP(ip) == nil {
		return errors.New("invalid IP address: " + ip)
	}
	if container == "" {
		return fmt.Errorf("no port specified: %s<empty>", raw)
	}
	cs, ce, err := portRange(container)
	if err != nil {
		return errors.New("invalid containerPort: " + container)
	}
	if host != "" {
		hs, he, err := portRange(host)
		if err != nil {
			return errors.New("invalid hostPort: " + host)
		}
		if ce-cs != he-hs && ce != cs {
			return fmt.Errorf("invalid ranges specified for container and host Ports: %s and %s", container, host)
		}
	}
	return nil
}

func portRange(s string) (uint64, uint64, error) {
	a, b, isRange := strings.Cut(s, "-")
	start, err := strconv.ParseUint(a, 10, 16)
	if err != nil || !isRange {
		return start, start, err
	}
	b, _, _ = strings.Cut(b, "-")
	end, err := strconv.ParseUint(b, 10, 16)
	if err != nil {
		return 0, 0, err
	}
	if end < start {
		return 0, 0, errors.New("invalid range specified for port: " + s)
	}
	return start, end, nil
}

// mount is what the loader makes of a short volume: src:dst[:options].
type mount struct {
	kind, source, target string
}

func parseVolume(spec string) (mount, error) {
	var m mount
	switch len(spec) {
	case 0:
		return m, errors.New("invalid empty volume spec")
	case 1, 2:
		return mount{kind: "volume", target: spec}, nil
	}
	var buf []rune
	nested := 0 // inside ${...}, where a colon does not split
	const end = rune(0)
	for i, r := range spec + string(end) {
		switch {
		case r == '$' && i+1 < len(spec) && spec[i+1] == '{':
			nested++
			buf = append(buf, r)
		case r == '}' && nested > 0:
			nested--
			buf = append(buf, r)
		case r == ':' && len(buf) == 1 && unicode.IsLetter(buf[0]): // a Windows drive
			buf = append(buf, r)
		case (r == ':' || r == end) && nested == 0:
			switch {
			case len(buf) == 0:
				return m, fmt.Errorf("invalid spec: %s: empty section between colons", spec)
			case m.source == "" && r == end:
				m.target = string(buf)
			case m.source == "":
				m.source = string(buf)
			case m.target == "":
				m.target = string(buf)
			case r == ':':
				return m, fmt.Errorf("invalid spec: %s: too many colons", spec)
			}
			buf = nil
		default:
			buf = append(buf, r)
		}
	}
	m.kind = "volume"
	if isFilePath(m.source) {
		m.kind = "bind"
	}
	return m, nil
}

func isFilePath(s string) bool {
	if s == "" {
		return false
	}
	if strings.ContainsRune(".~/", rune(s[0])) || strings.HasPrefix(s, `\\`) {
		return true
	}
	r := []rune(s)
	return len(r) > 1 && unicode.IsLetter(r[0]) && r[1] == ':'
}
