package build

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// DefaultPlatforms are built when no platform is given: the amd64 gateways
// and arm64 boards of a typical edge fleet.
var DefaultPlatforms = []v1.Platform{
	{OS: "linux", Architecture: "amd64"},
	{OS: "linux", Architecture: "arm64"},
}

// DefaultLDFlags strip the symbol table and DWARF from Go binaries: smaller
// images for edge devices. The module build info stays.
const DefaultLDFlags = "-s -w"

// Option configures a builder. Options are checked when the builder is
// created, all at once.
type Option func(*options) error

// File is an extra file or directory copied into a Go image.
type File struct {
	Src string // on the machine that builds
	Dst string // absolute path in the image
}

type options struct {
	dir       string
	platforms []v1.Platform
	progress  Progress
	created   *time.Time
	sbom      bool
	// provenance, when set, signs and attaches a Go build's provenance.
	provenance *Provenance

	// image configuration
	entrypoint  []string
	cmd         []string
	cmdSet      bool
	env         []string
	user        string
	workdir     string
	ports       []string
	labels      map[string]string
	annotations map[string]string

	// Go builder
	base     string
	files    []File
	ldflags  string
	buildVCS string
	remote   []remote.Option
	nameOpts []name.Option

	// Dockerfile builder
	context   string
	buildArgs []string
	target    string
	builder   string
	docker    string
	goOnly    []string // Go-only options set, for the Dockerfile builder's check
	dfOnly    []string // Dockerfile-only options set, for the Go builder's check
}

func makeOptions(opts ...Option) (*options, error) {
	o := &options{
		dir:         ".",
		progress:    discard{},
		base:        "scratch",
		ldflags:     DefaultLDFlags,
		buildVCS:    "auto",
		context:     ".",
		docker:      "docker",
		labels:      map[string]string{},
		annotations: map[string]string{},
	}
	var errs []error
	for _, opt := range opts {
		errs = append(errs, opt(o))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, inputErr(err)
	}
	if len(o.platforms) == 0 {
		o.platforms = DefaultPlatforms
	}
	return o, nil
}

// WithDir is the directory go and relative paths are resolved from; the
// default is the current directory.
func WithDir(dir string) Option {
	return func(o *options) error {
		if dir == "" {
			return errors.New("dir is empty")
		}
		o.dir = dir
		return nil
	}
}

// WithPlatforms sets the platforms to build; the default is
// [DefaultPlatforms].
func WithPlatforms(ps ...v1.Platform) Option {
	return func(o *options) error {
		seen := map[string]bool{}
		for _, p := range ps {
			if _, err := ParsePlatform(PlatformString(p)); err != nil {
				return err
			}
			if seen[PlatformString(p)] {
				return fmt.Errorf("platform %s is listed twice", PlatformString(p))
			}
			seen[PlatformString(p)] = true
		}
		o.platforms = ps
		return nil
	}
}

// WithProgress sends progress events to p.
func WithProgress(p Progress) Option {
	return func(o *options) error {
		if p == nil {
			return errors.New("progress is nil")
		}
		o.progress = p
		return nil
	}
}

// WithCreated sets every timestamp of the image (config created, history,
// file modification times). The default is the Unix epoch, so builds are
// reproducible; see [SourceDateEpoch].
func WithCreated(t time.Time) Option {
	return func(o *options) error {
		if t.Before(time.Unix(0, 0)) {
			return fmt.Errorf("created time %s is before 1970", t.Format(time.RFC3339))
		}
		t = t.UTC().Truncate(time.Second)
		o.created = &t
		return nil
	}
}

// WithSBOM attaches an SPDX SBOM to every image of a Go build, made from the
// build info embedded in the binary.
func WithSBOM(on bool) Option {
	return func(o *options) error {
		o.sbom = on
		o.goOnly = appendIf(o.goOnly, on, "sbom")
		return nil
	}
}

// WithEntrypoint sets the image's entrypoint; a Go image's default is its
// binary.
func WithEntrypoint(args ...string) Option {
	return func(o *options) error {
		o.entrypoint = args
		o.goOnly = append(o.goOnly, "entrypoint")
		return nil
	}
}

// WithCmd sets the image's default arguments (cmd).
func WithCmd(args ...string) Option {
	return func(o *options) error {
		o.cmd, o.cmdSet = args, true
		o.goOnly = append(o.goOnly, "cmd")
		return nil
	}
}

// WithEnv adds KEY=VALUE environment variables to the image, replacing the
// base's of the same name.
func WithEnv(kvs ...string) Option {
	return func(o *options) error {
		for _, kv := range kvs {
			if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
				return fmt.Errorf("env %q: want KEY=VALUE", kv)
			}
		}
		o.env = append(o.env, kvs...)
		o.goOnly = appendIf(o.goOnly, len(kvs) > 0, "env")
		return nil
	}
}

// WithUser sets the user the image runs as, e.g. 65532 or 65532:65532.
func WithUser(user string) Option {
	return func(o *options) error {
		o.user = user
		o.goOnly = appendIf(o.goOnly, user != "", "user")
		return nil
	}
}

// WithWorkdir sets the image's working directory, an absolute path.
func WithWorkdir(dir string) Option {
	return func(o *options) error {
		if dir != "" && !strings.HasPrefix(dir, "/") {
			return fmt.Errorf("workdir %q: want an absolute path", dir)
		}
		o.workdir = dir
		o.goOnly = appendIf(o.goOnly, dir != "", "workdir")
		return nil
	}
}

