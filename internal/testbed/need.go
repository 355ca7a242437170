package testbed

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// Part is one real part of the bed that a test can ask for.
type Part string

// The parts of the bed.
const (
	PartRegistry    Part = "registry"     // the plain http registry
	PartTLSRegistry Part = "tls-registry" // the registry with TLS and basic auth
	PartOCIRegistry Part = "oci-registry" // the plain registry with the OCI 1.1 referrers API
	PartDocker      Part = "docker"       // the host's Docker engine and CLI
	PartEdges       Part = "edges"        // every edge's sshd and dockerd
	PartArm64       Part = "arm64"        // an edge declared linux/arm64, and qemu binfmt for it
	PartBuildx      Part = "buildx"       // docker buildx with the bed's BuildKit builder
	PartAct         Part = "act"          // the act binary
	PartCosign      Part = "cosign"       // the cosign binary of tools/cosign
	PartKeyless     Part = "keyless"      // Fulcio (tools/fulcio) and the OIDC issuer (tools/oidcissuer)
)

// Required reports whether XEDGESIM_TESTBED=1, under which a missing part
// fails a test instead of skipping it.
func Required() bool { return os.Getenv(EnvRequired) == "1" }

// Need returns the bed if every part is there and answers. Otherwise it
// skips the test naming the missing parts, or fails it when Required.
func Need(t testing.TB, parts ...Part) *Env {
	t.Helper()
	env, err := Load()
	var missing []string
	if err != nil {
		missing = append(missing, err.Error())
	} else {
		for _, p := range parts {
			if err := env.check(p); err != nil {
				missing = append(missing, fmt.Sprintf("%s: %v", p, err))
			}
		}
	}
	if len(missing) == 0 {
		return env
	}
	msg := "test bed part missing (start it with scripts/testbed up): " + strings.Join(missing, "; ")
	if Required() {
		t.Fatal(msg)
	} else {
		t.Skip(msg)
	}
	return nil
}

// check tells whether a part is there, cheaply: its daemons accept a
// connection and its files exist. The tests themselves prove it works.
func (e *Env) check(p Part) error {
	switch p {
	case PartRegistry:
		return dial("tcp", e.Registry.Host)
	case PartCosign:
		return exists(e.Var("COSIGN"))
	case PartKeyless:
		for _, v := range []string{"FULCIO_URL", "OIDC_ISSUER"} {
			u, err := url.Parse(e.Var(v))
			if err != nil || u.Host == "" {
				return fmt.Errorf("no %s in the env file", v)
			}
			if err := dial("tcp", u.Host); err != nil {
				return err
			}
		}
		return exists(e.Var("OIDC_REQUEST_TOKEN_FILE"))
	case PartOCIRegistry:
		if e.Var("OCI_REGISTRY") == "" {
			return errors.New("no OCI_REGISTRY in the env file")
		}
		return dial("tcp", e.Var("OCI_REGISTRY"))
	case PartTLSRegistry:
		r := e.TLSRegistry
		if r.Username == "" || r.Password == "" {
			return errors.New("no credentials in the env file")
		}
		if err := exists(r.CAFile); err != nil {
			return err
		}
		return dial("tcp", r.Host)
	case PartDocker:
		if err := exists(e.Docker); err != nil {
			return err
		}
		return dialUnix(e.DockerHost)
	case PartEdges:
		if len(e.Edges) == 0 {
			return errors.New("no edges in the env file")
		}
		for _, edge := range e.Edges {
			if err := edge.check(); err != nil {
				return fmt.Errorf("%s: %w", edge.Name, err)
			}
		}
		return nil
	case PartArm64:
		edge, ok := e.EdgeFor("linux/arm64")
		if !ok {
			return errors.New("no edge declared linux/arm64")
		}
		if err := edge.check(); err != nil {
			return fmt.Errorf("%s: %w", edge.Name, err)
		}
		b, err := os.ReadFile("/proc/sys/fs/binfmt_misc/qemu-aarch64")
		if err != nil || !strings.HasPrefix(string(b), "enabled") {
			return errors.New("qemu-aarch64 is not enabled in binfmt_misc")
		}
		return nil
	case PartBuildx:
		if e.Builder.Name == "" {
			return errors.New("no builder in the env file")
		}
		for _, f := range []string{e.Docker, e.Builder.Plugin} {
			if err := exists(f); err != nil {
				return err
			}
		}
		return dialUnix(e.Builder.BuildkitHost)
	case PartAct:
		return exists(e.Act)
	}
	return fmt.Errorf("unknown part %q", p)
}

func (edge Edge) check() error {
	for _, f := range []string{edge.KeyFile, edge.KnownHostsFile} {
		if err := exists(f); err != nil {
			return err
		}
	}
	if edge.KnownHosts == "" {
		return errors.New("no known_hosts line in the env file")
	}
	// With its namespace gone, the edge's address would be dialled through
	// the host's default route: never send test traffic there.
	if edge.NetNS == "" {
		return errors.New("no network namespace in the env file")
	}
	if err := exists("/var/run/netns/" + edge.NetNS); err != nil {
		return err
	}
	if err := dial("tcp", edge.SSHAddr()); err != nil {
		return err
	}
	return dialUnix(edge.DockerHost)
}

func exists(path string) error {
	if path == "" {
		return errors.New("a path is missing from the env file")
	}
	_, err := os.Stat(path)
	return err
}

func dial(network, addr string) error {
	if addr == "" || strings.HasPrefix(addr, ":") {
		return errors.New("an address is missing from the env file")
	}
	c, err := net.DialTimeout(network, addr, 2*time.Second)
	if err != nil {
		return err
	}
	return c.Close()
}

func dialUnix(url string) error {
	path, ok := strings.CutPrefix(url, "unix://")
	if !ok || path == "" {
		return fmt.Errorf("want a unix:// address, got %q", url)
	}
	return dial("unix", path)
}
