package main

import (
	"io"
	"log"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/xedgesim/simulate/pkg/image/evidence"
)

// TestPushCLI runs push and attest as a user would: the last stdout line
// is DST@sha256:..., promotion is refused with 2 until passing evidence is
// attached, and bad input exits 3.
func TestPushCLI(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	reg := strings.TrimPrefix(srv.URL, "http://")

	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, arch := range []string{"amd64", "arm64"} {
		img, err := random.Image(1024, 2)
		if err != nil {
			t.Fatal(err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
	}
	digest, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p, err := layout.Write(filepath.Join(dir, "oci"), empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendIndex(idx); err != nil {
		t.Fatal(err)
	}

	staged := reg + "/staging/app@" + digest.String()
	r := cli(t, "push", "oci:"+filepath.Join(dir, "oci"), reg+"/staging/app:pr-1", "--tag", "latest")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || lines[len(lines)-1] != staged {
		t.Fatalf("push = %d, stdout %q, stderr %s; want 0 and %s", r.code, r.stdout, r.stderr, staged)
	}
	for _, want := range []string{"linux/amd64: 3 blobs", "linux/arm64: 3 blobs", "verified", "tagged " + reg + "/staging/app:latest"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("push stderr does not say %q:\n%s", want, r.stderr)
		}
	}

	// The same image again from the staging tag to where it already is:
	// the last line is the same reference, and stderr says unchanged.
	r = cli(t, "push", reg+"/staging/app:pr-1", reg+"/staging/app:latest")
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); r.code != 0 || lines[len(lines)-1] != staged {
		t.Fatalf("push again = %d, stdout %q, stderr %s; want 0 and %s", r.code, r.stdout, r.stderr, staged)
	}
	for _, want := range []string{"linux/amd64: sha256:", "linux/arm64: sha256:", "already there", "unchanged " + staged + ": every tag already has the digest; nothing uploaded", "tagged " + reg + "/staging/app:latest"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("push again: stderr does not say %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "verified") {
		t.Errorf("push again: stderr claims a verification it did not make:\n%s", r.stderr)
	}

	r = cli(t, "push", "--require-evidence", staged, reg+"/prod/app:v1")
	if r.code != 2 || !strings.Contains(r.stderr, "no simulation ran") {
		t.Errorf("promotion without evidence = %d, %s; want 2 saying none ran", r.code, r.stderr)
	}

	ev := evidence.New(evidence.Fail, []evidence.Run{
		{Scenario: "gate_fleet", File: "scenarios/gate_fleet.yaml", SHA256: strings.Repeat("cd", 32), Seed: 7, Verdict: evidence.Fail, Failures: []string{"delivery_ratio >= 0.99: actual 0.91"}},
	}, []evidence.Image{{Ref: "app", Digest: digest.String()}})
	failDir := filepath.Join(dir, "fail")
	failFile, err := ev.Write(failDir)
	if err != nil {
		t.Fatal(err)
	}
	if r = cli(t, "attest", staged, "--evidence", failFile); r.code != 0 {
		t.Fatalf("attest = %d, %s", r.code, r.stderr)
	}
	r = cli(t, "push", "--require-evidence", staged, reg+"/prod/app:v1")
	if r.code != 2 || !strings.Contains(r.stderr, "gate_fleet") || !strings.Contains(r.stderr, "seed 7") {
		t.Errorf("promotion with failing evidence = %d, %s; want 2 naming gate_fleet and seed 7", r.code, r.stderr)
	}

	for _, args := range [][]string{
		{"push", "oci:" + dir + "/missing", reg + "/x"},
		{"push", "./relative", reg + "/x"},
		{"push", "only-one-arg"},
		{"attest", staged},
		{"push", "--username", "u", "oci:" + filepath.Join(dir, "oci"), reg + "/x"},
	} {
		if r := cli(t, args...); r.code != 3 {
			t.Errorf("%v = %d, %s; want 3", args, r.code, r.stderr)
		}
	}
}
