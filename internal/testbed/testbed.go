package testbed

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

const (
	// EnvRequired, set to 1, turns a missing part from a skip into a failure.
	EnvRequired = "XEDGESIM_TESTBED"
	// EnvFile names the env file; DefaultFile is used when it is unset.
	EnvFile     = "XEDGESIM_TESTBED_ENV"
	DefaultFile = "/var/lib/xedgesim-testbed/testbed.env"
)

// prefix starts every key of the env file.
const prefix = "XEDGESIM_TESTBED_"

// Env is the test bed as the env file describes it.
type Env struct {
	// Registry is the plain http registry, TLSRegistry the one with TLS and
	// basic auth.
	Registry    Registry
	TLSRegistry Registry
	// Docker is the docker CLI, DockerHost the host's engine.
	Docker     string
	DockerHost string
	// Edges are the edge hosts, in order (edge1, edge2, edge3).
	Edges []Edge
	// Builder is the buildx builder backed by the bed's buildkitd.
	Builder Builder
	// Act is the path of the act binary.
	Act string

	vars map[string]string
}

// Registry is one of the bed's registries.
type Registry struct {
	// Host is host:port as the host reaches it, EdgeHost as the edges do.
	Host     string
	EdgeHost string
	// CAFile is the PEM CA that signed the registry's certificate; empty
	// for a plain http registry.
	CAFile string
	// Username and Password are empty when the registry needs no login.
	Username string
	Password string
}

// Edge is one edge host: a network namespace with its own sshd and dockerd.
type Edge struct {
	Name     string // edge1
	Addr     string // its address, for SSH and published ports
	HostAddr string // the host's address on the edge's link
	SSHPort  int
	User     string
	KeyFile  string // the client's private key
	// KnownHosts is the known_hosts line of the edge's host key,
	// KnownHostsFile the bed's known_hosts file with all edges.
	KnownHosts     string
	KnownHostsFile string
	// Platform is the declared platform, e.g. linux/arm64: its engine runs
	// on the host's CPU, and arm64 code runs through qemu binfmt.
	Platform   string
	DockerHost string // the edge's engine, as a unix:// URL usable from the host
	NetNS      string // the network namespace's name
}

// Builder is the bed's docker buildx builder.
type Builder struct {
	Name         string // for docker buildx --builder
	BuildkitHost string // buildkitd's unix:// address
	Plugin       string // the docker-buildx plugin binary
}

// Load reads the env file named by XEDGESIM_TESTBED_ENV, or DefaultFile.
func Load() (*Env, error) {
	path := os.Getenv(EnvFile)
	if path == "" {
		path = DefaultFile
	}
	f, err := os.Open(path) // #nosec G703 G304 -- the test bed's env file, named by XEDGESIM_TESTBED_ENV in tests
	if err != nil {
		return nil, fmt.Errorf("reading env file: %w", err)
	}
	defer f.Close()
	env, err := parse(f)
	if err != nil {
		return nil, fmt.Errorf("reading env file %s: %w", path, err)
	}
	return env, nil
}

// Var returns a raw value of the env file by its key without the
// XEDGESIM_TESTBED_ prefix, e.g. Var("EDGE1_ADDR"), for keys with no field.
func (e *Env) Var(key string) string { return e.vars[prefix+key] }

// Edge returns the edge of that name.
func (e *Env) Edge(name string) (Edge, bool) {
	for _, edge := range e.Edges {
		if edge.Name == name {
			return edge, true
		}
	}
	return Edge{}, false
}

// EdgeFor returns the first edge declared with the platform, e.g. linux/arm64.
func (e *Env) EdgeFor(platform string) (Edge, bool) {
	for _, edge := range e.Edges {
		if edge.Platform == platform {
			return edge, true
		}
	}
	return Edge{}, false
}

