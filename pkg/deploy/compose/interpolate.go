package compose

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// castFunc turns a string, interpolated or written, into the type the
// loader wants at a path.
type castFunc func(string) (any, error)

// castRule casts the strings at the paths that match pattern, split at
// its dots.
type castRule struct {
	pattern []string
	cast    castFunc
}

// casts are compose-go's loader casts: at these paths every string
// becomes a number or a boolean (or fails to) before the schema sees it.
var casts = sync.OnceValue(func() []castRule {
	m := map[string]castFunc{}
	for _, k := range []string{"external", "internal", "attachable", "enable_ipv4", "enable_ipv6"} {
		m["networks.*."+k] = toBool
	}
	for _, top := range []string{"volumes", "secrets", "configs"} {
		m[top+".*.external"] = toBool
	}
	add := func(prefixes []string, c castFunc, rest string) {
		for _, p := range prefixes {
			m[p+"."+rest] = c
		}
	}
	container := []string{"services.*", "jobs.*", "services.*.pre_start.*"}
	workload := []string{"services.*", "jobs.*"}
	service := []string{"services.*"}
	for _, k := range []string{"cpu_count", "cpu_period", "cpu_quota", "cpu_rt_period", "cpu_rt_runtime", "cpu_shares", "oom_score_adj", "pids_limit"} {
		add(container, toInt64, k)
	}
	add(container, toFloat, "cpu_percent")
	add(container, toFloat32, "cpus")
	for _, k := range []string{"init", "networks.*.use_service_name_alias", "oom_kill_disable", "privileged", "read_only", "volumes.[].read_only", "volumes.[].volume.nocopy"} {
		add(container, toBool, k)
	}
	add(container, toUmask, "umask")
	for _, k := range []string{"ulimits.*", "ulimits.*.hard", "ulimits.*.soft"} {
		add(container, toInt, k)
	}
	for _, k := range []string{"depends_on.*.required", "depends_on.*.restart", "healthcheck.disable", "stdin_open", "tty"} {
		add(workload, toBool, k)
	}
	add(workload, toInt, "healthcheck.retries")
	add(workload, toInt, "ports.[].target")
	for _, k := range []string{"deploy.replicas", "deploy.update_config.parallelism", "deploy.rollback_config.parallelism", "deploy.restart_policy.max_attempts", "deploy.placement.max_replicas_per_node", "scale"} {
		add(service, toInt, k)
	}
	add(service, toFloat, "deploy.update_config.max_failure_ratio")
	add(service, toFloat, "deploy.rollback_config.max_failure_ratio")
	rules := make([]castRule, 0, len(m))
	for p, c := range m {
		rules = append(rules, castRule{strings.Split(p, "."), c})
	}
	return rules
})

func toInt(s string) (any, error)   { return strconv.Atoi(s) }
func toInt64(s string) (any, error) { return strconv.ParseInt(s, 10, 64) }
func toFloat(s string) (any, error) { return strconv.ParseFloat(s, 64) }

// toUmask reads 077 and 0o77 as octal, as YAML would.
func toUmask(s string) (any, error) { return strconv.ParseUint(s, 0, 32) }

func toFloat32(s string) (any, error) {
	f, err := strconv.ParseFloat(s, 32)
	if err != nil {
		return nil, err
	}
	return float32(f), nil
}

// toBool accepts YAML 1.1's yes/no/on/off too, as the loader does.
func toBool(s string) (any, error) {
	switch strings.ToLower(s) {
	case "true", "y", "yes", "on":
		return true, nil
	case "false", "n", "no", "off":
		return false, nil
	}
	return nil, fmt.Errorf("invalid boolean: %s", s)
}

// interpolate substitutes variables in every string of v, in place, and
// applies the casts. parts is v's path, list items as [].
func interpolate(v *value, parts []string, lookup lookupFunc, at *yaml.Node, probs *[]Problem) {
	switch v.kind {
	case kMap:
		for _, k := range v.keys {
			f := v.fields[k]
			next := at
			if !inList(parts) {
				next = f.key
			}
			interpolate(f, append(parts[:len(parts):len(parts)], k), lookup, next, probs)
		}
	case kList:
		for _, it := range v.items {
			interpolate(it, append(parts[:len(parts):len(parts)], "[]"), lookup, at, probs)
		}
	case kString:
		path := strings.Join(parts, ".")
		s, err := v.str, error(nil)
		if strings.Contains(s, "$") {
			s, err = substitute(s, lookup)
		}
		if err == errInvalidTemplate {
			*probs = append(*probs, Problem{Node: at, Message: fmt.Sprintf("invalid interpolation format for %s.\nYou may need to escape any $ with another $.\n%s", path, v.str)})
			return
		}
		if err != nil {
			*probs = append(*probs, Problem{Node: at, Message: fmt.Sprintf("error while interpolating %s: %v", path, err)})
			return
		}
		v.str = s
		for _, r := range casts() {
			if matchParts(parts, r.pattern) {
				x, err := r.cast(s)
				if err != nil {
					*probs = append(*probs, Problem{Node: at, Message: fmt.Sprintf("error while interpolating %s: failed to cast to expected type: %v", path, err)})
					return
				}
				v.setScalar(x)
				break
			}
		}
	}
}

func inList(parts []string) bool {
	for _, p := range parts {
		if p == "[]" {
			return true
		}
	}
	return false
}

// matchParts is compose-go's tree.Path.Matches: * matches any one part.
func matchParts(parts, q []string) bool {
	if len(q) != len(parts) {
		return false
	}
	for i := range parts {
		if q[i] != "*" && q[i] != parts[i] {
			return false
		}
	}
	return true
}
