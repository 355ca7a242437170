package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/xedgesim/simulate/internal/testbed"
	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// cliReport is the part of deploy --report's JSON the test reads.
type cliReport struct {
	DeployID string `json:"deploy_id"`
	Image    string `json:"image"`
	Hosts    []struct {
		Host       string `json:"host"`
		Platform   string `json:"platform"`
		OldDigest  string `json:"old_digest"`
		NewDigest  string `json:"new_digest"`
		BytesSent  int64  `json:"bytes_sent"`
		Duration   int64  `json:"duration_ns"`
		Result     string `json:"result"`
		RolledBack bool   `json:"rolled_back"`
		Error      string `json:"error"`
	} `json:"hosts"`
}

func readReport(t *testing.T, file string) cliReport {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var r cliReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s: %v\n%s", file, err, b)
	}
	return r
}

func hexID(t *testing.T) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func httpGet(url string) string {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return "error: " + err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b))
}

// TestDeployVerifyOnTheBed runs xedgesim deploy and verify as a workflow
// does, against the three edges: a two-platform image with canary + batch
// (edge3 runs the arm64 variant), verify, a redeploy after a one-layer
// change that moves about that layer, and a deploy whose health check fails
// on edge3, which rolls every host back (exit 2). The report JSON and the
// step summary table are checked each time.
func TestDeployVerifyOnTheBed(t *testing.T) {
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartEdges, testbed.PartArm64)
	id := hexID(t)
	service := "xt-cli-" + id
	n, _ := rand.Int(rand.Reader, big.NewInt(10000))
	port := 30000 + int(n.Int64())
	dir := t.TempDir()
	repo := env.Registry.EdgeHost + "/xt-cli/hello"

	build := func(tag string, extra ...string) string {
		t.Helper()
		args := append([]string{"build", "--go", "../../nodes/hello", "--platform", "linux/amd64,linux/arm64", "--buildvcs", "false",
			"--label", "xedgesim.test=" + service, "--push", "--tag", repo + ":" + tag, "--insecure"}, extra...)
		r := cli(t, args...)
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if r.code != 0 {
			t.Fatalf("build: exit %d\n%s", r.code, r.stderr)
		}
		ref := lines[len(lines)-1]
		t.Cleanup(func() {
			d, err := name.NewDigest(ref, name.Insecure)
			if err == nil {
				opts, _ := env.Registry.RemoteOptions()
				remote.Delete(d, opts...)
			}
		})
		return ref
	}
	// A base with a 1 MiB layer, and two images on it that differ in their
	// top layer only (the binary, built with other -ldflags).
	blob := make([]byte, 1<<20)
	rand.Read(blob)
	blobFile := filepath.Join(dir, "blob")
	if err := os.WriteFile(blobFile, blob, 0o644); err != nil {
		t.Fatal(err)
	}
	base := build(id+"-base", "--file", blobFile+":/xt/blob")
	v1 := build(id+"-1", "--base", base, "--ldflags", "-s -w -X main.xt=1")
	v2 := build(id+"-2", "--base", base, "--ldflags", "-s -w -X main.xt=2")
	topLayer := topLayerSizes(t, env, v2)
	t.Cleanup(func() {
		for _, e := range env.Edges {
			c, err := transport.Dial(context.Background(), transport.Target{Name: e.Name, Address: e.Addr, Port: e.SSHPort, User: e.User, KnownHosts: e.KnownHosts}, transport.WithKeyFile(e.KeyFile, ""))
			if err != nil {
				t.Logf("cleaning up %s: %v", e.Name, err)
				continue
			}
			c.Run(context.Background(), fmt.Sprintf(`docker ps -aq --filter label=xedgesim.service=%[1]s | xargs -r docker rm -f >/dev/null; docker images --format '{{.Repository}}:{{.Tag}}' 'xedgesim.local/%[1]s' | xargs -r docker image rm >/dev/null; true`, service), nil)
			c.Close()
		}
	})

	writeManifest := func(file, health string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "image: %s\nservice:\n  name: %s\n  ports: [\"%d:8080\"]\n  health: %s\ntransfer: scp\nhosts:\n", v1, service, port, health)
		for _, e := range env.Edges {
			platform := ""
			if e.Name == "edge3" {
				platform = "platform: " + e.Platform + ", "
			}
			fmt.Fprintf(&b, "  - {name: %s, address: %s, port: %d, user: %s, %sknown_hosts: %q}\n", e.Name, e.Addr, e.SSHPort, e.User, platform, e.KnownHosts)
		}
		fmt.Fprintf(&b, "rollout: {canary: 1, batch: 2, max_failures: 0, rollback: true}\nssh: {key: %s, timeout: 10s}\n", env.Edges[0].KeyFile)
		path := filepath.Join(dir, file)
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := writeManifest("deploy.yaml", fmt.Sprintf("{http: {port: %d, path: /healthz}, timeout: 60s, window: 1s}", port))
	summary := filepath.Join(dir, "summary.md")
	envs := []string{"GITHUB_STEP_SUMMARY=" + summary, "GITHUB_ACTIONS="}

	// 1. The two-platform image, canary then a batch of two.
	rep1 := filepath.Join(dir, "report1.json")
	r := cliEnv(t, envs, "deploy", "-f", good, "--insecure", "--report", rep1)
	checkRun(t, r, 0, "edge1: transfer:", "edge3: done: deployed", "HOST", "ROLLED BACK")
	rep := readReport(t, rep1)
	if rep.Image != v1 || len(rep.Hosts) != 3 {
		t.Fatalf("report: %+v", rep)
	}
	_, digest1, _ := strings.Cut(v1, "@")
	for i, h := range rep.Hosts {
		e := env.Edges[i]
		if h.Host != e.Name || h.Platform != e.Platform || h.NewDigest != digest1 || h.Result != "deployed" || h.RolledBack || h.Duration <= 0 {
			t.Errorf("report host %d: %+v", i, h)
		}
		if got := httpGet(fmt.Sprintf("http://%s:%d/", e.Addr, port)); got != "hello from "+e.Platform {
			t.Errorf("%s answers %q, want hello from %s", e.Name, got, e.Platform)
		}
	}
	sum, _ := os.ReadFile(summary)
	for _, want := range []string{"### xedgesim deploy", "| host | platform | old digest | new digest | sent | time | result | rolled back |", "| edge3 | linux/arm64 | `-` | `" + digest1[:19] + "` |"} {
		if !strings.Contains(string(sum), want) {
			t.Errorf("step summary lacks %q:\n%s", want, sum)
		}
	}

	// 2. verify passes.
	r = cliEnv(t, envs, "verify", "-f", good, "--insecure")
	checkRun(t, r, 0, "RESTARTS STABLE")
	if strings.Count(r.stdout, " ok\n") != 3 {
		t.Errorf("verify: want three hosts ok:\n%s", r.stdout)
	}

	// 3. One more layer: each host gets about that layer.
	rep2 := filepath.Join(dir, "report2.json")
	r = cliEnv(t, envs, "deploy", "-f", good, "--insecure", "--image", v2, "--report", rep2)
	checkRun(t, r, 0)
	_, digest2, _ := strings.Cut(v2, "@")
	for _, h := range readReport(t, rep2).Hosts {
		layer := topLayer[h.Platform]
		t.Logf("%s: %d bytes sent for a %d-byte layer (%.2fx)", h.Host, h.BytesSent, layer, float64(h.BytesSent)/float64(layer))
		if h.Result != "deployed" || h.OldDigest != digest1 || h.NewDigest != digest2 || layer == 0 || h.BytesSent < layer || float64(h.BytesSent) >= 1.5*float64(layer) {
			t.Errorf("redeploy %s: %+v, want about %d bytes sent", h.Host, h, layer)
		}
	}
	if r = cliEnv(t, envs, "verify", "-f", good, "--insecure", "--image", v2); r.code != 0 {
		t.Errorf("verify v2: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// 4. A health check that fails on edge3 only: edge1 and edge2 were
	// updated, and are rolled back with it. 10 s lets the canary's check
	// (a container start and a probe over SSH) pass on a loaded runner,
	// where 3 s did not; edge3 fails it whatever the time.
	bad := writeManifest("bad.yaml", `{cmd: '[ "$XEDGESIM_EDGE" != edge3 ]', timeout: 10s, window: 1s}`)
	rep3 := filepath.Join(dir, "report3.json")
	r = cliEnv(t, envs, "deploy", "-f", bad, "--insecure", "--report", rep3)
	checkRun(t, r, 2, "edge3", "rolled back")
	for _, h := range readReport(t, rep3).Hosts {
		if h.Result != "rolled back" || !h.RolledBack || h.OldDigest != digest2 {
			t.Errorf("failed deploy %s: %+v, want rolled back", h.Host, h)
		}
	}
	for _, e := range env.Edges {
		if got := httpGet(fmt.Sprintf("http://%s:%d/", e.Addr, port)); got != "hello from "+e.Platform {
			t.Errorf("after the rollback %s answers %q", e.Name, got)
		}
	}
	sum, _ = os.ReadFile(summary)
	if !strings.Contains(string(sum), "| rolled back | yes |") || strings.Count(string(sum), "### xedgesim deploy") != 3 {
		t.Errorf("step summary after the rollback:\n%s", sum)
	}
	if r = cliEnv(t, envs, "verify", "-f", good, "--insecure", "--image", v2); r.code != 0 {
		t.Errorf("verify v2 after the rollback: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// verify of the image that was rolled back fails: exit 2.
	r = cliEnv(t, envs, "verify", "-f", good, "--insecure")
	checkRun(t, r, 2, "want "+digest1)
}

// topLayerSizes gives the compressed size of the top layer of each
// platform's image of ref.
func topLayerSizes(t *testing.T, env *testbed.Env, ref string) map[string]int64 {
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
	sizes := map[string]int64{}
	for _, m := range im.Manifests {
		if m.Platform == nil || m.Platform.OS == "unknown" {
			continue
		}
		img, err := idx.Image(m.Digest)
		if err != nil {
			t.Fatal(err)
		}
		mf, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		sizes[m.Platform.OS+"/"+m.Platform.Architecture] = mf.Layers[len(mf.Layers)-1].Size
	}
	return sizes
}