func parse(r io.Reader) (*Env, error) {
	vars := map[string]string{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("line %d: want KEY=value, got %q", n, line)
		}
		// The script quotes values with spaces so a shell can source the file.
		if len(v) >= 2 && (v[0] == '\'' || v[0] == '"') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		vars[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("scanning: %w", err)
	}
	get := func(k string) string { return vars[prefix+k] }
	env := &Env{
		Registry: Registry{Host: get("REGISTRY"), EdgeHost: get("REGISTRY_EDGE")},
		TLSRegistry: Registry{
			Host:     get("TLS_REGISTRY"),
			EdgeHost: get("TLS_REGISTRY_EDGE"),
			CAFile:   get("TLS_REGISTRY_CA"),
			Username: get("TLS_REGISTRY_USER"),
			Password: get("TLS_REGISTRY_PASSWORD"),
		},
		Docker:     get("DOCKER"),
		DockerHost: get("DOCKER_HOST"),
		Builder: Builder{
			Name:         get("BUILDX_BUILDER"),
			BuildkitHost: get("BUILDKIT_HOST"),
			Plugin:       get("BUILDX"),
		},
		Act:  get("ACT"),
		vars: vars,
	}
	for _, name := range strings.Fields(get("EDGES")) {
		p := strings.ToUpper(name) + "_"
		port, err := strconv.Atoi(get(p + "SSH_PORT"))
		if err != nil {
			return nil, fmt.Errorf("parsing %s%sSSH_PORT: %w", prefix, p, err)
		}
		env.Edges = append(env.Edges, Edge{
			Name:           name,
			Addr:           get(p + "ADDR"),
			HostAddr:       get(p + "HOST_ADDR"),
			SSHPort:        port,
			User:           get(p + "SSH_USER"),
			KeyFile:        get("SSH_KEY"),
			KnownHosts:     get(p + "KNOWN_HOSTS"),
			KnownHostsFile: get("SSH_KNOWN_HOSTS"),
			Platform:       get(p + "PLATFORM"),
			DockerHost:     get(p + "DOCKER_HOST"),
			NetNS:          get(p + "NETNS"),
		})
	}
	return env, nil
}

// TLS reports whether the registry speaks https.
func (r Registry) TLS() bool { return r.CAFile != "" }

// URL is the registry's base URL as the host reaches it.
func (r Registry) URL() string {
	if r.TLS() {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// NameOptions are the go-containerregistry name options for references to
// this registry: a plain one is http at any address, not only on loopback.
func (r Registry) NameOptions() []name.Option {
	if r.TLS() {
		return nil
	}
	return []name.Option{name.Insecure}
}

// Transport is an HTTP transport that trusts the registry's CA.
func (r Registry) Transport() (*http.Transport, error) {
	t := remote.DefaultTransport.(*http.Transport).Clone()
	if !r.TLS() {
		return t, nil
	}
	pem, err := os.ReadFile(r.CAFile)
	if err != nil {
		return nil, fmt.Errorf("reading registry CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("reading registry CA %s: no PEM certificate", r.CAFile)
	}
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return t, nil
}

// Authenticator logs in with the registry's credentials, or anonymously.
func (r Registry) Authenticator() authn.Authenticator {
	if r.Username == "" {
		return authn.Anonymous
	}
	return &authn.Basic{Username: r.Username, Password: r.Password}
}

// RemoteOptions are the transport and credentials to use the registry with
// go-containerregistry's remote package.
func (r Registry) RemoteOptions() ([]remote.Option, error) {
	t, err := r.Transport()
	if err != nil {
		return nil, err
	}
	return []remote.Option{remote.WithTransport(t), remote.WithAuth(r.Authenticator())}, nil
}

// SSHAddr is host:port of the edge's sshd.
func (e Edge) SSHAddr() string { return net.JoinHostPort(e.Addr, strconv.Itoa(e.SSHPort)) }

// SSHConfig logs in with the bed's client key and checks the edge's host key
// strictly against the bed's known_hosts file.
func (e Edge) SSHConfig() (*ssh.ClientConfig, error) {
	pem, err := os.ReadFile(e.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("reading ssh key: %w", err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		return nil, fmt.Errorf("parsing ssh key %s: %w", e.KeyFile, err)
	}
	if e.KnownHostsFile == "" {
		return nil, errors.New("reading known_hosts: the env file names none")
	}
	hostKeys, err := knownhosts.New(e.KnownHostsFile)
	if err != nil {
		return nil, fmt.Errorf("reading known_hosts: %w", err)
	}
	return &ssh.ClientConfig{
		User:            e.User,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: hostKeys,
		Timeout:         10 * time.Second,
	}, nil
}
