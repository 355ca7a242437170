package evidence

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

var (
	sum    = strings.Repeat("ab", 32)
	digest = "sha256:" + strings.Repeat("1", 64)
	child  = "sha256:" + strings.Repeat("2", 64)
)

func TestNewIsSortedAndReproducible(t *testing.T) {
	t.Parallel()
	runs := []Run{
		{Scenario: "b", File: "s/b.yaml", SHA256: sum, Seed: 2, Verdict: Pass},
		{Scenario: "a", File: "s/a.yaml", SHA256: sum, Seed: 9, Verdict: Pass},
		{Scenario: "b", File: "s/b.yaml", SHA256: sum, Seed: 1, Verdict: Pass},
	}
	images := []Image{{Digest: child, Node: "n2"}, {Digest: digest, Node: "n1"}}
	e := New(Pass, runs, images)
	rev := New(Pass, []Run{runs[2], runs[1], runs[0]}, []Image{images[1], images[0]})
	if diff := cmp.Diff(e, rev); diff != "" {
		t.Errorf("New() depends on the order of its inputs (-first +reversed):\n%s", diff)
	}
	want := []Scenario{
		{Name: "a", File: "s/a.yaml", SHA256: sum, Runs: []RunResult{{Seed: 9, Verdict: Pass}}},
		{Name: "b", File: "s/b.yaml", SHA256: sum, Runs: []RunResult{{Seed: 1, Verdict: Pass}, {Seed: 2, Verdict: Pass}}},
	}
	if diff := cmp.Diff(want, e.Scenarios); diff != "" {
		t.Errorf("Scenarios mismatch (-want +got):\n%s", diff)
	}
	path, err := e.Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != FileName {
		t.Errorf("Write() = %s, want .../%s", path, FileName)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatalf("Read() = %v", err)
	}
	if diff := cmp.Diff(e, got); diff != "" {
		t.Errorf("Read(Write()) mismatch (-want +got):\n%s", diff)
	}
	a1, _ := Artifact(e, v1.Descriptor{MediaType: types.OCIImageIndex, Digest: mustHash(t, digest), Size: 10})
	a2, _ := Artifact(got, v1.Descriptor{MediaType: types.OCIImageIndex, Digest: mustHash(t, digest), Size: 10})
	d1, _ := a1.Digest()
	d2, _ := a2.Digest()
	if d1 != d2 {
		t.Errorf("the same evidence gave artifacts %s and %s", d1, d2)
	}
	m, _ := a1.Manifest()
	if m.ArtifactType != ArtifactType || m.Subject == nil || m.Subject.Digest.String() != digest {
		t.Errorf("artifact manifest = %+v, want artifactType %s and subject %s", m, ArtifactType, digest)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	pass := Run{Scenario: "m0", File: "m0.yaml", SHA256: sum, Seed: 42, Verdict: Pass}
	fail := Run{Scenario: "fleet", File: "fleet.yaml", SHA256: sum, Seed: 7, Verdict: Fail, Failures: []string{"latency_p99 < 50ms: actual 80ms"}}
	cases := []struct {
		name string
		e    Evidence
		want string // empty: allowed
	}{
		{"passing, ran the digest", New(Pass, []Run{pass}, []Image{{Digest: digest}}), ""},
		{"passing, ran a platform of it", New(Pass, []Run{pass}, []Image{{Digest: child}}), ""},
		{"a failed run", New(Fail, []Run{pass, fail}, []Image{{Digest: digest}}), "scenario fleet (fleet.yaml) (seed 7) did not pass (fail: latency_p99 < 50ms: actual 80ms)"},
		{"no run", New(Pass, nil, []Image{{Digest: digest}}), "no simulation ran"},
		{"verdict not pass", New(Error, []Run{pass}, []Image{{Digest: digest}}), "verdict is error"},
		{"no image", New(Pass, []Run{pass}, nil), "names no image that ran"},
		{"another image", New(Pass, []Run{pass}, []Image{{Digest: "sha256:" + strings.Repeat("9", 64)}}), "not this digest"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.e.Check(digest, child)
			if tc.want == "" {
				if err != nil {
					t.Errorf("Check() = %v, want nil", err)
				}
				return
			}
			var r *Refusal
			if !errors.As(err, &r) || r.ExitCode() != 2 || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Check() = %v, want a refusal (exit 2) saying %q", err, tc.want)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"unknown field": `{"schema":"` + Schema + `","verdict":"pass","toolkit":{},"scenarios":[],"images":[],"extra":1}`,
		"wrong schema":  `{"schema":"x","verdict":"pass","toolkit":{},"scenarios":[],"images":[]}`,
		"bad verdict":   `{"schema":"` + Schema + `","verdict":"ok","toolkit":{},"scenarios":[],"images":[]}`,
		"bad digest":    `{"schema":"` + Schema + `","verdict":"pass","toolkit":{},"scenarios":[],"images":[{"digest":"sha256:12"}]}`,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := Parse([]byte(in)); err == nil {
				t.Errorf("Parse(%s) = nil error", in)
			}
		})
	}
}

func mustHash(t *testing.T, s string) v1.Hash {
	t.Helper()
	h, err := v1.NewHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
