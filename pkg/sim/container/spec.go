package container

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xedgesim/simulate/internal/yamldiag"
	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// Protocols a docker node takes part with (docker.protocol).
const (
	ProtocolNone = "none" // a black-box service in wall-clock time
	ProtocolTCP  = "tcp"  // upstream's TCP line protocol on socket_port
	// ProtocolStdio is upstream's stdin/stdout protocol through docker
	// exec -i of docker.stdio_command in the running container.
	ProtocolStdio = "stdio"
)

// dockerSpec is a node's docker section, read and checked.
type dockerSpec struct {
	image string
	// buildContext and dockerfile build the image at the start of the run
	// (upstream's way); image is then not needed.
	buildContext string
	dockerfile   string
	command      []string
	env          []string // K=V, sorted by key for a mapping, as written for a list
	ports        []portSpec
	binds        []string // host:container[:mode]
	network      string
	memory       int64 // bytes
	nanoCPUs     int64
	protocol     string
	socketPort   int
	// stdioCommand is what docker exec -i runs for protocol stdio
	// (upstream: python -u -m service).
	stdioCommand []string
	health       healthSpec
	// restart is the Docker restart policy (no, on-failure[:N], always,
	// unless-stopped); maxRetries goes with on-failure.
	restart    string
	maxRetries int
	// mqttPort is the container port a broker node serves MQTT on; the
	// built-in sensors and gateways connect to it. 0: not a broker.
	mqttPort int
	// platform is docker.platform (os/arch[/variant]): the image that runs
	// is that platform's, emulated where the host has binfmt; "" is the
	// host's.
	platform string
}

// portSpec publishes a container port on the host; host 0 picks a free one.
type portSpec struct {
	container int
	host      int
	hostIP    string
}

// healthSpec is docker.health: what must answer before the clock starts.
type healthSpec struct {
	tcp      int      // container port that must accept a connection
	httpPort int      // container port that must answer GET httpPath with 2xx/3xx
	httpPath string   // default /
	cmd      []string // run in the container; exit 0 is healthy
	// mqtt is a container port where an MQTT broker must accept a
	// connection; with mqttTopic, a message published there must come back
	// to a subscriber.
	mqtt      int
	mqttTopic string
	timeout   time.Duration
}

// dockerKeys are the keys of docker: we read.
var dockerKeys = []string{"image", "command", "environment", "ports", "volumes", "network",
	"mem_limit", "memory", "cpus", "protocol", "socket_port", "health", "restart", "mqtt_port",
	"stdio_command", "build_context", "dockerfile", "platform"}

// parseDocker reads n.Docker, collecting every mistake.
func parseDocker(n scenario.Node) (dockerSpec, error) {
	d := &dockerReader{n: n}
	s := dockerSpec{protocol: ProtocolNone, socketPort: 5000}
	known := map[string]bool{}
	for _, k := range dockerKeys {
		known[k] = true
	}
	for _, k := range sortedKeys(n.Docker) {
		if !known[k] {
			d.fail(k, "unknown key; use one of %s", strings.Join(dockerKeys, ", "))
		}
	}
	for key, dst := range map[string]*string{"build_context": &s.buildContext, "dockerfile": &s.dockerfile} {
		if v, ok := d.get(key); ok {
			if *dst, _ = v.(string); *dst == "" {
				d.fail(key, "must be a path")
			}
		}
	}
	if s.dockerfile != "" && s.buildContext == "" {
		d.fail("dockerfile", "goes with build_context: the directory the Dockerfile builds")
	}
	img, _ := d.get("image")
	if s.image, _ = img.(string); s.image == "" && s.buildContext == "" {
		d.fail("image", "a docker node needs an image (a name, a name@sha256:... digest, oci:<dir> or tar:<file>) or a build_context")
	}
	if v, ok := d.get("command"); ok {
		s.command = d.strList("command", v, true)
	}
	if v, ok := d.get("environment"); ok {
		switch x := v.(type) {
		case map[string]any:
			for _, k := range sortedKeys(x) {
				val := x[k]
				if val == nil {
					val = ""
				}
				s.env = append(s.env, k+"="+fmt.Sprint(val))
			}
		case []any:
			for _, e := range d.strList("environment", x, false) {
				if !strings.Contains(e, "=") {
					d.fail("environment", "%q: write NAME=value", e)
				}
				s.env = append(s.env, e)
			}
		default:
			d.fail("environment", "must be a mapping of NAME: value or a list of NAME=value")
		}
	}
	if v, ok := d.get("ports"); ok {
		s.ports = d.ports(v)
	}
	if v, ok := d.get("volumes"); ok {
		s.binds = d.volumes(v)
	}
	if v, ok := d.get("network"); ok {
		if str, isStr := v.(string); isStr && str != "" {
			s.network = str
		} else {
			d.fail("network", "must be a network name")
		}
	}
	for _, k := range []string{"mem_limit", "memory"} {
		if v, ok := d.get(k); ok {
			b, err := parseBytes(v)
			if err != nil {
				d.fail(k, "%v; write e.g. 256m or 1g", err)
			}
			s.memory = b
		}
	}
	if v, ok := d.get("cpus"); ok {
		f, isNum := yamldiag.Number(v)
		if !isNum || f <= 0 || math.IsInf(f, 0) {
			d.fail("cpus", "must be a positive number, e.g. 0.5")
		}
		s.nanoCPUs = int64(f * 1e9)
	}
	if v, ok := d.get("protocol"); ok {
		switch v {
		case ProtocolNone, ProtocolTCP, ProtocolStdio:
			s.protocol = v.(string)
		default:
			d.fail("protocol", "must be tcp, stdio or none, got %v", v)
		}
	}
	if v, ok := d.get("socket_port"); ok {
		s.socketPort = d.port("socket_port", v)
	}
	if s.protocol == ProtocolStdio {
		s.stdioCommand = []string{"python", "-u", "-m", "service"}
	}
	if v, ok := d.get("stdio_command"); ok {
		s.stdioCommand = d.strList("stdio_command", v, true)
		if s.protocol != ProtocolStdio {
			d.fail("stdio_command", "goes with protocol: stdio")
		}
	}
	s.health.timeout = 30 * time.Second
	if v, ok := d.get("health"); ok {
		s.health = d.health(v)
	}
	if v, ok := d.get("restart"); ok {
		s.restart, s.maxRetries = d.restartPolicy(v)
	}
	if v, ok := d.get("platform"); ok {
		s.platform = d.platform(v)
	}
	switch v, ok := d.get("mqtt_port"); {
	case ok:
		s.mqttPort = d.port("mqtt_port", v)
	case node.IsBrokerType(n.Type) && s.health.mqtt != 0:
		s.mqttPort = s.health.mqtt
	case node.IsBrokerType(n.Type):
		s.mqttPort = 1883
	}
	return s, d.err()
}

