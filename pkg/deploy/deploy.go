package deploy

import (
	"context"
	"path/filepath"
	"time"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// Labels put on every container deploy creates.
const (
	LabelService  = "xedgesim.service"
	LabelDigest   = "xedgesim.digest"          // the manifest's digest (index or image)
	LabelPlatform = "xedgesim.platform-digest" // the host's platform manifest
	LabelImageID  = "xedgesim.image-id"        // the engine's image ID
	LabelDeployID = "xedgesim.deploy-id"
)

// HostReport is what happened on one host.
type HostReport struct {
	Host       string        `json:"host"`
	Platform   string        `json:"platform"`
	OldDigest  string        `json:"old_digest,omitempty"`
	NewDigest  string        `json:"new_digest"`
	BytesSent  int64         `json:"bytes_sent"`
	Duration   time.Duration `json:"duration_ns"`
	Result     Result        `json:"result"`
	RolledBack bool          `json:"rolled_back"`
	Error      string        `json:"error,omitempty"`
	err        error

	// Unchanged says the host already ran the image with the same
	// settings and files, and was left as it was.
	Unchanged bool `json:"unchanged,omitempty"`
	// Switch is how long the service did not answer while the new
	// container took the old one's place: from stopping the old one until
	// the new one passed its check.
	Switch time.Duration `json:"switch_ns,omitempty"`
	// Env and Vars are the host's effective values (the service's and
	// the manifest's, overridden by the host's), secrets masked.
	Env  map[string]string `json:"env,omitempty"`
	Vars map[string]string `json:"vars,omitempty"`

	// Started is when the host's deploy began: a fleet's status puts the
	// waves of its device jobs on one timeline.
	Started time.Time `json:"started,omitzero"`
}

// Report is the outcome of a deploy.
type Report struct {
	DeployID string       `json:"deploy_id"`
	Image    string       `json:"image"`
	Hosts    []HostReport `json:"hosts"`
}

// Deploy deploys m's image to its hosts as [NewPlan] plans it. The report
// lists every host even when err is not nil; err is a *FailedError when
// hosts failed.
func Deploy(ctx context.Context, m *manifest.Manifest, opts ...Option) (*Report, error) {
	o := makeOptions(opts)
	p, err := newPlan(m, o)
	if err != nil {
		return nil, err
	}
	im, err := resolveImage(ctx, p.ref, o)
	if err != nil {
		return nil, err
	}
	rep := &Report{DeployID: o.deployID, Image: im.ref.String(), Hosts: make([]HostReport, len(p.Hosts))}
	for i, h := range p.Hosts {
		rep.Hosts[i] = HostReport{Host: h.Name, NewDigest: im.digest, Result: ResultSkipped}
	}
	rollout(ctx, m, p, im, o, rep)
	return rep, rep.failure()
}

// Result is how one host ended.
type Result string

// The results.
const (
	ResultDeployed   Result = "deployed"
	ResultRolledBack Result = "rolled back"
	ResultFailed     Result = "failed"
	ResultSkipped    Result = "skipped"
)

// connect dials a host with the manifest's SSH settings; a local host is
// the engine of this machine.
func connect(ctx context.Context, m *manifest.Manifest, h manifest.Host, o options) (hostConn, error) {
	if h.Local {
		return localConn{}, nil
	}
	t := transport.Target{Name: h.Name, Address: h.Address, Port: h.Port, User: h.User, KnownHosts: h.KnownHosts, Fingerprints: h.Fingerprints}
	sopts := []transport.Option{transport.WithTimeout(m.SSH.Timeout)}
	if m.SSH.Key != "" {
		key := m.SSH.Key
		if !filepath.IsAbs(key) {
			key = filepath.Join(m.Dir, key)
		}
		sopts = append(sopts, transport.WithKeyFile(key, m.SSH.PassphraseValue()))
	} else if len(o.ssh) == 0 {
		sopts = append(sopts, transport.WithAgent())
	}
	if j := m.SSH.Jump; j != nil {
		sopts = append(sopts, transport.WithJump(transport.Target{Name: "jump host " + j.Address, Address: j.Address, Port: j.Port, User: j.User, KnownHosts: j.KnownHosts, Fingerprints: j.Fingerprints}))
	}
	c, err := transport.Dial(ctx, t, append(sopts, o.ssh...)...)
	if err != nil {
		return nil, err
	}
	if m.Strategy == manifest.StrategyCompose && m.SSH.DockerHost != "" {
		// The host's compose tool and docker CLI reach the engine the
		// manifest names, as the container strategy's do.
		return dockerHostConn{c, m.SSH.DockerHost}, nil
	}
	if m.Strategy != manifest.StrategyContainer && m.Strategy != "" {
		return c, nil
	}
	ec, why := withEngine(ctx, c, h.Name, m.SSH.DockerHost)
	if why != "" {
		o.progress.Report(Event{Host: h.Name, Step: "engine", Message: why + "; running the docker CLI on the host instead"})
	} else if ec != hostConn(c) {
		o.progress.Report(Event{Host: h.Name, Step: "engine", Message: "the Engine API through the SSH connection"})
	}
	return ec, nil
}
