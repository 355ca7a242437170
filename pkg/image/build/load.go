package build

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// LoadDockerfile builds a Dockerfile for one platform into the Docker
// Engine the docker CLI talks to, tagged tag, and returns the image's ID.
//
// It runs `docker buildx build --load`, which every buildx driver
// supports: the default `docker` driver builds inside the engine (it
// cannot export an OCI layout: "OCI exporter is not supported"), and a
// BuildKit builder (docker-container, remote) sends the image to the
// engine. A run that needs the image in the engine, and not its bytes,
// takes this path rather than [NewDockerfile]'s. It takes the Dockerfile
// builder's options (WithContextDir, WithDir, WithPlatforms with one
// platform, WithBuildArgs, WithTarget, WithLabels, WithBuilder,
// WithDocker).
func LoadDockerfile(ctx context.Context, file, tag string, opts ...Option) (string, error) {
	o, err := makeOptions(opts...)
	if err != nil {
		return "", err
	}
	b := &dockerfileBuilder{file: file, o: o}
	var errs []error
	if file == "" {
		errs = append(errs, errors.New("no Dockerfile given"))
	}
	if len(o.platforms) != 1 {
		errs = append(errs, fmt.Errorf("a build into the engine is for one platform, got %d", len(o.platforms)))
	}
	if len(o.goOnly) > 0 {
		errs = append(errs, fmt.Errorf("%s applies to Go builds only; write it in the Dockerfile", strings.Join(o.goOnly, ", ")))
	}
	if _, err := name.NewTag(tag); err != nil {
		errs = append(errs, fmt.Errorf("tag %q: %w", tag, err))
	}
	if err := errors.Join(errs...); err != nil {
		return "", inputErr(err)
	}
	if info, err := os.Stat(b.abs(file)); err != nil || info.IsDir() {
		//lint:ignore ST1005 the message starts with the file's kind, a proper noun
		return "", inputErr(fmt.Errorf("Dockerfile %s: no such file", file))
	}
	if info, err := os.Stat(b.abs(o.context)); err != nil || !info.IsDir() {
		return "", inputErr(fmt.Errorf("build context %s: no such directory", o.context))
	}
	tmp, err := os.MkdirTemp("", "xedgesim-buildx-")
	if err != nil {
		return "", fmt.Errorf("creating build directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	iid := filepath.Join(tmp, "iid")
	o.progress.Report(Event{Step: "buildx", Detail: file})
	cmd := exec.CommandContext(ctx, o.docker, b.loadArgs(tag, iid)...) // #nosec G204 -- argv, no shell: docker buildx with validated options
	cmd.Dir = o.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("docker buildx build --load: %s", buildxError(out, err))
	}
	id, err := os.ReadFile(iid) // #nosec G304 -- our own temporary file
	if err != nil {
		return "", fmt.Errorf("reading the built image's ID: %w", err)
	}
	return strings.TrimSpace(string(id)), nil
}

// loadArgs are buildx's arguments for a build into the engine.
func (b *dockerfileBuilder) loadArgs(tag, iidFile string) []string {
	o := b.o
	args := []string{"buildx", "build"}
	if o.builder != "" {
		args = append(args, "--builder", o.builder)
	}
	args = append(args,
		"--file", b.abs(b.file),
		"--platform", PlatformString(o.platforms[0]),
		"--provenance=false", "--sbom=false",
		"--load", "--tag", tag,
		"--iidfile", iidFile,
		"--progress", "plain",
	)
	return append(b.buildxInputs(args), b.abs(o.context))
}
