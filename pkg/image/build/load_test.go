package build

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// A build into the engine is buildx --load of one platform, tagged, with
// its image ID written to a file: what every driver, the default docker
// one included, can do.
func TestLoadArgs(t *testing.T) {
	t.Parallel()
	o, err := makeOptions(WithDir("/src"), WithContextDir("ctx"), WithPlatforms(v1.Platform{OS: "linux", Architecture: "arm64"}),
		WithBuildArgs("A=1"), WithTarget("run"), WithBuilder("b"))
	if err != nil {
		t.Fatal(err)
	}
	got := (&dockerfileBuilder{file: "Dockerfile", o: o}).loadArgs("app:test", "/tmp/iid")
	want := []string{"buildx", "build", "--builder", "b", "--file", "/src/Dockerfile", "--platform", "linux/arm64",
		"--provenance=false", "--sbom=false", "--load", "--tag", "app:test", "--iidfile", "/tmp/iid", "--progress", "plain",
		"--build-arg", "A=1", "--target", "run", "/src/ctx"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("loadArgs (-want +got):\n%s", diff)
	}
}

// Mistakes are input errors, found before buildx runs.
func TestLoadDockerfileMistakes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, file, tag string
		opts            []Option
		want            string
	}{
		{"two platforms", "Dockerfile", "app:1", nil, "one platform, got 2"},
		{"bad tag", "Dockerfile", "App:Bad Tag", []Option{WithPlatforms(v1.Platform{OS: "linux", Architecture: "amd64"})}, `tag "App:Bad Tag"`},
		{"no file", "none/Dockerfile", "app:1", []Option{WithDir(t.TempDir()), WithPlatforms(v1.Platform{OS: "linux", Architecture: "amd64"})}, "no such file"},
	} {
		_, err := LoadDockerfile(context.Background(), tc.file, tc.tag, append(tc.opts, WithDocker("/nonexistent/docker"))...)
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: LoadDockerfile() = %v, want an input error saying %q", tc.name, err, tc.want)
		}
	}
}
