package deploy

import (
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

// Plan is what a deploy will do, worked out from the manifest and the
// options alone: no host and no registry is contacted. [Deploy] and
// [Verify] follow it, and a dry run shows it, so the three can never
// disagree about which hosts, in which order, with which image.
type Plan struct {
	// Image is the reference to deploy, REPO@sha256:..., as given; Digest
	// its sha256:....
	Image  string
	Digest string

	Service  manifest.Service
	Strategy manifest.Strategy
	Transfer manifest.Transfer
	Rollout  manifest.Rollout

	// Hosts are the hosts to deploy, in manifest order (or in the order
	// WithHosts named them).
	Hosts []PlannedHost
	// Waves are indexes into Hosts: each canary alone, then batches whose
	// hosts are deployed in parallel.
	Waves [][]int

	ref name.Digest
}

// PlannedHost is one host of a plan.
type PlannedHost struct {
	manifest.Host
	// Wave is the host's wave, counted from 1.
	Wave int
	// Canary is true for a host deployed alone before the batches.
	Canary bool
	// Host.Platform is empty when the host's engine is to be asked.
}

// NewPlan plans the deploy of m with opts (WithImage, WithHosts and
// WithNameOptions matter). Its errors are *InputError.
func NewPlan(m *manifest.Manifest, opts ...Option) (*Plan, error) {
	return newPlan(m, makeOptions(opts))
}

func newPlan(m *manifest.Manifest, o options) (*Plan, error) {
	ref := m.Image
	if o.image != "" {
		ref = o.image
	}
	if ref == "" {
		return nil, &InputError{errors.New("planning: no image; write image: REPO@sha256:... in the manifest or give one with --image")}
	}
	d, err := name.NewDigest(ref, o.names...)
	if err != nil {
		return nil, &InputError{fmt.Errorf("parsing image %q: %w (want REPO@sha256:...)", ref, err)}
	}
	hosts, err := selectHosts(m, o.hosts)
	if err != nil {
		return nil, err
	}
	if err := checkRunnerHosts(hosts, o); err != nil {
		return nil, err
	}
	// Every file the deploy would send, and every template, before
	// anything is sent.
	if err := m.CheckFiles(); err != nil {
		return nil, err
	}
	p := &Plan{
		Image: ref, Digest: d.DigestStr(), ref: d,
		Service: m.Service, Strategy: m.Strategy, Transfer: m.Transfer, Rollout: m.Rollout,
		Hosts: make([]PlannedHost, len(hosts)),
		Waves: waves(m.Rollout, len(hosts)),
	}
	canaries := min(m.Rollout.Canary, len(hosts))
	for w, wave := range p.Waves {
		for _, i := range wave {
			p.Hosts[i] = PlannedHost{Host: hosts[i], Wave: w + 1, Canary: w < canaries}
		}
	}
	return p, nil
}

// selectHosts picks the named hosts of m, all of them when none is named.
func selectHosts(m *manifest.Manifest, names []string) ([]manifest.Host, error) {
	if len(names) == 0 {
		return m.Hosts, nil
	}
	var out []manifest.Host
	for _, n := range names {
		found := false
		for _, h := range m.Hosts {
			if h.Name == n {
				out = append(out, h)
				found = true
			}
		}
		if !found {
			return nil, &InputError{fmt.Errorf("selecting hosts: %q is not in the manifest", n)}
		}
	}
	return out, nil
}

// waves orders n hosts: the canaries alone first, then batches.
func waves(r manifest.Rollout, n int) [][]int {
	var ws [][]int
	canary := min(r.Canary, n)
	for i := 0; i < canary; i++ {
		ws = append(ws, []int{i})
	}
	batch := max(r.Batch, 1)
	for i := canary; i < n; i += batch {
		var w []int
		for j := i; j < min(i+batch, n); j++ {
			w = append(w, j)
		}
		ws = append(ws, w)
	}
	return ws
}
