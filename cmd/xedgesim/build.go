package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/xedgesim/simulate/internal/exitcode"
	"github.com/xedgesim/simulate/internal/gha"
	"github.com/xedgesim/simulate/internal/version"
	"github.com/xedgesim/simulate/pkg/image/build"
	"github.com/xedgesim/simulate/pkg/image/evidence"
	"github.com/xedgesim/simulate/pkg/image/registry"
)

// buildOptions are the build verb's settings, from flags or action inputs.
type buildOptions struct {
	goPkg      string
	dockerfile string
	context    string
	buildArgs  []string
	target     string
	builder    string
	platforms  []string
	base       string
	files      []string
	entrypoint []string
	cmd        []string
	cmdSet     bool
	env        []string
	user       string
	workdir    string
	ports      []string
	labels     []string
	anns       []string
	ldflags    string
	buildVCS   string
	outputs    []string
	push       bool
	tags       []string
	fromRef    bool
	tagRules   []string
	imageRefs  string
	metadata   string
	sbom       bool
	provenance bool
	sign       signFlags // --key or --keyless sign the provenance
	caFiles    []string
	insecure   bool
	getenv     func(string) string
	stderr     io.Writer
}

func newBuild() *cobra.Command {
	o := buildOptions{}
	cmd := &cobra.Command{
		Use:   "build (--go PKG | --dockerfile FILE) [flags]",
		Short: "Build a multi-arch image",
		Long: `Build one OCI image index with an image for every platform.

--go PKG cross-compiles a Go main package (CGO_ENABLED=0, -trimpath, build
info kept) for each --platform and layers it onto --base with
go-containerregistry: no Docker daemon. The binary goes to
/usr/local/bin/<name> and is the entrypoint. A platform the base lacks is an
error naming the base's platforms.

--provenance (with --key or --keyless) attaches SLSA v1 provenance to the
index of a --go build: the module graph the binaries embed, the base by
digest, the commit and the builder, signed as a Sigstore bundle that
cosign verify-attestation --type slsaprovenance1 checks.

--dockerfile FILE runs docker buildx build on the current builder (or
--builder), exports OCI and reads it back: the same outputs and metadata.

Builds are reproducible: every timestamp is SOURCE_DATE_EPOCH, in GitHub
Actions the commit's time, and otherwise 1970-01-01. Two builds of the same
source give the same digest.

Outputs (--output, repeatable): oci:<dir> (OCI layout), tar:<file> (OCI
archive; docker load-able for one platform), docker: (loads one platform
into the local engine), and --push to every --tag. A --tag without a tag
part (ghcr.io/acme/app) takes the tags --tags-from-ref computes from the git
ref like docker/metadata-action: 1.2.3 and 1.2 for tag v1.2.3, the branch,
pr-N, sha-<short> (the pull request's head commit, not the merge commit),
and latest on the default branch. In Actions, the OCI annotations and labels
source, revision, created, version, title and licenses come from the
context.

The last line on stdout is the digest reference: the pushed repo@sha256:...,
else oci:<dir>@sha256:..., else the index digest.

Exit codes: 0 built, 1 runtime error, 3 invalid input.`,
		Example: `  xedgesim build --go ./nodes/hello --output oci:out/hello
  xedgesim build --go ./nodes/hello --platform linux/amd64,linux/arm64,linux/arm/v7 \
      --push --tag 127.0.0.1:5010/edge/hello:dev --sbom --metadata-file build.json
  xedgesim build --go ./nodes/hello --platform linux/arm64 --output docker:
  xedgesim build --go ./cmd/gateway --base gcr.io/distroless/static --file config.yaml:/etc/gw/config.yaml \
      --port 1883 --user 65532 --push --tag ghcr.io/acme/gateway --tags-from-ref
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) xedgesim build --dockerfile Dockerfile --context . --output tar:image.tar`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.getenv = getenvOf(cmd.Context())
			o.cmdSet = cmd.Flags().Changed("cmd")
			o.stderr = cmd.ErrOrStderr()
			u, err := newUI(cmd)
			if err != nil {
				return err
			}
			res, err := runBuild(cmd.Context(), o)
			if err != nil {
				return err
			}
			return finishBuild(cmd, u, res)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.goPkg, "go", "", "Go main package to build, e.g. ./cmd/app")
	f.StringVar(&o.dockerfile, "dockerfile", "", "Dockerfile to build with docker buildx")
	f.StringVar(&o.context, "context", ".", "build context of --dockerfile")
	f.StringArrayVar(&o.buildArgs, "build-arg", nil, "`KEY=VALUE` build argument for --dockerfile (repeatable)")
	f.StringVar(&o.target, "target", "", "Dockerfile stage to build")
	f.StringVar(&o.builder, "builder", "", "buildx builder (default: the current one)")
	f.StringArrayVar(&o.platforms, "platform", nil, "platforms, comma-separated or repeated (default linux/amd64,linux/arm64; docker: output: the host's)")
	f.StringVar(&o.base, "base", "scratch", "base image of --go: scratch, oci:<dir> or a registry reference")
	f.StringArrayVar(&o.files, "file", nil, "`SRC:DST` file or directory to copy into a --go image (repeatable)")
	f.StringArrayVar(&o.entrypoint, "entrypoint", nil, "entrypoint, one argument per flag (default: the binary)")
	f.StringArrayVar(&o.cmd, "cmd", nil, "default arguments, one per flag")
	f.StringArrayVar(&o.env, "env", nil, "`KEY=VALUE` environment variable (repeatable)")
	f.StringVar(&o.user, "user", "", "user to run as, e.g. 65532")
	f.StringVar(&o.workdir, "workdir", "", "working directory")
	f.StringArrayVar(&o.ports, "port", nil, "exposed port: 8080, 8080/tcp, 5353/udp (repeatable)")
	f.StringArrayVar(&o.labels, "label", nil, "`KEY=VALUE` image label (repeatable)")
	f.StringArrayVar(&o.anns, "annotation", nil, "`KEY=VALUE` OCI annotation on the index and manifests (repeatable)")
	f.StringVar(&o.ldflags, "ldflags", build.DefaultLDFlags, "go build -ldflags")
	f.StringVar(&o.buildVCS, "buildvcs", "auto", "go build -buildvcs: auto, true or false")
	f.StringArrayVar(&o.outputs, "output", nil, "oci:<dir>, tar:<file> or docker: (repeatable)")
	f.BoolVar(&o.push, "push", false, "push to every --tag")
	f.StringArrayVar(&o.tags, "tag", nil, "image reference: repo:tag, or a repo to take --tags-from-ref (repeatable)")
	f.BoolVar(&o.fromRef, "tags-from-ref", false, "compute tags from the git ref, as docker/metadata-action does")
	f.StringArrayVar(&o.tagRules, "tag-rule", nil, "metadata-action rule such as type=semver,pattern={{version}} (repeatable; implies --tags-from-ref with these rules only)")
	f.StringVar(&o.imageRefs, "image-refs", "", "write the digest reference to this file")
	f.StringVar(&o.metadata, "metadata-file", "", "write JSON metadata (digests, sizes, tags, annotations) to this file")
	f.BoolVar(&o.sbom, "sbom", false, "attach an SPDX SBOM to each image of a --go build")
	f.BoolVar(&o.provenance, "provenance", false, "attach SLSA v1 provenance to the index of a --go build, signed with --key or --keyless")
	f.StringVar(&o.sign.key, "key", "", "with --provenance: sign with this cosign private key (password from COSIGN_PASSWORD)")
	f.BoolVar(&o.sign.keyless, "keyless", false, "with --provenance: sign with a short-lived Fulcio certificate for the job's OIDC identity")
	f.StringVar(&o.sign.fulcioURL, "fulcio-url", evidence.DefaultFulcioURL, "with --keyless: the Fulcio certificate authority")
	f.StringArrayVar(&o.caFiles, "ca-file", nil, "PEM CA to trust for registries (repeatable)")
	f.BoolVar(&o.insecure, "insecure", false, "plain HTTP and no TLS verification for registries (test registries only)")
	return cmd
}

