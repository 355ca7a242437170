package deploy

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/xedgesim/simulate/internal/exitcode"
	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

func TestNewPlan(t *testing.T) {
	t.Parallel()
	const (
		digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		image  = "registry.example.com/acme/hello@" + digest
		other  = "127.0.0.1:5000/acme/hello@" + digest
	)
	e1 := manifest.Host{Name: "edge1", Address: "10.0.0.1", Port: 22, Platform: "linux/arm64"}
	e2 := manifest.Host{Name: "edge2", Address: "10.0.0.2", Port: 22}
	e3 := manifest.Host{Name: "edge3", Local: true}
	m := &manifest.Manifest{
		Image:    image,
		Service:  manifest.Service{Name: "hello"},
		Strategy: manifest.StrategyContainer,
		Transfer: manifest.TransferSCP,
		Hosts:    []manifest.Host{e1, e2, e3},
		Rollout:  manifest.Rollout{Canary: 1, Batch: 2, Rollback: true},
	}
	base := Plan{Image: image, Digest: digest, Service: m.Service, Strategy: m.Strategy, Transfer: m.Transfer, Rollout: m.Rollout}
	tests := []struct {
		name string
		m    *manifest.Manifest
		opts []Option
		want func(p Plan) Plan
	}{{
		name: "canary then a batch",
		m:    m,
		want: func(p Plan) Plan {
			p.Hosts = []PlannedHost{{Host: e1, Wave: 1, Canary: true}, {Host: e2, Wave: 2}, {Host: e3, Wave: 2}}
			p.Waves = [][]int{{0}, {1, 2}}
			return p
		},
	}, {
		name: "named hosts in the order named, another image",
		m:    m,
		opts: []Option{WithHosts("edge3", "edge2"), WithImage(other)},
		want: func(p Plan) Plan {
			p.Image = other
			p.Hosts = []PlannedHost{{Host: e3, Wave: 1, Canary: true}, {Host: e2, Wave: 2}}
			p.Waves = [][]int{{0}, {1}}
			return p
		},
	}, {
		name: "more canaries than hosts",
		m:    &manifest.Manifest{Image: image, Hosts: []manifest.Host{e1, e2}, Rollout: manifest.Rollout{Canary: 5}},
		want: func(Plan) Plan {
			return Plan{Image: image, Digest: digest, Rollout: manifest.Rollout{Canary: 5},
				Hosts: []PlannedHost{{Host: e1, Wave: 1, Canary: true}, {Host: e2, Wave: 2, Canary: true}},
				Waves: [][]int{{0}, {1}}}
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := NewPlan(tc.m, tc.opts...)
			if err != nil {
				t.Fatalf("NewPlan() = %v", err)
			}
			if diff := cmp.Diff(tc.want(base), *got, cmpopts.IgnoreUnexported(Plan{})); diff != "" {
				t.Errorf("NewPlan() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewPlanErrors(t *testing.T) {
	t.Parallel()
	m := &manifest.Manifest{Hosts: []manifest.Host{{Name: "edge1"}}}
	tests := []struct {
		name string
		opts []Option
		want string
	}{
		{"no image", nil, "no image"},
		{"a tag", []Option{WithImage("registry.example.com/acme/hello:latest")}, "want REPO@sha256:"},
		{"unknown host", []Option{WithImage("registry.example.com/acme/hello@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"), WithHosts("edge9")}, `"edge9" is not in the manifest`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := NewPlan(m, tc.opts...)
			var ie *InputError
			if p != nil || !errors.As(err, &ie) || exitcode.Of(err) != exitcode.Invalid || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewPlan() = %v, %v; want an input error (exit 3) saying %q", p, err, tc.want)
			}
		})
	}
}

func TestStrategyFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		m    manifest.Manifest
		want strategy
	}{
		{manifest.Manifest{}, &containerStrategy{}},
		{manifest.Manifest{Strategy: manifest.StrategyContainer}, &containerStrategy{}},
		{manifest.Manifest{Strategy: manifest.StrategyCompose, Compose: &manifest.Compose{}}, &composeStrategy{}},
		{manifest.Manifest{Strategy: manifest.StrategyNative, Native: &manifest.Native{}}, &nativeStrategy{}},
		{manifest.Manifest{Strategy: manifest.StrategyCompose}, nil},
		{manifest.Manifest{Strategy: "rsync"}, nil},
	}
	for _, tc := range tests {
		got, err := strategyFor(&tc.m)
		if tc.want == nil {
			var ie *InputError
			if got != nil || !errors.As(err, &ie) {
				t.Errorf("strategyFor(%q) = %T, %v; want an input error", tc.m.Strategy, got, err)
			}
			continue
		}
		if err != nil || fmt.Sprintf("%T", got) != fmt.Sprintf("%T", tc.want) {
			t.Errorf("strategyFor(%q) = %T, %v; want %T", tc.m.Strategy, got, err, tc.want)
		}
	}
}
