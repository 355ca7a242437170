package provenance

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func buildInfo(vcs bool) *debug.BuildInfo {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.0",
		Path:      "example.com/app/cmd/app",
		Main:      debug.Module{Path: "example.com/app", Version: "(devel)"},
		Deps: []*debug.Module{
			{Path: "golang.org/x/sys", Version: "v0.30.0", Sum: "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
			{Path: "example.com/old", Version: "v1.0.0", Sum: "h1:x", Replace: &debug.Module{Path: "example.com/fork", Version: "v1.0.1", Sum: "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}},
			{Path: "example.com/nosum", Version: "v0.1.0"},
		},
	}
	if vcs {
		bi.Settings = []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"}}
	}
	return bi
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestForGoGolden(t *testing.T) {
	t.Parallel()
	started := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	img := func(vcs bool) Image {
		return Image{Name: "app", Index: "sha256:" + strings.Repeat("a", 64), Platforms: []Platform{
			{Platform: "linux/amd64", Digest: "sha256:" + strings.Repeat("b", 64), BuildInfo: buildInfo(vcs)},
			{Platform: "linux/arm64", Digest: "sha256:" + strings.Repeat("c", 64), BuildInfo: buildInfo(vcs)},
		}}
	}
	for _, tc := range []struct {
		name string
		g    Go
	}{
		{"actions", Go{
			Image: img(false), Package: "./cmd/app", Parameters: map[string]any{"platforms": []string{"linux/amd64", "linux/arm64"}, "base": "oci:base"},
			Base: "registry.example/base@sha256:" + strings.Repeat("d", 64), ToolVersion: "v1.2.3", Started: started, Ended: started.Add(3 * time.Second),
			Getenv: env(map[string]string{
				"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/app", "GITHUB_SHA": strings.Repeat("e", 40),
				"GITHUB_REF": "refs/tags/v1.0.0", "GITHUB_WORKFLOW_REF": "acme/app/.github/workflows/release.yml@refs/tags/v1.0.0",
				"GITHUB_RUN_ID": "42", "GITHUB_RUN_ATTEMPT": "2", "GITHUB_EVENT_NAME": "push", "GITHUB_REPOSITORY_ID": "7",
				"GITHUB_REPOSITORY_OWNER_ID": "8", "RUNNER_ENVIRONMENT": "github-hosted",
			}),
		}},
		{"local", Go{Image: img(true), Package: "./cmd/app", Started: started, Ended: started.Add(time.Second)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st, err := ForGo(tc.g)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(st, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tc.name+".json")
			if *update {
				if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(string(want), string(got)+"\n"); d != "" {
				t.Errorf("statement (-want +got):\n%s", d)
			}
		})
	}
}

func TestForGoRefusesAnIndexWithoutSHA256(t *testing.T) {
	t.Parallel()
	if _, err := ForGo(Go{Image: Image{Name: "app", Index: "md5:00"}}); err == nil || !strings.Contains(err.Error(), "not sha256") {
		t.Errorf("ForGo() error = %v, want one about the digest", err)
	}
}

func TestDirHash(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		sum, want string
		ok        bool
	}{
		// in-toto's own example: the empty tree.
		{"h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", true},
		{"h1:not base64!", "", false},
		{"", "", false},
	} {
		got, ok := dirHash(tc.sum)
		if got != tc.want || ok != tc.ok {
			t.Errorf("dirHash(%q) = %q, %v; want %q, %v", tc.sum, got, ok, tc.want, tc.ok)
		}
	}
}
