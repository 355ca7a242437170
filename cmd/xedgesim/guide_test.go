package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xedgesim/simulate/internal/testbed"
)

// guideImage is the image the deployability guide's mqtt_test.yaml names
// beside its build_context.
const guideImage = "xedgesim/mosquitto:latest"

// TestGuideMQTTScenarioAsWritten: the deployability guide's
// scenarios/mqtt_test.yaml, copied verbatim (testdata/guide) into a
// repository with containers/mqtt-broker/Dockerfile at its root, runs from
// that root and passes. Its build_context is relative to the root, not to
// scenarios/, so it resolves against the working directory, as upstream
// does, with a note. The engine has no xedgesim/mosquitto:latest, so the
// image is built on buildx's default `docker` driver (which cannot export
// an OCI layout) and tagged so; a second run finds it in the engine and
// builds nothing, even with the Dockerfile gone.
func TestGuideMQTTScenarioAsWritten(t *testing.T) {
	env := testbed.Need(t, testbed.PartDocker, testbed.PartBuildx)
	if out, err := dockerCLI(t, env, "buildx", "inspect", "default"); err != nil || !builderDriver(out, "docker") {
		t.Fatalf("buildx builder default is not the docker driver: %v\n%s", err, out)
	}
	// What a killed run of this test left goes first; the run must build.
	_, _ = dockerCLI(t, env, "image", "rm", guideImage)
	t.Cleanup(func() { _, _ = dockerCLI(t, env, "image", "rm", guideImage) })

	root := t.TempDir()
	bctx := filepath.Join(root, "containers", "mqtt-broker")
	if err := os.MkdirAll(filepath.Join(root, "scenarios"), 0o755); err != nil {
		t.Fatal(err)
	}
	guide, err := os.ReadFile("testdata/guide/mqtt_test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "scenarios", "mqtt_test.yaml"), guide, 0o644); err != nil {
		t.Fatal(err)
	}
	build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(bctx, "broker"), "../../nodes/broker")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	df := "FROM scratch\nCOPY broker /broker\nEXPOSE 1883\nENTRYPOINT [\"/broker\"]\n"
	if err := os.WriteFile(filepath.Join(bctx, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}

	run := func(file string) (int, string, guideSummary) {
		t.Helper()
		out := t.TempDir()
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, xedgesim, "simulate", "--out", out, file)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "DOCKER_HOST="+env.DockerHost, "BUILDX_BUILDER=default",
			"PATH="+filepath.Dir(env.Docker)+string(os.PathListSeparator)+os.Getenv("PATH"))
		var buf bytes.Buffer
		cmd.Stdout, cmd.Stderr = &buf, &buf
		err := cmd.Run()
		code := cmd.ProcessState.ExitCode()
		if err != nil && code <= 0 {
			t.Fatalf("simulate: %v\n%s", err, buf.String())
		}
		if left := containersOf(t, env, cmd.Process.Pid); left != "" {
			t.Errorf("containers left by the run: %s", left)
		}
		var s guideSummary
		if data, err := os.ReadFile(filepath.Join(out, "summary.json")); err != nil || json.Unmarshal(data, &s) != nil {
			t.Fatalf("summary.json: %v\n%s", err, buf.String())
		}
		return code, buf.String(), s
	}

	code, out, s := run("scenarios/mqtt_test.yaml")
	if code != 0 || s.Verdict != "pass" {
		t.Fatalf("exit %d, verdict %q; want 0, pass\n%s", code, s.Verdict, out)
	}
	want := "docker.build_context containers/mqtt-broker: nothing there relative to the scenario's directory; using " + filepath.Join(root, "containers", "mqtt-broker")
	if !s.warned(want) || !strings.Contains(out, want) {
		t.Errorf("no note that build_context resolved against the working directory (%q) in %v\n%s", want, s.Warnings, out)
	}
	broker := s.node(t, "mqtt-broker")
	if broker.Image != guideImage || !strings.HasPrefix(broker.ImageDigest, "sha256:") || broker.Platform != "linux/amd64" {
		t.Errorf("mqtt-broker ran %q (%s, %s); want %s by its ID", broker.Image, broker.ImageDigest, broker.Platform, guideImage)
	}
	if id, err := dockerCLI(t, env, "image", "inspect", "--format", "{{.Id}}", guideImage); err != nil || id != broker.ImageDigest {
		t.Fatalf("the run did not leave %s tagged as it built it: %q, %v", guideImage, id, err)
	}

	// The engine has the image now: the next run uses it, and builds
	// nothing (there is nothing left to build from).
	if err := os.Remove(filepath.Join(bctx, "Dockerfile")); err != nil {
		t.Fatal(err)
	}
	short := strings.Replace(string(guide), "duration_s: 60", "duration_s: 2", 1)
	if err := os.WriteFile(filepath.Join(root, "scenarios", "short.yaml"), []byte(short), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, s = run("scenarios/short.yaml")
	if code != 0 {
		t.Fatalf("second run: exit %d, want 0\n%s", code, out)
	}
	if !s.warned("image "+guideImage+" is in the engine: it runs as it is") || s.node(t, "mqtt-broker").ImageDigest != broker.ImageDigest {
		t.Errorf("second run: not the engine's image, or no note saying so: %v %+v\n%s", s.Warnings, s.node(t, "mqtt-broker"), out)
	}
}

// builderDriver tells whether `docker buildx inspect` output names driver.
func builderDriver(out, driver string) bool {
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "Driver" {
			return strings.TrimSpace(v) == driver
		}
	}
	return false
}

type guideSummary struct {
	Verdict  string      `json:"verdict"`
	Warnings []string    `json:"warnings"`
	Nodes    []guideNode `json:"nodes"`
}

type guideNode struct {
	ID          string `json:"id"`
	Image       string `json:"image"`
	ImageDigest string `json:"image_digest"`
	Platform    string `json:"platform"`
}

func (s guideSummary) warned(sub string) bool {
	for _, w := range s.Warnings {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}

func (s guideSummary) node(t *testing.T, id string) guideNode {
	t.Helper()
	for _, x := range s.Nodes {
		if x.ID == id {
			return x
		}
	}
	t.Fatalf("no node %s in summary.json", id)
	return guideNode{}
}