type dockerReader struct {
	n    scenario.Node
	errs []error
}

func (d *dockerReader) get(key string) (any, bool) {
	v, ok := d.n.Docker[key]
	return v, ok && v != nil
}

func (d *dockerReader) fail(key, format string, args ...any) {
	d.errs = append(d.errs, &node.ConfigError{Pos: d.n.Pos, NodeID: d.n.ID, Section: "docker", Key: key, Message: fmt.Sprintf(format, args...)})
}

// err returns the collected mistakes, in key order for stable output.
func (d *dockerReader) err() error {
	slices.SortStableFunc(d.errs, func(a, b error) int {
		return strings.Compare(a.(*node.ConfigError).Key, b.(*node.ConfigError).Key)
	})
	return errors.Join(d.errs...)
}

// strList reads a string (split on spaces when split) or a list.
func (d *dockerReader) strList(key string, v any, split bool) []string {
	var out []string
	switch x := v.(type) {
	case string:
		if split {
			out = strings.Fields(x)
		} else {
			out = []string{x}
		}
	case []any:
		for _, a := range x {
			switch a.(type) {
			case map[string]any, []any, nil:
				d.fail(key, "must be a list of strings")
				return nil
			}
			out = append(out, fmt.Sprint(a))
		}
	default:
		d.fail(key, "must be a string or a list of strings")
	}
	if len(out) == 0 {
		d.fail(key, "must not be empty")
	}
	return out
}

func (d *dockerReader) port(key string, v any) int {
	f, ok := yamldiag.Number(v)
	if s, isStr := v.(string); isStr {
		p, err := strconv.Atoi(strings.TrimSuffix(s, "/tcp"))
		f, ok = float64(p), err == nil
	}
	if !ok || f < 1 || f > 65535 || f != math.Trunc(f) {
		d.fail(key, "%v is not a port number (1-65535)", v)
		return 0
	}
	return int(f)
}

// ports reads both upstream forms: a mapping container: host (the Docker
// SDK's, so {5000: 5000} publishes 5000 on 5000), or a list of docker run -p
// strings ("8080:80", "127.0.0.1:8080:80", "80" for a free host port).
func (d *dockerReader) ports(v any) []portSpec {
	var out []portSpec
	switch x := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(x) {
			p := portSpec{container: d.port("ports", k)}
			if h := x[k]; h != nil {
				p.host = d.port("ports", h)
			}
			out = append(out, p)
		}
	case []any:
		for _, a := range x {
			s := fmt.Sprint(a)
			parts := strings.Split(s, ":")
			var p portSpec
			switch len(parts) {
			case 1:
				p.container = d.port("ports", parts[0])
			case 2:
				p.host, p.container = d.port("ports", parts[0]), d.port("ports", parts[1])
			case 3:
				p.hostIP = parts[0]
				if parts[1] != "" {
					p.host = d.port("ports", parts[1])
				}
				p.container = d.port("ports", parts[2])
			default:
				d.fail("ports", "%q: write HOST:CONTAINER, IP:HOST:CONTAINER or CONTAINER", s)
			}
			out = append(out, p)
		}
	default:
		d.fail("ports", "must be a mapping of container_port: host_port or a list of \"host:container\"")
	}
	return out
}