// progress renders build events as lines on stderr.
type progress struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *progress) Report(e build.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	parts := []string{"build:", e.Step}
	if e.Platform != "" {
		parts = append(parts, e.Platform)
	}
	if e.Detail != "" {
		parts = append(parts, e.Detail)
	}
	fmt.Fprintln(p.w, strings.Join(parts, " "))
}

func keyValues(what string, kvs []string) (map[string]string, error) {
	m := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageError("%s %q: want KEY=VALUE", what, kv)
		}
		m[k] = v
	}
	return m, nil
}

// buildRequest parses the options into the library's request, reporting
// every value that does not parse at once.
func buildRequest(o buildOptions) (build.Request, error) {
	r := build.Request{
		GoPackage:     o.goPkg,
		Dockerfile:    o.dockerfile,
		Context:       o.context,
		Push:          o.push,
		Tags:          o.tags,
		TagsFromRef:   o.fromRef,
		ImageRefsFile: o.imageRefs,
		MetadataFile:  o.metadata,
		Progress:      &progress{w: o.stderr},
		Getenv:        o.getenv,
	}
	var errs []error
	for _, s := range o.outputs {
		out, err := build.ParseOutput(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r.Outputs = append(r.Outputs, out)
	}
	var err error
	if r.Platforms, err = build.ParsePlatforms(o.platforms); err != nil {
		errs = append(errs, err)
	}
	var files []build.File
	for _, s := range o.files {
		f, err := build.ParseFile(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		files = append(files, f)
	}
	r.Labels, err = keyValues("label", o.labels)
	errs = append(errs, err)
	r.Annotations, err = keyValues("annotation", o.anns)
	errs = append(errs, err)
	if len(o.tagRules) > 0 {
		if r.TagRules, err = build.ParseTagRules(o.tagRules); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return r, exitcode.New(exitcode.Invalid, err)
	}
	// Checked here too, so that a request the library would refuse never
	// gets as far as registry clients.
	if err := r.Validate(); err != nil {
		return r, err
	}
	if o.goPkg != "" {
		r.Options = []build.Option{
			build.WithBase(o.base),
			build.WithFiles(files...),
			build.WithEnv(o.env...),
			build.WithUser(o.user),
			build.WithWorkdir(o.workdir),
			build.WithPorts(o.ports...),
			build.WithLDFlags(o.ldflags),
			build.WithBuildVCS(o.buildVCS),
			build.WithSBOM(o.sbom),
		}
		if o.provenance {
			sign, err := o.sign.payloadSigner(o.getenv)
			if err != nil {
				return r, err
			}
			if sign == nil {
				return r, usageError("--provenance needs a signer: --key FILE or --keyless")
			}
			r.Options = append(r.Options, build.WithProvenance(build.Provenance{Sign: sign, ToolVersion: version.Get().Version, Getenv: o.getenv}))
		} else if o.sign.key != "" || o.sign.keyless {
			return r, usageError("--key and --keyless sign the provenance: give --provenance too")
		}
		if len(o.entrypoint) > 0 {
			r.Options = append(r.Options, build.WithEntrypoint(o.entrypoint...))
		}
		if o.cmdSet || len(o.cmd) > 0 {
			r.Options = append(r.Options, build.WithCmd(o.cmd...))
		}
		return r, nil
	}
	var goOnly []string
	for flag, set := range map[string]bool{"--base": o.base != "scratch", "--file": len(o.files) > 0, "--env": len(o.env) > 0,
		"--user": o.user != "", "--workdir": o.workdir != "", "--port": len(o.ports) > 0, "--entrypoint": len(o.entrypoint) > 0,
		"--cmd": o.cmdSet, "--sbom": o.sbom, "--provenance": o.provenance} {
		if set {
			goOnly = append(goOnly, flag)
		}
	}
	if len(goOnly) > 0 {
		return r, usageError("%s applies to --go builds; write it in the Dockerfile", strings.Join(slices.Sorted(slices.Values(goOnly)), ", "))
	}
	r.Options = []build.Option{
		build.WithBuildArgs(o.buildArgs...),
		build.WithTarget(o.target),
		build.WithBuilder(o.builder),
	}
	return r, nil
}

// runBuild builds with the library and the registry clients the flags
// configure.
func runBuild(ctx context.Context, o buildOptions) (*build.Outcome, error) {
	r, err := buildRequest(o)
	if err != nil {
		return nil, err
	}
	regOpts := []registry.Option{registry.WithGetenv(o.getenv), registry.WithInsecure(o.insecure), registry.WithCAFiles(o.caFiles...)}
	if r.Registry, err = registry.New(regOpts...); err != nil {
		return nil, err
	}
	// A base that does not answer is most often a typo: three quick
	// attempts, not a push's patience.
	if r.BaseRegistry, err = registry.New(append(regOpts, registry.WithRetry(registry.WithMaxAttempts(3), registry.WithMaxElapsed(10*time.Second)))...); err != nil {
		return nil, err
	}
	return build.Run(ctx, r)
}

// ghaBuild is the xedgesim/simulate/actions/build action: it reads the
// inputs, builds, and writes the outputs digest, image-ref and metadata
// and a step summary of platforms, digests and sizes.
func ghaBuild(cmd *cobra.Command, _ []string) error {
	u, err := newUI(cmd, asAction())
	if err != nil {
		return err
	}
	r := u.gha
	o, err := buildInputs(r, getenvOf(cmd.Context()))
	if err != nil {
		return err
	}
	o.stderr = cmd.ErrOrStderr()
	out, err := runBuild(cmd.Context(), o)
	if err != nil {
		return err
	}
	return finishBuild(cmd, u, out)
}

// finishBuild tells the runner the digest, the reference and the metadata
// (the action always, the CLI when the runner's files are set), then prints
// the reference.
func finishBuild(cmd *cobra.Command, u *ui, out *build.Outcome) error {
	metaJSON, err := out.Metadata.JSON()
	if err != nil {
		return err
	}
	res := actionResult{
		outputs: []output{
			{"digest", out.Result.Digest.String()},
			{"image-ref", out.Ref},
			{"metadata", string(metaJSON)},
		},
		summary: buildSummary(out.Metadata),
	}
	if err := u.publish(res, nil); err != nil {
		return err
	}
	_, err = fmt.Fprintln(cmd.OutOrStdout(), out.Ref)
	return err
}

// buildInputs maps the action's inputs onto the verb's options.
func buildInputs(r *gha.Runner, getenv func(string) string) (buildOptions, error) {
	o := buildOptions{getenv: getenv, base: "scratch", ldflags: build.DefaultLDFlags, buildVCS: "auto", context: "."}
	o.goPkg = r.Input("go")
	o.dockerfile = r.Input("dockerfile")
	if c := r.Input("context"); c != "" {
		o.context = c
	}
	o.platforms = r.ListInput("platforms")
	if b := r.Input("base"); b != "" {
		o.base = b
	}
	var err error
	if o.push, err = r.BoolInput("push", false); err != nil {
		return o, err
	}
	if o.sbom, err = r.BoolInput("sbom", false); err != nil {
		return o, err
	}
	// In Actions provenance is signed keyless, by the job's identity: no
	// key to keep in a secret.
	if o.provenance, err = r.BoolInput("provenance", false); err != nil {
		return o, err
	}
	o.sign.keyless = o.provenance
	if o.sign.fulcioURL = r.Input("fulcio-url"); o.sign.fulcioURL == "" {
		o.sign.fulcioURL = evidence.DefaultFulcioURL
	}
	o.outputs = r.ListInput("output")
	// images: repositories; tags: metadata-action rules, plain tags or full
	// references. Plain tags and rules apply to every image.
	images := r.ListInput("images")
	var plain []string
	for _, line := range r.MultilineInput("tags") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case strings.HasPrefix(line, "type="):
			o.tagRules = append(o.tagRules, line)
		case strings.ContainsAny(line, "/:"):
			o.tags = append(o.tags, line)
		default:
			plain = append(plain, line)
		}
	}
	if len(images) > 0 {
		if len(o.tagRules) == 0 && len(plain) == 0 {
			o.fromRef = true // the default rules
		}
		for _, p := range plain {
			o.tagRules = append(o.tagRules, "type=raw,value="+p)
		}
		o.tags = append(o.tags, images...)
	} else if len(plain) > 0 {
		return o, exitcode.New(exitcode.Invalid, fmt.Errorf("input tags has plain tags (%s) but input images names no repository", strings.Join(plain, ", ")))
	}
	dir := getenv("RUNNER_TEMP")
	if dir == "" {
		dir = os.TempDir()
	}
	o.metadata = filepath.Join(dir, "xedgesim-build-metadata.json")
	return o, nil
}

// buildSummary is the step summary: the digest reference and a table of
// platforms, digests and sizes.
func buildSummary(m build.Metadata) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### xedgesim build\n\n`%s`\n\n", m.Ref)
	b.WriteString("| platform | manifest digest | manifest size | image size |\n|---|---|---:|---:|\n")
	for _, p := range m.Platforms {
		fmt.Fprintf(&b, "| %s | `%s` | %d B | %s |\n", p.Platform, p.Digest, p.Size, humanBytes(p.ContentSize))
	}
	if len(m.Tags) > 0 {
		b.WriteString("\nTags: ")
		for i, t := range m.Tags {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "`%s`", t)
		}
		b.WriteString("\n")
	}
	if len(m.Referrers) > 0 {
		fmt.Fprintf(&b, "\n%d SBOM(s) attached (SPDX, OCI 1.1 referrers).\n", len(m.Referrers))
	}
	return b.String()
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
