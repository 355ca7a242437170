package build

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Request is one build from source to outputs, as the build verb and the
// build action ask for it. [Run] carries it out; the zero value of every
// field but the source is a working default.
type Request struct {
	// GoPackage is a Go main package to build with [NewGo]; Dockerfile a
	// Dockerfile to build with [NewDockerfile]. Exactly one is set.
	GoPackage  string
	Dockerfile string
	// Context is a Dockerfile build's context directory (default "."). In
	// GitHub Actions the image's time is the commit's checked out there.
	Context string
	// Options configure the builder beyond what Run sets itself: the image
	// configuration, a Go build's base and files, a Dockerfile build's
	// arguments and target.
	Options []Option

	// Platforms are built; none means [DefaultPlatforms], or this machine's
	// when the only output is docker:, which takes one platform.
	Platforms []v1.Platform
	// Labels and Annotations go on the image, over those the GitHub Actions
	// context gives (source, revision, created, version, ...).
	Labels      map[string]string
	Annotations map[string]string

	// Outputs are where the image goes. An [OutputRegistry] output is Push.
	Outputs []Output
	// Push sends the image to the registry of every tag.
	Push bool
	// Tags name the image: repo:tag as it is, and a bare repository with
	// every tag computed from the git ref (latest when none is).
	Tags []string
	// TagsFromRef computes tags from the Actions context's git ref with
	// TagRules, or [DefaultTagRules] when there are none. TagRules imply it.
	TagsFromRef bool
	TagRules    []TagRule

	// ImageRefsFile receives the digest reference and MetadataFile the
	// [Metadata] as JSON, when they are set; a Request that only writes
	// them builds and checks but sends the image nowhere.
	ImageRefsFile string
	MetadataFile  string

	// Registry is how pushes reach registries and tags are parsed;
	// BaseRegistry is how a base image is read (default Registry). Without
	// them, go-containerregistry's defaults apply.
	Registry     Registry
	BaseRegistry Registry
	// Progress hears what the build does (default: nobody).
	Progress Progress
	// Getenv reads the Actions context and SOURCE_DATE_EPOCH (default
	// [os.Getenv]).
	Getenv func(string) string
}

// Registry is how a build reaches registries. The registry client of
// package pkg/image/registry is one; this package does not import it, so
// that the simulator, which builds images for scenarios, links no push code.
type Registry interface {
	// RemoteOptions are the options of every remote call made under ctx.
	RemoteOptions(ctx context.Context) []remote.Option
	// NameOptions are the options to parse references with.
	NameOptions() []name.Option
}

// Outcome is what [Run] built and where it went.
type Outcome struct {
	Result *Result
	// Ref is the digest reference of the build: the first pushed
	// repo@sha256:..., else oci:<dir>@sha256:..., else the first tag's
	// repo@sha256:..., else the index digest.
	Ref string
	// Tags are every tag the image has, computed ones included.
	Tags []name.Tag
	// Pushed are digest references in registries, one per repository.
	Pushed []string
	// Metadata describes the build, as MetadataFile holds it.
	Metadata Metadata
}

// Validate reports what makes the request impossible before anything
// runs: no source or two, a push without a tag, or no output at all.
func (r *Request) Validate() error {
	var errs []error
	switch {
	case r.GoPackage == "" && r.Dockerfile == "":
		errs = append(errs, errors.New("build needs --go PKG or --dockerfile FILE"))
	case r.GoPackage != "" && r.Dockerfile != "":
		errs = append(errs, errors.New("give --go or --dockerfile, not both"))
	}
	if r.pushes() && len(r.Tags) == 0 {
		errs = append(errs, errors.New("--push needs --tag REF"))
	}
	if len(r.Outputs) == 0 && !r.Push && r.ImageRefsFile == "" && r.MetadataFile == "" {
		errs = append(errs, errors.New("build writes nowhere: give --output oci:<dir>, tar:<file> or docker:, or --push with --tag"))
	}
	return inputErr(errors.Join(errs...))
}

// pushes reports whether the request sends the image to registries.
func (r *Request) pushes() bool {
	if r.Push {
		return true
	}
	for _, out := range r.Outputs {
		if out.Kind == OutputRegistry {
			return true
		}
	}
	return false
}