// WithPorts declares exposed ports: 8080, 8080/tcp or 5353/udp.
func WithPorts(ports ...string) Option {
	return func(o *options) error {
		for _, p := range ports {
			num, proto, _ := strings.Cut(p, "/")
			if !isPort(num) || (proto != "" && proto != "tcp" && proto != "udp" && proto != "sctp") {
				return fmt.Errorf("port %q: want PORT or PORT/tcp, PORT/udp, PORT/sctp", p)
			}
			if proto == "" {
				p += "/tcp"
			}
			o.ports = append(o.ports, p)
		}
		o.goOnly = appendIf(o.goOnly, len(ports) > 0, "port")
		return nil
	}
}

// WithLabels adds labels to the image config (and, for a Dockerfile build,
// passes them to buildx as --label).
func WithLabels(labels map[string]string) Option {
	return func(o *options) error {
		for k := range labels {
			if k == "" {
				return errors.New("a label has an empty key")
			}
		}
		maps.Copy(o.labels, labels)
		return nil
	}
}

// WithAnnotations adds annotations to the index and every image manifest.
func WithAnnotations(annotations map[string]string) Option {
	return func(o *options) error {
		for k := range annotations {
			if k == "" {
				return errors.New("an annotation has an empty key")
			}
		}
		maps.Copy(o.annotations, annotations)
		return nil
	}
}

// WithBase sets the base image of a Go build: "scratch" (the default), an
// OCI layout "oci:<dir>", or a registry reference resolved per platform.
func WithBase(base string) Option {
	return func(o *options) error {
		if base == "" {
			base = "scratch"
		}
		if dir, ok := strings.CutPrefix(base, "oci:"); ok && dir == "" {
			return errors.New(`base "oci:": want oci:<dir>`)
		}
		o.base = base
		o.goOnly = appendIf(o.goOnly, base != "scratch", "base")
		return nil
	}
}

// WithFiles copies files or directories into a Go image, in a layer below
// the binary's.
func WithFiles(files ...File) Option {
	return func(o *options) error {
		for _, f := range files {
			if f.Src == "" || !strings.HasPrefix(f.Dst, "/") {
				return fmt.Errorf("file %s:%s: want SRC:DST with an absolute DST", f.Src, f.Dst)
			}
		}
		o.files = append(o.files, files...)
		o.goOnly = appendIf(o.goOnly, len(files) > 0, "file")
		return nil
	}
}

// ParseFile parses SRC:DST.
func ParseFile(s string) (File, error) {
	src, dst, ok := strings.Cut(s, ":")
	if !ok || src == "" || !strings.HasPrefix(dst, "/") {
		return File{}, inputErr(fmt.Errorf("file %q: want SRC:DST with an absolute DST, such as config.json:/etc/app/config.json", s))
	}
	return File{Src: src, Dst: dst}, nil
}

// WithLDFlags sets go build's -ldflags; the default is [DefaultLDFlags].
func WithLDFlags(flags string) Option {
	return func(o *options) error {
		o.ldflags = flags
		return nil
	}
}

// WithBuildVCS sets go build's -buildvcs: "auto" (the default), "true" or
// "false". With "false" the binary records no commit, so the same source
// gives the same image in any checkout.
func WithBuildVCS(mode string) Option {
	return func(o *options) error {
		switch mode {
		case "auto", "true", "false":
			o.buildVCS = mode
			return nil
		}
		return fmt.Errorf("buildvcs %q: want auto, true or false", mode)
	}
}

// WithRemoteOptions are used to read a registry base image (auth,
// transport).
func WithRemoteOptions(opts ...remote.Option) Option {
	return func(o *options) error {
		o.remote = append(o.remote, opts...)
		return nil
	}
}

// WithNameOptions are used to parse a registry base image's reference,
// e.g. name.Insecure for a plain-HTTP registry.
func WithNameOptions(opts ...name.Option) Option {
	return func(o *options) error {
		o.nameOpts = append(o.nameOpts, opts...)
		return nil
	}
}

// WithContextDir is a Dockerfile build's context directory; the default is
// the current directory.
func WithContextDir(dir string) Option {
	return func(o *options) error {
		if dir == "" {
			dir = "."
		}
		o.context = dir
		o.dfOnly = appendIf(o.dfOnly, dir != ".", "context")
		return nil
	}
}

// WithBuildArgs passes KEY=VALUE build arguments to a Dockerfile build.
func WithBuildArgs(kvs ...string) Option {
	return func(o *options) error {
		for _, kv := range kvs {
			if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
				return fmt.Errorf("build arg %q: want KEY=VALUE", kv)
			}
		}
		o.buildArgs = append(o.buildArgs, kvs...)
		o.dfOnly = appendIf(o.dfOnly, len(kvs) > 0, "build-arg")
		return nil
	}
}

// WithTarget builds one stage of a multi-stage Dockerfile.
func WithTarget(target string) Option {
	return func(o *options) error {
		o.target = target
		o.dfOnly = appendIf(o.dfOnly, target != "", "target")
		return nil
	}
}

// WithBuilder names the buildx builder; the default is the current one.
func WithBuilder(name string) Option {
	return func(o *options) error {
		o.builder = name
		o.dfOnly = appendIf(o.dfOnly, name != "", "builder")
		return nil
	}
}

// WithDocker is the docker CLI to run; the default is "docker" on PATH.
func WithDocker(path string) Option {
	return func(o *options) error {
		if path == "" {
			return errors.New("docker path is empty")
		}
		o.docker = path
		return nil
	}
}

func (o *options) createdAt() time.Time {
	if o.created != nil {
		return *o.created
	}
	return time.Unix(0, 0).UTC()
}

func appendIf(list []string, cond bool, s string) []string {
	if cond {
		return append(list, s)
	}
	return list
}

func isPort(s string) bool {
	if s == "" || len(s) > 5 {
		return false
	}
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
		n = n*10 + int(r-'0')
	}
	return n > 0 && n < 65536
}
