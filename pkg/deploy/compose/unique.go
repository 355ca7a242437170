package compose

import (
	"fmt"
	"strings"
	"sync"
)

// Before the schema sees them, the loader keeps one entry per key in some
// lists (the last entry, at the first one's place), so a repeated label
// or port is no error; and it fails on entries it cannot key. This is its
// EnforceUnicity, with the same keys.

// indexer keys a list entry; path names it for messages.
type indexer func(v *value, path string) (string, error)

var uniques = sync.OnceValue(func() map[string]indexer {
	m := map[string]indexer{}
	for _, p := range []string{
		"networks.*.labels", "networks.*.ipam.options",
		"services.*.annotations", "services.*.build.args", "services.*.build.additional_contexts",
		"services.*.build.platform", "services.*.build.tags", "services.*.build.labels",
		"services.*.cap_add", "services.*.cap_drop", "services.*.deploy.labels",
		"services.*.dns", "services.*.dns_opt", "services.*.dns_search", "services.*.environment",
		"services.*.labels", "services.*.links", "services.*.networks.*.aliases",
		"services.*.networks.*.link_local_ips", "services.*.profiles", "services.*.sysctls", "services.*.tmpfs",
	} {
		m[p] = keyValueKey
	}
	m["services.*.devices"] = deviceKey
	m["services.*.configs"] = mountKey("")
	m["services.*.secrets"] = mountKey("/run/secrets")
	m["services.*.env_file"] = envFileKey
	m["services.*.expose"] = exposeKey
	m["services.*.ports"] = portKey
	m["services.*.volumes"] = volumeKey
	return m
})

// unify applies the loader's unicity to the lists under v, in place.
func unify(v *value, parts []string, probs *[]Problem) {
	switch v.kind {
	case kMap:
		for _, k := range v.keys {
			unify(v.fields[k], append(parts[:len(parts):len(parts)], k), probs)
		}
	case kList:
		for p, key := range uniques() {
			if matchParts(parts, strings.Split(p, ".")) {
				uniqueEntries(v, key, strings.Join(parts, "."), probs)
				return
			}
		}
	}
}

func uniqueEntries(v *value, key indexer, path string, probs *[]Problem) {
	var out []*value
	at := map[string]int{}
	for i, e := range v.items {
		k, err := key(e, fmt.Sprintf("%s.[%d]", path, i))
		if err != nil {
			*probs = append(*probs, Problem{Node: e.node, Message: err.Error()})
			return
		}
		if j, ok := at[k]; ok {
			out[j] = e
			continue
		}
		at[k] = len(out)
		out = append(out, e)
	}
	v.items = out
}

// goType names v's type as the loader's error messages do.
func goType(v *value) string {
	switch v.kind {
	case kNull:
		return "<nil>"
	case kBool:
		return "bool"
	case kNumber:
		if v.isInt {
			return "int"
		}
		return "float64"
	case kString:
		return "string"
	case kMap:
		return "map[string]interface {}"
	}
	return "[]interface {}"
}

func keyValueKey(v *value, path string) (string, error) {
	if v.kind != kString {
		return "", fmt.Errorf("%s: unexpected type %s", path, goType(v))
	}
	k, _, _ := strings.Cut(v.str, "=")
	return k, nil
}

// mountTarget is the target: of a long-syntax service volume or device
// (what) at path.
func mountTarget(v *value, what, path string) (string, error) {
	t := v.get("target")
	if t == nil || t.kind != kString {
		return "", fmt.Errorf("service %s %s is missing a mount target", what, path)
	}
	return t.str, nil
}

func volumeKey(v *value, path string) (string, error) {
	switch v.kind {
	case kMap:
		return mountTarget(v, "volume", path)
	case kString:
		m, err := parseVolume(v.str)
		return m.target, err
	}
	return "", nil
}

func deviceKey(v *value, path string) (string, error) {
	switch v.kind {
	case kMap:
		return mountTarget(v, "device", path)
	case kString:
		parts := strings.Split(v.str, ":")
		if len(parts) == 1 {
			return parts[0], nil
		}
		return parts[1], nil
	}
	return "", nil
}

func exposeKey(v *value, path string) (string, error) {
	if v.kind == kString || v.kind == kNumber && v.isInt {
		return v.scalar(), nil
	}
	return "", fmt.Errorf("%s: unsupported expose value %s", path, v.scalar())
}

func mountKey(dir string) indexer {
	return func(v *value, path string) (string, error) {
		switch v.kind {
		case kString:
			return dir + "/" + v.str, nil
		case kMap:
			if t := v.get("target"); t != nil {
				return t.scalar(), nil
			}
			return dir + "/" + v.get("source").scalar(), nil
		}
		return "", fmt.Errorf("%s: unsupported expose value %s", path, v.scalar())
	}
}

func portKey(v *value, path string) (string, error) {
	switch {
	case v.kind == kNumber && v.isInt, v.kind == kString:
		return v.scalar(), nil
	case v.kind == kMap:
		t := v.get("target")
		if t == nil {
			return "", fmt.Errorf("service ports %s is missing a target port", path)
		}
		host, proto := "0.0.0.0", "tcp"
		if h := v.get("host_ip"); h != nil {
			host = h.scalar()
		}
		if p := v.get("protocol"); p != nil {
			proto = p.scalar()
		}
		return fmt.Sprintf("%s:%s:%s/%s", host, v.get("published").scalar(), t.scalar(), proto), nil
	}
	return "", nil
}

func envFileKey(v *value, path string) (string, error) {
	switch v.kind {
	case kString:
		return v.str, nil
	case kMap:
		p := v.get("path")
		if p == nil {
			return "", fmt.Errorf("environment path attribute %s is missing", path)
		}
		return p.scalar(), nil
	}
	return "", nil
}
