package manifest

import (
	"time"

	"github.com/xedgesim/simulate/internal/yamldiag"
)

// Pos is a position in the manifest file.
type Pos = yamldiag.Pos

// Manifest is one deploy.yaml.
type Manifest struct {
	// Path is the file it was read from; Dir the directory relative paths
	// (files' src, ssh.key) resolve against.
	Path string `json:"-"`
	Dir  string `json:"-"`

	// Image is REPO@sha256:..., the index (or single image) to deploy.
	Image    string   `json:"image"`
	Service  Service  `json:"service"`
	Strategy Strategy `json:"strategy"`
	Transfer Transfer `json:"transfer"`
	Hosts    []Host   `json:"hosts"`
	Rollout  Rollout  `json:"rollout"`
	SSH      SSH      `json:"ssh"`

	// Compose is set for strategy compose, Native for strategy native.
	Compose *Compose `json:"compose,omitempty"`
	Native  *Native  `json:"native,omitempty"`

	// ImagePos is where image was written, for errors about the image.
	ImagePos Pos `json:"-"`

	// Vars feed the templated files of every host (a host's own vars
	// override them).
	Vars map[string]string `json:"vars,omitempty"`
}

// Strategy is how the service runs on a host.
type Strategy string

// The strategies.
const (
	StrategyContainer Strategy = "container"
	StrategyCompose   Strategy = "compose"
	StrategyNative    Strategy = "native"
)

// Transfer is how the image gets to a host.
type Transfer string

// The transfers.
const (
	// TransferSCP sends the host's platform image over SSH as a
	// docker-load tarball.
	TransferSCP Transfer = "scp"
	// TransferPull has the host pull the image by digest.
	TransferPull Transfer = "pull"
)

// Service is the container that runs the image.
type Service struct {
	Name    string            `json:"name"`
	Restart string            `json:"restart"`
	Ports   []string          `json:"ports,omitempty"`
	Volumes []string          `json:"volumes,omitempty"`
	Env     map[string]string `json:"env,omitempty"`
	Command []string          `json:"command,omitempty"`
	// Memory is a docker --memory value such as 128m; CPUs a --cpus value.
	Memory string  `json:"memory,omitempty"`
	CPUs   float64 `json:"cpus,omitempty"`
	Files  []File  `json:"files,omitempty"`
	Health Health  `json:"health"`
	// Network is an existing Docker network the container joins, or
	// host; empty is the engine's default bridge.
	Network string `json:"network,omitempty"`
}

// File is a file copied to the host before the service starts.
type File struct {
	Src  string `json:"src"`
	Dst  string `json:"dst"`
	Mode string `json:"mode"`
	Pos  Pos    `json:"-"`

	// Template says src is a Go text/template rendered for each host:
	// {{.Host.Name}}, {{.Host.Address}}, {{.Vars.NAME}}.
	Template bool `json:"template,omitempty"`
}

// Health is the health check a deploy waits for and verify runs.
type Health struct {
	// Exactly one of TCP, HTTP, MQTT and Cmd is set.
	TCP  int         `json:"tcp,omitempty"`
	HTTP *HTTPHealth `json:"http,omitempty"`
	MQTT *MQTTHealth `json:"mqtt,omitempty"`
	Cmd  string      `json:"cmd,omitempty"`
	// Timeout is how long a deploy waits for the check to pass; Interval
	// the pause between attempts.
	Timeout  time.Duration `json:"timeout"`
	Interval time.Duration `json:"interval"`
	// Window is how long verify watches the restart count.
	Window time.Duration `json:"window"`
}

// HTTPHealth is an HTTP GET on the host's port.
type HTTPHealth struct {
	Port   int    `json:"port"`
	Path   string `json:"path"`
	Status int    `json:"status"`
}

// MQTTHealth is an MQTT connection to the broker on the host's port; with
// a topic, a message published there must come back.
type MQTTHealth struct {
	Port  int    `json:"port"`
	Topic string `json:"topic,omitempty"`
}

