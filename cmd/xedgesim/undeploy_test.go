package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUndeployFlags(t *testing.T) {
	t.Parallel()
	file, _ := writeManifest(t, "registry.example/acme/hello@sha256:"+strings.Repeat("a", 64))
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no host chosen", []string{"undeploy", "-f", file}, "--host NAME (repeatable) or --all-hosts"},
		{"both", []string{"undeploy", "-f", file, "--host", "edge1", "--all-hosts"}, "not both"},
		{"unknown host", []string{"undeploy", "-f", file, "--host", "edge9"}, `"edge9" is not in the manifest`},
		{"no manifest", []string{"undeploy", "--all-hosts"}, "undeploy needs -f deploy.yaml"},
	} {
		checkRun(t, cli(t, tc.args...), 3, tc.want)
	}
}

// TestUndeployUnreachableHost: a host that cannot be reached fails the
// undeploy (exit 1), and the report says so per host.
func TestUndeployUnreachableHost(t *testing.T) {
	t.Parallel()
	file, _ := writeManifest(t, "registry.example/acme/hello@sha256:"+strings.Repeat("a", 64))
	report := filepath.Join(t.TempDir(), "undeploy.json")
	checkRun(t, cli(t, "undeploy", "-f", file, "--all-hosts", "--report", report), 1, "edge1", "edge2", "connection refused", "FAILED")
	b, err := os.ReadFile(report)
	if err != nil || !strings.Contains(string(b), `"host": "edge2"`) {
		t.Errorf("report: %s (%v)", b, err)
	}
}

// TestGHAUndeployInputs: the action needs hosts or all-hosts, not both,
// and says which input is wrong (exit 3).
func TestGHAUndeployInputs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		input []string
		want  string
	}{
		{"no host", nil, "hosts"},
		{"both", []string{"INPUT_HOSTS=edge1", "INPUT_ALL-HOSTS=true"}, "all-hosts"},
		{"not a boolean", []string{"INPUT_ALL-HOSTS=yes please"}, "all-hosts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ws := t.TempDir()
			r := runEnvDir(t, ws, append([]string{"GITHUB_ACTIONS=true", "GITHUB_OUTPUT=" + filepath.Join(ws, "out"),
				"GITHUB_STEP_SUMMARY=" + filepath.Join(ws, "sum"), "INPUT_MANIFEST=deploy.yaml"}, tc.input...), "gha", "undeploy")
			checkRun(t, r, 3, tc.want)
		})
	}
}