// plan is what [Run] decides before it builds.
type plan struct {
	outputs     []Output
	platforms   []v1.Platform
	tags        []name.Tag
	created     time.Time
	labels      map[string]string
	annotations map[string]string
}

// plan applies the policy: outputs in order with one registry output
// last, platforms, tags from the git ref, the image's time and the Actions
// context's annotations under the request's own.
func (r *Request) plan(commitTime func() (time.Time, error)) (*plan, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	p := &plan{outputs: make([]Output, 0, len(r.Outputs)+1)}
	for _, out := range r.Outputs {
		if out.Kind != OutputRegistry {
			p.outputs = append(p.outputs, out)
		}
	}
	if r.pushes() {
		p.outputs = append(p.outputs, Output{Kind: OutputRegistry})
	}
	p.platforms = r.Platforms
	if len(p.platforms) == 0 && len(p.outputs) == 1 && p.outputs[0].Kind == OutputDocker {
		p.platforms = []v1.Platform{{OS: "linux", Architecture: runtime.GOARCH}}
	}

	g, err := GitHubFromEnv(r.Getenv)
	if err != nil {
		return nil, inputErr(err)
	}
	var computed []string
	var version string
	if rules := r.TagRules; r.TagsFromRef || len(rules) > 0 {
		if len(rules) == 0 {
			rules = DefaultTagRules
		}
		computed, version = g.Tags(rules)
	}
	if p.created, err = SourceDateEpoch(r.Getenv, g, commitTime); err != nil {
		return nil, err
	}
	p.labels, p.annotations = r.Labels, r.Annotations
	if g.Repository != "" {
		ctxAnns := g.Annotations(version, p.created)
		// The request's own win over the context's.
		p.labels = merged(ctxAnns, r.Labels)
		p.annotations = merged(ctxAnns, r.Annotations)
	}
	var nameOpts []name.Option
	if r.Registry != nil {
		nameOpts = r.Registry.NameOptions()
	}
	if p.tags, err = resolveTags(r.Tags, computed, nameOpts); err != nil {
		return nil, err
	}
	return p, nil
}

// withDefaults fills in what the request leaves unset.
func (r Request) withDefaults() Request {
	if r.Getenv == nil {
		r.Getenv = os.Getenv
	}
	if r.Progress == nil {
		r.Progress = discard{}
	}
	if r.Context == "" {
		r.Context = "."
	}
	if r.BaseRegistry == nil {
		r.BaseRegistry = r.Registry
	}
	return r
}

