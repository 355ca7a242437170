package build

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// knownArch lists, per operating system, the architectures a Go program and
// an image can target, and the variants each architecture accepts. It is
// made on first use: a map literal would cost every command at start-up.
var knownArch = sync.OnceValue(func() map[string]map[string][]string {
	return map[string]map[string][]string{
		"linux": {
			"386":      nil,
			"amd64":    {"v1", "v2", "v3", "v4"},
			"arm":      {"v5", "v6", "v7"},
			"arm64":    {"v8", "v9"},
			"loong64":  nil,
			"mips":     nil,
			"mipsle":   nil,
			"mips64":   nil,
			"mips64le": nil,
			"ppc64":    nil,
			"ppc64le":  nil,
			"riscv64":  nil,
			"s390x":    nil,
		},
		"windows": {
			"amd64": nil,
			"arm64": nil,
		},
	}
})

// ParsePlatform parses os/arch[/variant], such as linux/arm/v7.
func ParsePlatform(s string) (v1.Platform, error) {
	parts := strings.Split(strings.TrimSpace(s), "/")
	if len(parts) < 2 || len(parts) > 3 || slices.Contains(parts, "") {
		return v1.Platform{}, &InputError{Err: fmt.Errorf("platform %q: want os/arch or os/arch/variant, such as linux/arm64 or linux/arm/v7", s)}
	}
	p := v1.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	arches, ok := knownArch()[p.OS]
	if !ok {
		return v1.Platform{}, &InputError{Err: fmt.Errorf("platform %q: unknown os %q, want one of %s", s, p.OS, strings.Join(sortedKeys(knownArch()), ", "))}
	}
	variants, ok := arches[p.Architecture]
	if !ok {
		return v1.Platform{}, &InputError{Err: fmt.Errorf("platform %q: unknown architecture %q for %s, want one of %s", s, p.Architecture, p.OS, strings.Join(sortedKeys(arches), ", "))}
	}
	if p.Variant != "" && !slices.Contains(variants, p.Variant) {
		if len(variants) == 0 {
			return v1.Platform{}, &InputError{Err: fmt.Errorf("platform %q: %s/%s takes no variant", s, p.OS, p.Architecture)}
		}
		return v1.Platform{}, &InputError{Err: fmt.Errorf("platform %q: unknown variant %q for %s/%s, want one of %s", s, p.Variant, p.OS, p.Architecture, strings.Join(variants, ", "))}
	}
	return p, nil
}

// ParsePlatforms parses a list of platforms, each item possibly holding
// several separated by commas, and rejects duplicates.
func ParsePlatforms(items []string) ([]v1.Platform, error) {
	var out []v1.Platform
	seen := map[string]bool{}
	for _, item := range items {
		for _, s := range strings.Split(item, ",") {
			if strings.TrimSpace(s) == "" {
				continue
			}
			p, err := ParsePlatform(s)
			if err != nil {
				return nil, err
			}
			key := PlatformString(p)
			if seen[key] {
				return nil, &InputError{Err: fmt.Errorf("platform %s is listed twice", key)}
			}
			seen[key] = true
			out = append(out, p)
		}
	}
	return out, nil
}

// PlatformString formats a platform as os/arch[/variant].
func PlatformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// matches reports whether a base image's platform serves the wanted one.
// An empty variant on either side matches any variant, except that arm
// without a variant means v7 (as Go's default GOARM and Docker's default).
func matches(have, want v1.Platform) bool {
	if have.OS != want.OS || have.Architecture != want.Architecture {
		return false
	}
	hv, wv := have.Variant, want.Variant
	if want.Architecture == "arm" {
		if hv == "" {
			hv = "v7"
		}
		if wv == "" {
			wv = "v7"
		}
	}
	return hv == "" || wv == "" || hv == wv
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