// Kind names the check: tcp, http, mqtt, cmd or none.
func (h Health) Kind() string {
	switch {
	case h.TCP != 0:
		return "tcp"
	case h.HTTP != nil:
		return "http"
	case h.MQTT != nil:
		return "mqtt"
	case h.Cmd != "":
		return "cmd"
	}
	return "none"
}

// Host is one target.
type Host struct {
	Name    string `json:"name"`
	Address string `json:"address,omitempty"`
	Port    int    `json:"port,omitempty"`
	User    string `json:"user,omitempty"`
	// KnownHosts holds known_hosts lines for the host's keys; Fingerprints
	// SHA256:... fingerprints of its keys. One of them is required.
	KnownHosts   string   `json:"known_hosts,omitempty"`
	Fingerprints []string `json:"fingerprints,omitempty"`
	// Platform such as linux/arm64; empty means detect it over SSH.
	Platform string `json:"platform,omitempty"`
	// Local means the engine of the machine deploy runs on.
	Local bool `json:"local,omitempty"`
	Pos   Pos  `json:"-"`

	// Env overrides the service's env on this host; Vars the manifest's
	// vars for its templated files.
	Env  map[string]string `json:"env,omitempty"`
	Vars map[string]string `json:"vars,omitempty"`

	// Runner is the label of the device's own self-hosted runner: the
	// device pulls its deploy as an Actions job (deploy --plan runners),
	// and that job deploys to its own engine, so the host is also Local.
	Runner string `json:"runner,omitempty"`
}

// Rollout is the order hosts are deployed in.
type Rollout struct {
	Canary      int  `json:"canary"`
	Batch       int  `json:"batch"`
	MaxFailures int  `json:"max_failures"`
	Rollback    bool `json:"rollback"`
	// Keep is how many releases of the service (the running one
	// included) stay on each host for rollback; older images go.
	Keep int `json:"keep"`
	// Offline and WaveTimeout are for runner hosts: how long a wave's job
	// may take (its timeout-minutes), and whether a device whose job did
	// not report in that time counts as a failure (fail) or is left on
	// its old digest while the rollout goes on (skip).
	Offline     Offline       `json:"offline"`
	WaveTimeout time.Duration `json:"wave_timeout"`
	// Order is how the container strategy replaces a serving container:
	// the new release checked beside it first, or the old one stopped
	// first.
	Order Order `json:"order"`
}

// Order is rollout.order, Docker Swarm's update_config.order.
type Order string

// The orders. Start-first checks the new release in a candidate container
// beside the old one, so a broken release never stops the service;
// stop-first runs one container of the service at a time (half the
// container starts, no second copy in memory, no second holder of a
// volume's locks) and puts the old one back when the new one fails.
const (
	OrderStartFirst Order = "start-first"
	OrderStopFirst  Order = "stop-first"
)

// Offline is what a rollout through runners does about a device whose job
// did not report.
type Offline string

// The offline policies.
const (
	OfflineFail Offline = "fail"
	OfflineSkip Offline = "skip"
)

// SSH is the connection settings every host shares.
type SSH struct {
	// Key is the private key file; empty uses ssh-agent.
	Key        string        `json:"key,omitempty"`
	Passphrase string        `json:"-"`
	Jump       *Jump         `json:"jump,omitempty"`
	Timeout    time.Duration `json:"timeout"`

	// KnownHostsFile is ssh.known_hosts_file, resolved against the
	// manifest's directory: its lines serve the hosts that name no key.
	KnownHostsFile string `json:"known_hosts_file,omitempty"`

	// DockerHost is the engine's address on the hosts, as DOCKER_HOST:
	// the deploy reaches it through the SSH connection. Empty asks each
	// host for its DOCKER_HOST, else unix:///var/run/docker.sock.
	DockerHost string `json:"docker_host,omitempty"`
}

// Jump is one jump host.
type Jump struct {
	Address      string   `json:"address"`
	Port         int      `json:"port,omitempty"`
	User         string   `json:"user"`
	KnownHosts   string   `json:"known_hosts,omitempty"`
	Fingerprints []string `json:"fingerprints,omitempty"`
}