// volumes reads both upstream forms: a list of "host:container[:mode]", or
// the Docker SDK's mapping {host: {bind: container, mode: ro}} (a plain
// string value is the container path).
func (d *dockerReader) volumes(v any) []string {
	var out []string
	switch x := v.(type) {
	case []any:
		for _, a := range x {
			s, ok := a.(string)
			if !ok || strings.Count(s, ":") < 1 || strings.Count(s, ":") > 2 {
				d.fail("volumes", "%v: write host_path:container_path[:ro]", a)
				continue
			}
			out = append(out, s)
		}
	case map[string]any:
		for _, host := range sortedKeys(x) {
			switch b := x[host].(type) {
			case string:
				out = append(out, host+":"+b)
			case map[string]any:
				bind, _ := b["bind"].(string)
				if bind == "" {
					d.fail("volumes", "%s: needs bind: <container path>", host)
					continue
				}
				spec := host + ":" + bind
				if mode, ok := b["mode"].(string); ok && mode != "" {
					spec += ":" + mode
				}
				out = append(out, spec)
			default:
				d.fail("volumes", "%s: write {bind: <container path>, mode: ro|rw} or the container path", host)
			}
		}
	default:
		d.fail("volumes", "must be a list of \"host:container[:ro]\" or a mapping host: {bind: container, mode: ro}")
	}
	return out
}

// restartPolicy reads Docker's restart policy: no, on-failure, on-failure:N,
// always or unless-stopped.
func (d *dockerReader) restartPolicy(v any) (string, int) {
	s, _ := v.(string)
	name, retries, hasN := strings.Cut(s, ":")
	switch name {
	case "no", "always", "unless-stopped":
		if !hasN {
			return name, 0
		}
	case "on-failure":
		if !hasN {
			return name, 0
		}
		if n, err := strconv.Atoi(retries); err == nil && n > 0 {
			return name, n
		}
	}
	d.fail("restart", "%v: use no, on-failure, on-failure:N (N > 0), always or unless-stopped", v)
	return "", 0
}

// health reads {tcp: PORT, http: "PORT/path" | PORT, cmd: string|list,
// mqtt: PORT | {port: PORT, topic: T}, timeout_s: N}.
func (d *dockerReader) health(v any) healthSpec {
	h := healthSpec{timeout: 30 * time.Second, httpPath: "/"}
	m, ok := v.(map[string]any)
	if !ok {
		d.fail("health", "must be a mapping with tcp, http, mqtt, cmd and timeout_s")
		return h
	}
	for _, k := range sortedKeys(m) {
		val := m[k]
		switch k {
		case "tcp":
			h.tcp = d.port("health.tcp", val)
		case "http":
			s := fmt.Sprint(val)
			port, path, _ := strings.Cut(s, "/")
			h.httpPort = d.port("health.http", port)
			h.httpPath = "/" + path
		case "cmd":
			h.cmd = d.strList("health.cmd", val, false)
			if str, isStr := val.(string); isStr {
				h.cmd = []string{"/bin/sh", "-c", str}
			}
		case "mqtt":
			if mm, isMap := val.(map[string]any); isMap {
				for _, mk := range sortedKeys(mm) {
					switch mk {
					case "port":
						h.mqtt = d.port("health.mqtt.port", mm[mk])
					case "topic":
						t, _ := mm[mk].(string)
						if t == "" || strings.ContainsAny(t, "#+") {
							d.fail("health.mqtt.topic", "must be a topic name without wildcards, e.g. health/xedgesim")
						}
						h.mqttTopic = t
					default:
						d.fail("health.mqtt."+mk, "unknown key; use port and topic")
					}
				}
				if h.mqtt == 0 {
					d.fail("health.mqtt", "needs port: <the container's MQTT port>")
				}
				continue
			}
			h.mqtt = d.port("health.mqtt", val)
		case "timeout_s":
			f, isNum := yamldiag.Number(val)
			if !isNum || f <= 0 {
				d.fail("health.timeout_s", "must be a positive number of seconds")
				continue
			}
			h.timeout = time.Duration(f * float64(time.Second))
		default:
			d.fail("health."+k, "unknown key; use tcp, http, mqtt, cmd or timeout_s")
		}
	}
	return h
}

// parseBytes reads a memory size: a number of bytes or 512k, 256m, 1g.
func parseBytes(v any) (int64, error) {
	if f, ok := yamldiag.Number(v); ok {
		if f <= 0 {
			return 0, fmt.Errorf("%v is not a positive size", v)
		}
		return int64(f), nil
	}
	s, _ := v.(string)
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimSuffix(s, "b")
	mult := int64(1)
	if s != "" {
		switch s[len(s)-1] {
		case 'k':
			mult = 1 << 10
		case 'm':
			mult = 1 << 20
		case 'g':
			mult = 1 << 30
		}
		if mult > 1 {
			s = s[:len(s)-1]
		}
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%v is not a size", v)
	}
	return int64(n * float64(mult)), nil
}

// sortedPorts returns ports in container-port order.
func sortedPorts(ps []portSpec) []portSpec {
	out := append([]portSpec(nil), ps...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].container < out[j].container })
	return out
}

func sortedKeys(m map[string]any) []string {
	return slices.Sorted(maps.Keys(m))
}
