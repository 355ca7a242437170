package deploy

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/xedgesim/simulate/internal/testbed"
	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// randomLayer is a layer holding one file of n random bytes (which do not
// compress, so its compressed size is about n).
func randomLayer(t *testing.T, n int) v1.Layer {
	t.Helper()
	data := make([]byte, n)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	if err := tw.WriteHeader(&tar.Header{Name: "xt/blob", Mode: 0o644, Size: int64(n), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	tw.Write(data)
	tw.Close()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b.Bytes())), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// derive pushes a copy of the index at ref with every platform image
// changed by f, and returns its REPO@sha256:... reference.
func derive(t *testing.T, env *testbed.Env, ref string, f func(platform string, img v1.Image) v1.Image) string {
	t.Helper()
	opts, err := env.Registry.RemoteOptions()
	if err != nil {
		t.Fatal(err)
	}
	d, err := name.NewDigest(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(d, opts...)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var out v1.ImageIndex = mutate.IndexMediaType(empty.Index, im.MediaType)
	for _, m := range im.Manifests {
		img, err := idx.Image(m.Digest)
		if err != nil {
			t.Fatal(err)
		}
		if m.Platform != nil && m.Platform.OS != "unknown" {
			img = f(platformString(*m.Platform), img)
		}
		out = mutate.AppendManifests(out, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: m.Platform, Annotations: m.Annotations}})
	}
	tag := d.Context().Tag(randHex(t))
	if err := remote.WriteIndex(tag, out, opts...); err != nil {
		t.Fatalf("pushing the derived image: %v", err)
	}
	dg, err := out.Digest()
	if err != nil {
		t.Fatal(err)
	}
	r := d.Context().Digest(dg.String())
	t.Cleanup(func() { remote.Delete(r, opts...) })
	return r.String()
}

// edgeRun runs a command on an edge over SSH, for a test's own checks.
func edgeRun(t *testing.T, e testbed.Edge, cmd string) (string, error) {
	t.Helper()
	c, err := transport.Dial(context.Background(), transport.Target{Name: e.Name, Address: e.Addr, Port: e.SSHPort, User: e.User, KnownHosts: e.KnownHosts}, transport.WithKeyFile(e.KeyFile, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out, err := c.Run(context.Background(), cmd, nil)
	return strings.TrimSpace(out), err
}

// TestBedDeployLayerDiff redeploys after a one-layer change: each host is
// sent less than 1.5 times that layer, and a redeploy of the same image
// sends nothing.
func TestBedDeployLayerDiff(t *testing.T) {
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartEdges, testbed.PartArm64)
	v1ref := pushHello(t, env)
	const size = 1 << 20
	layer := randomLayer(t, size)
	layerSize, err := layer.Size()
	if err != nil {
		t.Fatal(err)
	}
	v2ref := derive(t, env, v1ref, func(_ string, img v1.Image) v1.Image {
		img, err := mutate.AppendLayers(img, layer)
		if err != nil {
			t.Fatal(err)
		}
		return img
	})
	service := "xt-layerdiff-" + randHex(t)
	port := freePort(t)
	cleanupEdges(t, env, service)
	ctx := context.Background()
	health := fmt.Sprintf("{http: {port: %d, path: /healthz}, timeout: 60s, window: 1s}", port)
	m := bedManifest(t, env, service, port, health, env.Edges, "rollout: {canary: 1, batch: 2}\n")

	if _, err := Deploy(ctx, m, WithImage(v1ref), WithNameOptions(name.Insecure), WithDeployID("xt-layerdiff-1")); err != nil {
		t.Fatalf("Deploy(v1) = %v", err)
	}
	rep, err := Deploy(ctx, m, WithImage(v2ref), WithNameOptions(name.Insecure), WithDeployID("xt-layerdiff-2"))
	if err != nil {
		t.Fatalf("Deploy(v2) = %v", err)
	}
	for _, h := range rep.Hosts {
		t.Logf("%s: sent %d bytes for a %d-byte layer (%.2fx)", h.Host, h.BytesSent, layerSize, float64(h.BytesSent)/float64(layerSize))
		if h.Result != ResultDeployed || h.BytesSent < layerSize || float64(h.BytesSent) >= 1.5*float64(layerSize) {
			t.Errorf("%s: %s, sent %d bytes, want deployed with between %d and 1.5x that", h.Host, h.Result, h.BytesSent, layerSize)
		}
	}
	for _, e := range env.Edges {
		if got := get(t, fmt.Sprintf("http://%s:%d/", e.Addr, port)); got != "hello from "+e.Platform {
			t.Errorf("%s answers %q after the redeploy", e.Name, got)
		}
		// The new layer is really there: the file is in the container.
		if out, err := edgeRun(t, e, "docker cp "+service+":/xt/blob - | wc -c"); err != nil || atoi(out) < size {
			t.Errorf("%s: the new layer's file in the container: %q, %v", e.Name, out, err)
		}
	}
	if _, err := Verify(ctx, m, WithImage(v2ref), WithNameOptions(name.Insecure)); err != nil {
		t.Errorf("Verify(v2) = %v", err)
	}

	// The same image again: the engines have it, nothing is sent.
	rep, err = Deploy(ctx, m, WithImage(v2ref), WithNameOptions(name.Insecure), WithDeployID("xt-layerdiff-3"))
	if err != nil {
		t.Fatalf("Deploy(v2 again) = %v", err)
	}
	for _, h := range rep.Hosts {
		if h.Result != ResultDeployed || h.BytesSent != 0 {
			t.Errorf("%s again: %s, sent %d bytes, want deployed with 0", h.Host, h.Result, h.BytesSent)
		}
	}
}

func atoi(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return -1
	}
	return n
}
