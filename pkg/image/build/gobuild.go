package build

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// AppDir is where a Go image holds its binary: /usr/local/bin/<name>.
const AppDir = "/usr/local/bin"

// goBuilder builds a Go main package into an image per platform.
type goBuilder struct {
	pkg string
	o   *options
}

var _ Builder = (*goBuilder)(nil)

// NewGo returns a [Builder] for the Go main package pkg (an import path or a
// ./relative directory, resolved from [WithDir]). The binary is built with
// CGO_ENABLED=0 and -trimpath for each platform and layered onto the base.
func NewGo(pkg string, opts ...Option) (Builder, error) {
	o, err := makeOptions(opts...)
	if err != nil {
		return nil, err
	}
	var errs []error
	if pkg == "" {
		errs = append(errs, errors.New("no Go package given"))
	}
	if len(o.dfOnly) > 0 {
		errs = append(errs, fmt.Errorf("%s applies to Dockerfile builds only", strings.Join(o.dfOnly, ", ")))
	}
	for _, p := range o.platforms {
		if p.OS != "linux" {
			errs = append(errs, fmt.Errorf("platform %s: Go images are built for linux only", PlatformString(p)))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, inputErr(err)
	}
	return &goBuilder{pkg: pkg, o: o}, nil
}

// goPackage is what go list says about the package.
type goPackage struct {
	name       string // package name, must be main
	importPath string
	binName    string
}

func (b *goBuilder) list(ctx context.Context) (goPackage, error) {
	out, err := goCommand(ctx, b.o.dir, os.Environ(), "list", "-f", "{{.Name}} {{.ImportPath}}", "--", b.pkg)
	if err != nil {
		if ctx.Err() != nil {
			return goPackage{}, ctx.Err()
		}
		//lint:ignore ST1005 the message names the user's Go package; "Go" is a proper noun
		return goPackage{}, inputErr(fmt.Errorf("Go package %s: %s", b.pkg, firstLine(out, err)))
	}
	fields := strings.Fields(string(bytes.TrimSpace(out)))
	if len(fields) != 2 {
		if len(fields) > 2 {
			//lint:ignore ST1005 the message names the user's Go package; "Go" is a proper noun
			return goPackage{}, inputErr(fmt.Errorf("Go package %s names several packages; build one main package", b.pkg))
		}
		return goPackage{}, fmt.Errorf("listing Go package %s: unexpected output %q", b.pkg, out)
	}
	p := goPackage{name: fields[0], importPath: fields[1], binName: path.Base(fields[1])}
	if p.name != "main" {
		//lint:ignore ST1005 the message names the user's Go package; "Go" is a proper noun
		return p, inputErr(fmt.Errorf("Go package %s is package %s, not a main package: give the directory of a program (package main)", b.pkg, p.name))
	}
	if p.importPath == "command-line-arguments" {
		//lint:ignore ST1005 the message names the user's Go package; "Go" is a proper noun
		return p, inputErr(fmt.Errorf("Go package %s: give a package directory or import path, not .go files", b.pkg))
	}
	return p, nil
}

// Build implements [Builder].
func (b *goBuilder) Build(ctx context.Context) (*Result, error) {
	o := b.o
	started := time.Now()
	created := o.createdAt()
	pkg, err := b.list(ctx)
	if err != nil {
		return nil, err
	}
	o.progress.Report(Event{Step: "resolve", Detail: "base " + o.base})
	base, err := resolveBase(ctx, o.base, o.remote, o.nameOpts)
	if err != nil {
		return nil, err
	}
	if err := base.check(o.platforms); err != nil {
		return nil, err
	}
	var filesLayer v1.Layer
	if len(o.files) > 0 {
		entries, err := filesEntries(o.dir, o.files)
		if err != nil {
			return nil, err
		}
		if filesLayer, err = layerFromEntries(entries, created); err != nil {
			return nil, err
		}
	}
	tmp, err := os.MkdirTemp("", "xedgesim-build-")
	if err != nil {
		return nil, fmt.Errorf("creating build directory: %w", err)
	}
	defer os.RemoveAll(tmp)

	images := make([]PlatformImage, len(o.platforms))
	sboms := make([][]byte, len(o.platforms))
	errs := make([]error, len(o.platforms))
	var wg sync.WaitGroup
	for i, p := range o.platforms {
		wg.Go(func() {
			images[i], sboms[i], errs[i] = b.buildPlatform(ctx, pkg, base, filesLayer, p, filepath.Join(tmp, fmt.Sprint(i)))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	res, err := assemble(pkg.binName, images, o.annotations, created)
	if err != nil {
		return nil, err
	}
	if o.sbom {
		for i, pi := range res.Platforms {
			o.progress.Report(Event{Step: "sbom", Platform: PlatformString(pi.Platform)})
			ref, err := sbomReferrer(sboms[i], pi, created)
			if err != nil {
				return nil, err
			}
			res.Referrers = append(res.Referrers, ref)
		}
	}
	if o.provenance != nil {
		o.progress.Report(Event{Step: "provenance"})
		ref, err := b.provenanceReferrer(ctx, res, pkg, base, started)
		if err != nil {
			return nil, err
		}
		res.Referrers = append(res.Referrers, ref)
	}
	return res, nil
}

// goEnv is the environment of go build for a platform.
func goEnv(p v1.Platform) []string {
	env := append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Architecture)
	switch p.Architecture {
	case "arm":
		v := strings.TrimPrefix(p.Variant, "v")
		if v == "" {
			v = "7"
		}
		env = append(env, "GOARM="+v)
	case "amd64":
		if p.Variant != "" {
			env = append(env, "GOAMD64="+p.Variant)
		}
	case "arm64":
		if p.Variant != "" {
			env = append(env, "GOARM64="+p.Variant+".0")
		}
	}
	return env
}

func (b *goBuilder) buildPlatform(ctx context.Context, pkg goPackage, base *baseImage, filesLayer v1.Layer, p v1.Platform, out string) (PlatformImage, []byte, error) {
	o := b.o
	ps := PlatformString(p)
	o.progress.Report(Event{Step: "compile", Platform: ps, Detail: pkg.importPath})
	args := []string{"build", "-trimpath", "-buildvcs=" + o.buildVCS, "-ldflags=" + o.ldflags, "-o", out, "--", b.pkg}
	if msg, err := goCommand(ctx, o.dir, goEnv(p), args...); err != nil {
		if ctx.Err() != nil {
			return PlatformImage{}, nil, ctx.Err()
		}
		return PlatformImage{}, nil, fmt.Errorf("compiling %s for %s: %s", pkg.importPath, ps, firstLines(msg, err, 5))
	}
	bin, err := os.ReadFile(out) // #nosec G304 -- the binary our go build just wrote to out
	if err != nil {
		return PlatformImage{}, nil, fmt.Errorf("reading binary: %w", err)
	}
	bi, err := buildinfo.Read(bytes.NewReader(bin))
	if err != nil {
		return PlatformImage{}, nil, fmt.Errorf("reading build info of %s: %w", pkg.binName, err)
	}
	var sbom []byte
	if o.sbom {
		if sbom, err = SBOMFromBuildInfo(bi, pkg.binName+" "+ps, o.createdAt()); err != nil {
			return PlatformImage{}, nil, err
		}
	}
	o.progress.Report(Event{Step: "layer", Platform: ps, Detail: fmt.Sprintf("%d bytes", len(bin))})
	binPath := path.Join(AppDir, pkg.binName)
	appLayer, err := layerFromEntries([]entry{{path: binPath, mode: 0o755, data: bin}}, o.createdAt())
	if err != nil {
		return PlatformImage{}, nil, err
	}
	img, err := base.forPlatform(p)
	if err != nil {
		return PlatformImage{}, nil, err
	}
	createdBy := "xedgesim build --go " + pkg.importPath
	hist := v1.History{Created: v1.Time{Time: o.createdAt()}, CreatedBy: createdBy}
	mt, err := img.MediaType()
	if err != nil {
		return PlatformImage{}, nil, fmt.Errorf("reading base manifest: %w", err)
	}
	layerType := types.OCILayer
	if mt == types.DockerManifestSchema2 {
		layerType = types.DockerLayer
	}
	var adds []mutate.Addendum
	if filesLayer != nil {
		adds = append(adds, mutate.Addendum{Layer: filesLayer, History: v1.History{Created: hist.Created, CreatedBy: createdBy + " --file", Comment: "files"}, MediaType: layerType})
	}
	adds = append(adds, mutate.Addendum{Layer: appLayer, History: hist, MediaType: layerType})
	if img, err = mutate.Append(img, adds...); err != nil {
		return PlatformImage{}, nil, fmt.Errorf("appending layers: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return PlatformImage{}, nil, fmt.Errorf("reading config: %w", err)
	}
	cf = cf.DeepCopy()
	b.configure(cf, p, binPath)
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return PlatformImage{}, nil, fmt.Errorf("setting config: %w", err)
	}
	anns := map[string]string{}
	for k, v := range o.annotations {
		anns[k] = v
	}
	if base.name != "" {
		anns["org.opencontainers.image.base.name"] = base.name
	}
	if base.digest != "" {
		anns["org.opencontainers.image.base.digest"] = base.digest
	}
	if len(anns) > 0 {
		img = mutate.Annotations(img, anns).(v1.Image)
	}
	pi, err := describe(img, p)
	pi.BuildInfo = bi
	return pi, sbom, err
}

// configure sets the image config: platform, time, entrypoint and the rest.
func (b *goBuilder) configure(cf *v1.ConfigFile, p v1.Platform, binPath string) {
	o := b.o
	cf.Created = v1.Time{Time: o.createdAt()}
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	c := &cf.Config
	c.Entrypoint = []string{binPath}
	if o.entrypoint != nil {
		c.Entrypoint = o.entrypoint
	}
	// The base's cmd was meant for the base's entrypoint.
	c.Cmd = o.cmd
	c.Env = mergeEnv(c.Env, o.env)
	if !hasEnv(c.Env, "PATH") {
		c.Env = append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, c.Env...)
	}
	if o.user != "" {
		c.User = o.user
	}
	if o.workdir != "" {
		c.WorkingDir = o.workdir
	}
	if len(o.ports) > 0 {
		if c.ExposedPorts == nil {
			c.ExposedPorts = map[string]struct{}{}
		}
		for _, port := range o.ports {
			c.ExposedPorts[port] = struct{}{}
		}
	}
	if len(o.labels) > 0 {
		if c.Labels == nil {
			c.Labels = map[string]string{}
		}
		for k, v := range o.labels {
			c.Labels[k] = v
		}
	}
}

func mergeEnv(base, add []string) []string {
	out := append([]string(nil), base...)
	for _, kv := range add {
		k, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i, old := range out {
			if ok, _, _ := strings.Cut(old, "="); ok == k {
				out[i], replaced = kv, true
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return out
}

func hasEnv(env []string, key string) bool {
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k == key {
			return true
		}
	}
	return false
}

// digestSize is the digest and size of an image, index or artifact (what,
// in errors): what a descriptor of it needs.
func digestSize(x interface {
	Digest() (v1.Hash, error)
	Size() (int64, error)
}, what string) (v1.Hash, int64, error) {
	d, err := x.Digest()
	if err != nil {
		return v1.Hash{}, 0, fmt.Errorf("computing %s digest: %w", what, err)
	}
	size, err := x.Size()
	if err != nil {
		return v1.Hash{}, 0, fmt.Errorf("computing %s size: %w", what, err)
	}
	return d, size, nil
}

// describe fills a PlatformImage from an image.
func describe(img v1.Image, p v1.Platform) (PlatformImage, error) {
	d, size, err := digestSize(img, "image")
	if err != nil {
		return PlatformImage{}, err
	}
	m, err := img.Manifest()
	if err != nil {
		return PlatformImage{}, fmt.Errorf("reading manifest: %w", err)
	}
	content := size + m.Config.Size
	for _, l := range m.Layers {
		content += l.Size
	}
	return PlatformImage{Platform: p, Image: img, Digest: d, Size: size, ContentSize: content}, nil
}

// assemble puts the platform images into one OCI index.
func assemble(name string, images []PlatformImage, annotations map[string]string, created time.Time) (*Result, error) {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	adds := make([]mutate.IndexAddendum, len(images))
	for i, pi := range images {
		p := pi.Platform
		adds[i] = mutate.IndexAddendum{Add: pi.Image, Descriptor: v1.Descriptor{Platform: &p}}
	}
	idx = mutate.AppendManifests(idx, adds...)
	anns := map[string]string{}
	for k, v := range annotations {
		anns[k] = v
	}
	if len(anns) > 0 {
		idx = mutate.Annotations(idx, anns).(v1.ImageIndex)
	}
	d, size, err := digestSize(idx, "index")
	if err != nil {
		return nil, err
	}
	return &Result{Name: name, Index: idx, Digest: d, Size: size, Platforms: images, Annotations: anns, Created: created}, nil
}

// firstLine is the first line of a command's output, or its error.
func firstLine(out []byte, err error) string {
	return firstLines(out, err, 1)
}

// firstLines keeps up to n lines of a command's output, or its error.
func firstLines(out []byte, err error, n int) string {
	s := strings.TrimSpace(string(out))
	if s == "" {
		return err.Error()
	}
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append(lines[:n], "...")
	}
	return strings.Join(lines, "; ")
}

// goCommand runs the go command in dir with env and returns its combined
// output.
func goCommand(ctx context.Context, dir string, env []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", args...) // #nosec G204 -- argv, no shell: go build of the user's own packages
	cmd.Dir, cmd.Env = dir, env
	return cmd.CombinedOutput()
}
