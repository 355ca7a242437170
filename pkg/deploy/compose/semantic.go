package compose

import (
	"fmt"
	"net"
	"path"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// checker runs, on a file the schema accepts, the loader's checks that
// the schema cannot express. Messages follow compose-go's.
type checker struct {
	root  *value
	probs []Problem
}

func (c *checker) errorf(n *yaml.Node, format string, a ...any) {
	c.probs = append(c.probs, Problem{Node: n, Message: fmt.Sprintf(format, a...)})
}

// dig follows keys down from v; nil where one is missing.
func dig(v *value, keys ...string) *value {
	for _, k := range keys {
		v = v.get(k)
	}
	return v
}

// names are the keys of a mapping, or the strings of a list (as
// networks, depends_on and models may be written).
func names(v *value) []string {
	if v == nil {
		return nil
	}
	if v.kind == kList {
		var out []string
		for _, it := range v.items {
			out = append(out, it.scalar())
		}
		return out
	}
	return v.keys
}

// entry is the node naming n in v (a key or a list item), for positions.
func entry(v *value, n string) *yaml.Node {
	if v.kind == kList {
		for _, it := range v.items {
			if it.scalar() == n {
				return it.node
			}
		}
	}
	if f := v.get(n); f != nil {
		return f.at()
	}
	return v.at()
}

func (c *checker) run() {
	services := c.root.get("services")
	for _, name := range names(services) {
		c.container(name, services.get(name))
	}
	jobs := c.root.get("jobs")
	for _, name := range names(jobs) {
		c.container(name, jobs.get(name))
	}
	c.resources()
	c.consistency(services, jobs)
}

// container checks what the loader parses in a service or job: typed
// strings, short ports and volumes.
func (c *checker) container(name string, s *value) {
	if s.kind != kMap {
		return
	}
	for _, p := range [][]string{
		{"healthcheck", "interval"}, {"healthcheck", "timeout"}, {"healthcheck", "start_period"}, {"healthcheck", "start_interval"},
		{"stop_grace_period"},
		{"deploy", "update_config", "delay"}, {"deploy", "update_config", "monitor"},
		{"deploy", "rollback_config", "delay"}, {"deploy", "rollback_config", "monitor"},
		{"deploy", "restart_policy", "delay"}, {"deploy", "restart_policy", "window"},
	} {
		if v := dig(s, p...); v != nil && v.kind != kNull {
			if err := parseDuration(v.scalar()); err != nil {
				c.errorf(v.at(), "services.%s.%s: %v", name, strings.Join(p, "."), err)
			}
		}
	}
	for _, p := range [][]string{
		{"mem_limit"}, {"mem_reservation"}, {"memswap_limit"}, {"mem_swappiness"}, {"shm_size"}, {"build", "shm_size"},
		{"deploy", "resources", "limits", "memory"}, {"deploy", "resources", "reservations", "memory"},
	} {
		if v := dig(s, p...); v != nil && v.kind == kString {
			if err := parseBytes(v.str); err != nil {
				c.errorf(v.at(), "services.%s.%s: %v", name, strings.Join(p, "."), err)
			}
		}
	}
	for _, p := range [][]string{{"deploy", "resources", "limits", "cpus"}, {"deploy", "resources", "reservations", "cpus"}} {
		if v := dig(s, p...); v != nil && v.kind == kString {
			if _, err := strconv.ParseFloat(v.str, 64); err != nil {
				c.errorf(v.at(), "services.%s.%s: %v", name, strings.Join(p, "."), err)
			}
		}
	}
	for _, p := range [][]string{{"build", "no_cache"}, {"build", "pull"}, {"build", "privileged"}} {
		if v := dig(s, p...); v != nil && v.kind == kString {
			if _, err := toBool(v.str); err != nil {
				c.errorf(v.at(), "services.%s.%s: %v", name, strings.Join(p, "."), err)
			}
		}
	}
	if ports := s.get("ports"); ports != nil && ports.kind == kList {
		for _, p := range ports.items {
			switch p.kind {
			case kString, kNumber:
				if err := parsePort(p.scalar()); err != nil {
					c.errorf(p.node, "%v", err)
				}
			case kMap:
				if ip := p.get("host_ip"); ip != nil && net.ParseIP(ip.scalar()) == nil {
					c.errorf(ip.at(), "services.%s.ports.[]: invalid ip address: %s", name, ip.scalar())
				}
			}
		}
	}
	if vols := s.get("volumes"); vols != nil && vols.kind == kList {
		for _, v := range vols.items {
			if v.kind == kString {
				if _, err := parseVolume(v.str); err != nil {
					c.errorf(v.node, "%v", err)
				}
			} else if v.kind == kMap {
				if sz := dig(v, "tmpfs", "size"); sz != nil && sz.kind == kString {
					if err := parseBytes(sz.str); err != nil {
						c.errorf(sz.at(), "services.%s.volumes: %v", name, err)
					}
				}
			}
		}
	}
	for _, p := range [][]string{{"deploy", "resources", "reservations", "devices"}, {"gpus"}} {
		if ds := dig(s, p...); ds != nil && ds.kind == kList {
			for _, d := range ds.items {
				if d.get("count") != nil && d.get("device_ids") != nil {
					c.errorf(d.node, `services.%s.%s: "count" and "device_ids" attributes are exclusive`, name, strings.Join(p, "."))
				}
			}
		}
	}
	if ws := dig(s, "develop", "watch"); ws != nil && ws.kind == kList {
		for _, w := range ws.items {
			if p := w.get("path"); p != nil && p.scalar() == "" {
				c.errorf(p.at(), "services.%s.develop.watch.path: value can't be blank", name)
			}
		}
	}
}

// resources checks the top-level volumes, networks, configs and secrets.
func (c *checker) resources() {
	for _, top := range []string{"volumes", "networks", "configs", "secrets"} {
		m := c.root.get(top)
		for _, name := range names(m) {
			r := m.get(name)
			if r == nil || r.kind != kMap {
				continue
			}
			p := top + "." + name
			if ext := r.get("external"); ext != nil && ext.kind == kMap {
				if en, n := ext.get("name"), r.get("name"); en != nil && n != nil && !en.equal(n) {
					c.errorf(ext.at(), "%s: name and external.name conflict; only use name", p)
				}
			}
			if top == "volumes" {
				if ext := r.get("external"); ext != nil && ext.kind == kBool && ext.b {
					for _, k := range r.keys {
						if k != "name" && k != "external" && !strings.HasPrefix(k, "x-") {
							c.errorf(r.get(k).at(), "%s: conflicting parameters \"external\" and %q specified", p, k)
						}
					}
				}
			}
			if top == "configs" || top == "secrets" {
				keys := []string{"file", "environment"}
				if top == "configs" {
					keys = append(keys, "content")
				}
				n := 0
				for _, k := range keys {
					if r.get(k) != nil {
						n++
					}
				}
				switch {
				case n > 1:
					c.errorf(r.at(), "%s: %s attributes are mutually exclusive", p, strings.Join(keys, "|"))
				case n == 0 && r.get("driver") == nil && r.get("external") == nil:
					c.errorf(r.at(), "%s: one of %s must be set", p, strings.Join(keys, "|"))
				case top == "secrets" && n == 0 && !isTrue(r.get("external")):
					c.errorf(r.at(), "secret %q must declare either `file` or `environment`", name)
				}
			}
		}
	}
}

func isTrue(v *value) bool {
	return v != nil && (v.kind == kBool && v.b || v.kind == kMap)
}

// enabled is whether the loader, with no profile active, keeps the
// container name of group: one with profiles, its own or those of what it
// extends, is disabled.
func enabled(group *value, name string) bool {
	seen := map[string]bool{}
	for s := group.get(name); s != nil && !seen[name]; s = group.get(name) {
		seen[name] = true
		if p := s.get("profiles"); p != nil && len(p.items) > 0 {
			return slices.ContainsFunc(p.items, func(v *value) bool { return v.scalar() == "*" })
		}
		var ok bool
		if name, ok = base(s); !ok {
			break
		}
	}
	return true
}

// deps are the services s depends on, with whether each is required,
// including the ones the loader adds for links, service: namespaces and
// volumes_from.
func deps(s *value) (order []string, required map[string]bool, at map[string]*yaml.Node) {
	required, at = map[string]bool{}, map[string]*yaml.Node{}
	add := func(n string, req bool, node *yaml.Node) {
		if _, ok := required[n]; !ok {
			order = append(order, n)
			required[n], at[n] = req, node
		}
	}
	if d := s.get("depends_on"); d != nil {
		for _, n := range names(d) {
			req := true
			if r := dig(d, n, "required"); r != nil && r.kind == kBool {
				req = r.b
			}
			add(n, req, entry(d, n))
		}
	}
	if l := s.get("links"); l != nil {
		for _, it := range l.items {
			n, _, _ := strings.Cut(it.scalar(), ":")
			add(n, true, it.node)
		}
	}
	for _, ns := range []string{"network_mode", "ipc", "pid", "uts", "cgroup"} {
		if v := s.get(ns); v != nil {
			if n, ok := strings.CutPrefix(v.scalar(), "service:"); ok {
				add(n, true, v.at())
			}
		}
	}
	if vf := s.get("volumes_from"); vf != nil {
		for _, it := range vf.items {
			if !strings.HasPrefix(it.scalar(), "container:") {
				n, _, _ := strings.Cut(it.scalar(), ":")
				add(n, true, it.node)
			}
		}
	}
	return order, required, at
}

// consistency is the loader's checkConsistency, on enabled services.
func (c *checker) consistency(services, jobs *value) {
	top := func(k string) *value { return c.root.get(k) }
	has := func(k, n string) bool {
		if k == "networks" && n == "default" {
			return true // the loader makes it when it is used
		}
		return top(k).get(n) != nil
	}
	isService := func(n string) (exists, on bool) {
		s := services.get(n)
		return s != nil, s != nil && enabled(services, n)
	}
	for _, name := range names(services) {
		s := services.get(name)
		if s.kind != kMap || !enabled(services, name) {
			continue
		}
		build := s.get("build")
		if !c.extends(services, name) {
			continue
		}
		if !c.runnable(services, name) {
			c.errorf(s.at(), "service %q has neither an image nor a build context specified", name)
		}
		if build != nil && build.kind == kMap {
			if build.get("dockerfile") != nil && build.get("dockerfile_inline") != nil {
				c.errorf(build.at(), "service %q declares mutualy exclusive dockerfile and dockerfile_inline", name)
			}
			if ac := build.get("additional_contexts"); ac != nil && ac.kind == kMap {
				for _, k := range ac.keys {
					if t, ok := strings.CutPrefix(ac.get(k).scalar(), "service:"); ok {
						if ts := services.get(t); ts == nil {
							c.errorf(ac.get(k).at(), "service %q declares unknown service %q as additional contexts %s", name, t, k)
						} else if ts.get("build") == nil {
							c.errorf(ac.get(k).at(), "service %q declares non-buildable service %q as additional contexts %s", name, t, k)
						}
					}
				}
			}
			if ps, p := build.get("platforms"), s.get("platform"); ps != nil && len(ps.items) > 0 && p != nil && p.scalar() != "" {
				if !slices.ContainsFunc(ps.items, func(v *value) bool { return v.scalar() == p.scalar() }) {
					c.errorf(ps.at(), "service.build.platforms MUST include service.platform %q", p.scalar())
				}
			}
			if bs := build.get("secrets"); bs != nil {
				for _, it := range bs.items {
					if src := source(it); !has("secrets", src) {
						c.errorf(it.node, "service %q refers to undefined build secret %s", name, src)
					}
				}
			}
		}
		nets := s.get("networks")
		if nm := s.get("network_mode"); nm != nil && nm.scalar() != "" && nets != nil && len(names(nets)) > 0 {
			c.errorf(nm.at(), "service %s declares mutually exclusive `network_mode` and `networks`", name)
		}
		for _, n := range names(nets) {
			if !has("networks", n) {
				c.errorf(entry(nets, n), "service %q refers to undefined network %s", name, n)
			}
		}
		if t := dig(s, "healthcheck", "test"); t != nil && t.kind == kList && len(t.items) > 0 {
			switch t.items[0].scalar() {
			case "CMD", "CMD-SHELL", "NONE":
			default:
				c.errorf(t.items[0].node, `healthcheck.test must start either by "CMD", "CMD-SHELL" or "NONE"`)
			}
		}
		order, required, at := deps(s)
		for _, d := range order {
			exists, on := isService(d)
			if on || (exists && !required[d]) {
				continue
			}
			if jobs.get(d) != nil {
				c.errorf(at[d], "service %q cannot depend on job %q: services can only depend on other services", name, d)
				continue
			}
			c.errorf(at[d], "service %q depends on undefined service %q", name, d)
		}
		targetAt := map[string]string{}
		if tm := s.get("tmpfs"); tm != nil {
			list := tm.items
			if tm.kind == kString {
				list = []*value{tm}
			}
			for i, t := range list {
				p, _, _ := strings.Cut(t.scalar(), ":")
				loc := fmt.Sprintf("services.%s.tmpfs[%d]", name, i)
				if prev, ok := targetAt[p]; ok {
					c.errorf(t.node, "%s: target %s already mounted as %s", loc, p, prev)
				}
				targetAt[p] = loc
			}
		}
		if vols := s.get("volumes"); vols != nil {
			for i, v := range vols.items {
				m := mount{kind: dig(v, "type").scalar(), source: dig(v, "source").scalar(), target: dig(v, "target").scalar()}
				if dig(v, "source") == nil {
					m.source = ""
				}
				if v.kind == kString {
					m, _ = parseVolume(v.str)
				}
				if m.kind == "volume" && m.source != "" && !has("volumes", m.source) {
					c.errorf(v.node, "service %q refers to undefined volume %s", name, m.source)
				}
				if m.target != "" {
					m.target = path.Clean(m.target)
				}
				loc := fmt.Sprintf("services.%s.volumes[%d]", name, i)
				if prev, ok := targetAt[m.target]; ok {
					c.errorf(v.node, "%s: target %s already mounted as %s", loc, m.target, prev)
				}
				targetAt[m.target] = loc
			}
		}
		for _, k := range []string{"configs", "secrets"} {
			if l := s.get(k); l != nil {
				for _, it := range l.items {
					if src := source(it); !has(k, src) {
						c.errorf(it.node, "service %q refers to undefined %s %s", name, k[:len(k)-1], src)
					}
				}
			}
		}
		if ms := s.get("models"); ms != nil {
			for _, n := range names(ms) {
				if !has("models", n) {
					c.errorf(entry(ms, n), "service %q refers to undefined model %s", name, n)
				}
			}
		}
		c.limits(name, s)
		if ws := dig(s, "develop", "watch"); ws != nil {
			for _, w := range ws.items {
				a := w.get("action").scalar()
				if w.get("target").scalar() == "" && a != "rebuild" && a != "restart" {
					c.errorf(w.node, "services.%s.develop.watch: target is required for non-rebuild actions", name)
				}
			}
		}
	}
	for _, name := range names(jobs) {
		if services.get(name) != nil {
			c.errorf(jobs.get(name).at(), "%q is declared both as a service and a job: service and job names must be unique", name)
		}
		j := jobs.get(name)
		if j.kind != kMap || !enabled(jobs, name) {
			continue
		}
		order, required, at := deps(j)
		for _, d := range order {
			exists, on := isService(d)
			if jobs.get(d) != nil || on || (exists && !required[d]) {
				continue
			}
			c.errorf(at[d], "job %q depends on undefined service or job %q", name, d)
		}
	}
	c.cycles(services)
}

// base is the service s extends in this file, if it does; a base in
// another file is the host's to read.
func base(s *value) (string, bool) {
	e := s.get("extends")
	if e == nil || e.get("file") != nil {
		return "", false
	}
	if e.kind == kMap {
		return e.get("service").scalar(), true
	}
	return e.scalar(), true
}

// extends reports a base that is missing or a circle of them, as the
// loader's extends resolution does; false stops the service's checks.
func (c *checker) extends(services *value, name string) bool {
	seen := map[string]bool{name: true}
	for n := name; ; {
		b, ok := base(services.get(n))
		if !ok {
			return true
		}
		at := services.get(n).get("extends").at()
		switch {
		case services.get(b) == nil:
			c.errorf(at, "cannot extend service %q: service %q not found", n, b)
			return false
		case seen[b]:
			c.errorf(at, "circular reference with extends: service %q extends %q", n, b)
			return false
		}
		seen[b], n = true, b
	}
}

// runnable is whether the service, with what it extends, has an image, a
// build or a provider.
func (c *checker) runnable(services *value, name string) bool {
	for s := services.get(name); s != nil; {
		if s.get("build") != nil || s.get("image") != nil || s.get("provider") != nil {
			return true
		}
		if s.get("extends").get("file") != nil {
			return true // the host's file may give one
		}
		b, ok := base(s)
		if !ok {
			return false
		}
		s = services.get(b)
	}
	return false
}

// source is the name a service's secret, config or build secret uses:
// the short string, or source:.
func source(v *value) string {
	if v.kind == kMap {
		return v.get("source").scalar()
	}
	return v.scalar()
}

// limits are the loader's checks that a service's shorthand settings
// agree with deploy:.
func (c *checker) limits(name string, s *value) {
	scale, replicas := s.get("scale"), dig(s, "deploy", "replicas")
	if scale != nil && replicas != nil && scale.kind == kNumber && replicas.kind == kNumber && scale.num != replicas.num {
		c.errorf(scale.at(), "services.%s: can't set distinct values on 'scale' and 'deploy.replicas'", name)
	}
	if scale != nil && scale.kind == kNumber && scale.num < 0 {
		c.errorf(scale.at(), "services.%s.scale: must be greater than or equal to 0", name)
	}
	if replicas != nil && replicas.kind == kNumber && replicas.num < 0 {
		c.errorf(replicas.at(), "services.%s.deploy.replicas: must be greater than or equal to 0", name)
	}
	n := 1.0
	for _, v := range []*value{replicas, scale} { // scale wins
		if v != nil && v.kind == kNumber {
			n = v.num
		}
	}
	if cn := s.get("container_name"); cn != nil && n > 1 {
		c.errorf(cn.at(), "services.%s: can't set container_name and scale or deploy.replicas as container name must be unique", name)
	}
	limits := dig(s, "deploy", "resources", "limits")
	reservations := dig(s, "deploy", "resources", "reservations")
	if s.get("deploy") == nil {
		return
	}
	differ := func(short *value, long *value, parse func(*value) (float64, bool)) bool {
		a, ok := parse(short)
		if !ok || a == 0 {
			return false
		}
		b, _ := parse(long)
		return a != b
	}
	if limits != nil && differ(s.get("cpus"), limits.get("cpus"), cpus) {
		c.errorf(s.get("cpus").at(), "services.%s: can't set distinct values on 'cpus' and 'deploy.resources.limits.cpus'", name)
	}
	if limits != nil && differ(s.get("mem_limit"), limits.get("memory"), bytes) {
		c.errorf(s.get("mem_limit").at(), "services.%s: can't set distinct values on 'mem_limit' and 'deploy.resources.limits.memory'", name)
	}
	if reservations != nil && differ(s.get("mem_reservation"), reservations.get("memory"), bytes) {
		c.errorf(s.get("mem_reservation").at(), "services.%s: can't set distinct values on 'mem_reservation' and 'deploy.resources.reservations.memory'", name)
	}
	if limits != nil && differ(s.get("pids_limit"), limits.get("pids"), number) {
		c.errorf(s.get("pids_limit").at(), "services.%s: can't set distinct values on 'pids_limit' and 'deploy.resources.limits.pids'", name)
	}
}

func number(v *value) (float64, bool) {
	if v == nil {
		return 0, false
	}
	if v.kind == kString {
		f, err := strconv.ParseFloat(v.str, 64)
		return f, err == nil
	}
	return v.num, v.kind == kNumber
}

// cpus compares as the loader does, in float32.
func cpus(v *value) (float64, bool) {
	f, ok := number(v)
	return float64(float32(f)), ok
}

// bytes is a size in bytes; only plain numbers and the unit forms count.
func bytes(v *value) (float64, bool) {
	if v == nil {
		return 0, false
	}
	if v.kind == kNumber {
		return v.num, true
	}
	s := strings.ToLower(strings.TrimSpace(v.scalar()))
	s = strings.TrimSuffix(strings.TrimSuffix(s, "b"), "i")
	mul := 1.0
	if s != "" {
		if i := strings.IndexByte("kmgtp", s[len(s)-1]); i >= 0 {
			s = s[:len(s)-1]
			for range i + 1 {
				mul *= 1024
			}
		}
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return float64(int64(f * mul)), err == nil
}

// cycles reports a dependency cycle among the services, as the loader's
// graph check does.
func (c *checker) cycles(services *value) {
	const (
		unseen = iota
		visiting
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(n string) bool
	visit = func(n string) bool {
		state[n] = visiting
		stack = append(stack, n)
		s := services.get(n)
		order, _, at := deps(s)
		for _, d := range order {
			if services.get(d) == nil || !enabled(services, d) {
				continue
			}
			switch state[d] {
			case visiting:
				i := slices.Index(stack, d)
				c.errorf(at[d], "dependency cycle detected: %s -> %s", strings.Join(stack[i:], " -> "), d)
				return true
			case unseen:
				if visit(d) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = done
		return false
	}
	for _, n := range names(services) {
		if s := services.get(n); s.kind == kMap && enabled(services, n) && state[n] == unseen {
			if visit(n) {
				return
			}
		}
	}
}