// Run builds what r asks for, writes it to every output, then writes
// ImageRefsFile and MetadataFile. Mistakes in r are [*InputError]s,
// reported together before anything is built.
func Run(ctx context.Context, r Request) (*Outcome, error) {
	r = r.withDefaults()
	dir := "."
	if r.Dockerfile != "" {
		dir = r.Context
	}
	p, err := r.plan(gitCommitTime(ctx, dir))
	if err != nil {
		return nil, err
	}
	b, err := r.builder(ctx, p)
	if err != nil {
		return nil, err
	}
	res, err := b.Build(ctx)
	if err != nil {
		return nil, err
	}

	var remoteOpts []remote.Option
	if r.Registry != nil {
		remoteOpts = r.Registry.RemoteOptions(ctx)
	}
	wopts := []WriteOption{
		WithTags(p.tags...),
		WithWriteProgress(r.Progress),
		WithPublisher(&RemotePublisher{Options: remoteOpts}),
	}
	out := &Outcome{Result: res, Ref: res.Digest.String(), Tags: p.tags}
	var refOCI string
	for _, o := range p.outputs {
		w, err := Write(ctx, res, o, wopts...)
		if err != nil {
			return nil, err
		}
		switch o.Kind {
		case OutputRegistry:
			out.Pushed = append(out.Pushed, w.Refs...)
		case OutputOCI:
			if refOCI == "" {
				refOCI = "oci:" + o.Path + "@" + res.Digest.String()
			}
		case OutputDocker:
			r.Progress.Report(Event{Step: "loaded", Detail: "docker image " + strings.Join(w.Refs, " ")})
		}
	}
	switch {
	case len(out.Pushed) > 0:
		out.Ref = out.Pushed[0]
	case refOCI != "":
		out.Ref = refOCI
	case len(p.tags) > 0:
		out.Ref = p.tags[0].Context().Digest(res.Digest.String()).String()
	}
	tagNames := make([]string, len(p.tags))
	for i, t := range p.tags {
		tagNames[i] = t.String()
	}
	if out.Metadata, err = res.Metadata(out.Ref, tagNames, out.Pushed); err != nil {
		return nil, err
	}
	if r.ImageRefsFile != "" {
		if err := WriteFileAtomic(r.ImageRefsFile, []byte(out.Ref+"\n")); err != nil {
			return nil, err
		}
	}
	if r.MetadataFile != "" {
		js, err := out.Metadata.JSON()
		if err != nil {
			return nil, err
		}
		if err := WriteFileAtomic(r.MetadataFile, js); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// builder makes the request's builder: the request's options first, then
// what the plan decided, which wins.
func (r *Request) builder(ctx context.Context, p *plan) (Builder, error) {
	opts := append([]Option{}, r.Options...)
	opts = append(opts,
		WithProgress(r.Progress),
		WithCreated(p.created),
		WithLabels(p.labels),
		WithAnnotations(p.annotations),
	)
	if r.BaseRegistry != nil {
		opts = append(opts,
			WithRemoteOptions(r.BaseRegistry.RemoteOptions(ctx)...),
			WithNameOptions(r.BaseRegistry.NameOptions()...),
		)
	}
	if len(p.platforms) > 0 {
		opts = append(opts, WithPlatforms(p.platforms...))
	}
	if r.GoPackage != "" {
		return NewGo(r.GoPackage, opts...)
	}
	return NewDockerfile(r.Dockerfile, append(opts, WithContextDir(r.Context))...)
}

// hasTag reports whether a reference names a tag or digest, not only a
// repository: the last path element has a ':' or there is an '@'.
func hasTag(ref string) bool {
	if strings.Contains(ref, "@") {
		return true
	}
	last := ref[strings.LastIndex(ref, "/")+1:]
	return strings.Contains(last, ":") && strings.Contains(ref, "/")
}

// resolveTags expands tag references: full references as they are, bare
// repositories with every computed tag (or latest when none).
func resolveTags(refs, computed []string, nameOpts []name.Option) ([]name.Tag, error) {
	var out []name.Tag
	var errs []error
	for _, ref := range refs {
		if strings.Contains(ref, "@") {
			errs = append(errs, fmt.Errorf("tag %q: a build is tagged, not addressed by digest; drop the @sha256:... part", ref))
			continue
		}
		if hasTag(ref) {
			t, err := name.NewTag(ref, nameOpts...)
			if err != nil {
				errs = append(errs, fmt.Errorf("tag %q: %w", ref, err))
				continue
			}
			out = append(out, t)
			continue
		}
		repo, err := name.NewRepository(ref, nameOpts...)
		if err != nil {
			errs = append(errs, fmt.Errorf("tag %q: %w", ref, err))
			continue
		}
		tags := computed
		if len(tags) == 0 {
			tags = []string{"latest"}
		}
		for _, t := range tags {
			out = append(out, repo.Tag(t))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, inputErr(err)
	}
	return out, nil
}

// gitCommitTime is the time of the commit checked out in dir.
func gitCommitTime(ctx context.Context, dir string) func() (time.Time, error) {
	return func() (time.Time, error) {
		out, err := exec.CommandContext(ctx, "git", "-C", dir, "log", "-1", "--format=%ct").Output() // #nosec G204 -- argv, no shell: dir is the build context the user named
		if err != nil {
			return time.Time{}, err
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
		if err != nil {
			return time.Time{}, err
		}
		return time.Unix(n, 0).UTC(), nil
	}
}

// merged is base with over's entries on top.
func merged(base, over map[string]string) map[string]string {
	out := maps.Clone(base)
	maps.Copy(out, over)
	return out
}
