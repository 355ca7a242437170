package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/xedgesim/simulate/internal/exitcode"
	"github.com/xedgesim/simulate/internal/gha"
	"github.com/xedgesim/simulate/pkg/image/evidence"
	"github.com/xedgesim/simulate/pkg/image/registry"
)

// registryFlags are the flags push and attest share: credentials and trust.
type registryFlags struct {
	username      string
	passwordStdin bool
	caFiles       []string
	insecure      bool
	jobs          int
}

func (f *registryFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVarP(&f.username, "username", "u", "", "username for the destination registry (with --password-stdin)")
	fl.BoolVar(&f.passwordStdin, "password-stdin", false, "read the password or token for the destination registry from stdin")
	fl.StringArrayVar(&f.caFiles, "ca-file", nil, "also trust the PEM CA certificates in this file (repeatable)")
	fl.BoolVar(&f.insecure, "insecure", false, "allow plain HTTP and skip TLS verification for every registry (test registries only)")
	fl.IntVar(&f.jobs, "jobs", registry.DefaultJobs, "blobs uploaded at once")
}

// clientOptions configure a client from the flags; explicit credentials go
// to the registry of credsFor.
func (f *registryFlags) clientOptions(credsFor, password string) []registry.Option {
	return []registry.Option{
		registry.WithCredentialsFor(credsFor, f.username, password),
		registry.WithCAFiles(f.caFiles...),
		registry.WithInsecure(f.insecure),
		registry.WithJobs(f.jobs),
	}
}

// pushOptions is what push needs, from flags or from action inputs.
type pushOptions struct {
	src, dst        string
	tags            []string
	evidence        string
	requireEvidence bool
	username        string
	password        string
	caFiles         []string
	insecure        bool
	jobs            int
	sign            signFlags
}

func newPush() *cobra.Command {
	var (
		f               registryFlags
		tags            []string
		evidenceFile    string
		requireEvidence bool
		sf              signFlags
	)
	cmd := &cobra.Command{
		Use:   "push SRC DST",
		Short: "Push an image to a registry by digest",
		Long: `Push copies an image or a whole index (every platform and attestation) to a
registry by digest: the manifests are the source's bytes, so the digest does
not change. Blobs the registry has are not sent again; layers go up in
parallel. After the push the registry's digest is checked against the
source's. The last line on stdout is DST@sha256:....

SRC is oci:<dir> (an OCI layout, oci:<dir>@sha256:... to pick one of
several), tar:<file> (an OCI layout or docker save tarball), docker:<image>
(the local Docker engine) or a registry reference. DST is a repository or a
reference (a tag, or the source's digest).

With --require-evidence the push is a promotion: SRC must be REPO@sha256:...
with simulation evidence attached that passes (see xedgesim attest), or it is
refused with exit code 2. Evidence attached to the source goes along. With
--evidence-key cosign.pub only a signed attestation counts: signed with that
key, about this digest (or one of its platforms), with result PASSED (and
naming --require-scenario). With --certificate-identity[-regexp],
--certificate-oidc-issuer and --trusted-root, an attestation signed keyless
by that identity counts too. --key cosign.key (or --keyless, in a job with
an OIDC token) with --evidence signs the statement beside it and attaches
the signed bundle.

Credentials come from --username/--password-stdin (for DST's registry), the
Docker config (DOCKER_CONFIG, credential helpers), and in GitHub Actions
GITHUB_TOKEN for ghcr.io. Registry errors that are temporary (429, 5xx,
GitHub's secondary rate limit, resets) are retried, honouring Retry-After.

Exit codes: 0 pushed, 1 runtime error, 2 promotion refused, 3 invalid input.`,
		Example: `  # A layout from buildx --output type=oci,tar=false, to a staging repository
  xedgesim push oci:out/app registry.example.com/staging/app:pr-42

  # Attach the simulation's evidence while pushing
  xedgesim push --evidence results/evidence.json oci:out/app registry.example.com/staging/app

  # Promote a simulated digest to the release repository
  xedgesim push --require-evidence \
    registry.example.com/staging/app@sha256:0123... ghcr.io/acme/app:v1.4.0`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usageError("push takes SRC and DST, got %d arguments (xedgesim push oci:out/app registry.example.com/app:v1)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			u, err := newUI(cmd)
			if err != nil {
				return err
			}
			o := pushOptions{
				src: args[0], dst: args[1], tags: tags, evidence: evidenceFile, requireEvidence: requireEvidence,
				username: f.username, caFiles: f.caFiles, insecure: f.insecure, jobs: f.jobs, sign: sf,
			}
			if o.password, err = readPassword(cmd, f); err != nil {
				return err
			}
			res, err := runPush(cmd.Context(), u, cmd.ErrOrStderr(), o)
			if err != nil {
				return err
			}
			return finishPush(cmd, u, res)
		},
	}
	f.add(cmd)
	cmd.Flags().StringArrayVarP(&tags, "tag", "t", nil, "also point this tag at the pushed digest (repeatable)")
	cmd.Flags().StringVar(&evidenceFile, "evidence", "", "attach this evidence.json (from xedgesim simulate) to the pushed digest")
	cmd.Flags().BoolVar(&requireEvidence, "require-evidence", false, "promote only a digest with passing simulation evidence (exit 2 otherwise)")
	sf.addSign(cmd)
	sf.addVerify(cmd)
	return cmd
}

func newAttest() *cobra.Command {
	var (
		f            registryFlags
		evidenceFile string
		sf           signFlags
	)
	cmd := &cobra.Command{
		Use:   "attest REF@sha256:... --evidence FILE",
		Short: "Attach simulation evidence to an image digest",
		Long: `Attest attaches evidence.json, written by xedgesim simulate, to an image
digest as an OCI artifact that refers to it (artifact type
application/vnd.xedgesim.simulation.v1+json), through the registry's
referrers API or, for registries without it, the sha256-<hex> referrers tag.
Promotion (xedgesim push --require-evidence) reads it back. The last line on
stdout is the artifact's reference.

With --key cosign.key, attest signs the in-toto statement simulate wrote
beside evidence.json (statement.intoto.json, or --statement FILE) into a
DSSE envelope in a Sigstore bundle, and attaches that instead (artifact type
application/vnd.dev.sigstore.bundle.v0.3+json), as cosign attest
--new-bundle-format does. The key's password comes from COSIGN_PASSWORD.
push and deploy --require-evidence --evidence-key cosign.pub accept only
such signed attestations. With --keyless (no key anywhere), an ephemeral
key is certified by Fulcio (--fulcio-url) for the identity of the job's
OIDC token (GitHub Actions with permissions: id-token: write, or
SIGSTORE_ID_TOKEN); --certificate-identity and its flags verify it.`,
		Example: `  xedgesim attest --evidence results/evidence.json registry.example.com/staging/app@sha256:0123...

  # Signed: what promotion and deploy with --evidence-key accept
  COSIGN_PASSWORD=... xedgesim attest --key cosign.key --evidence results/evidence.json \
    registry.example.com/staging/app@sha256:0123...`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("attest takes one REF@sha256:..., got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if evidenceFile == "" && sf.statement == "" {
				return usageError("attest needs --evidence FILE (the evidence.json xedgesim simulate wrote)")
			}
			bundle, err := sf.bundle(cmd.Context(), evidenceFile, getenvOf(cmd.Context()))
			if err != nil {
				return err
			}
			var ev evidence.Evidence
			if bundle == nil {
				if ev, err = readEvidence(evidenceFile); err != nil {
					return err
				}
			}
			password, err := readPassword(cmd, f)
			if err != nil {
				return err
			}
			c, err := newRegistryClient(cmd.ErrOrStderr(), f.clientOptions(args[0], password)...)
			if err != nil {
				return err
			}
			if bundle != nil {
				ref, err := c.AttachSigned(cmd.Context(), args[0], bundle)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "attached a signed simulation attestation to %s\n", args[0])
				fmt.Fprintln(cmd.OutOrStdout(), ref.String())
				return nil
			}
			ref, err := c.Attach(cmd.Context(), args[0], ev)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "attached %s evidence to %s\n", ev.Verdict, args[0])
			fmt.Fprintln(cmd.OutOrStdout(), ref.String())
			return nil
		},
	}
	f.add(cmd)
	cmd.Flags().StringVar(&evidenceFile, "evidence", "", "the evidence.json to attach")
	sf.addSign(cmd)
	return cmd
}

// readPassword reads --password-stdin: one line, without its newline.
func readPassword(cmd *cobra.Command, f registryFlags) (string, error) {
	if !f.passwordStdin {
		if f.username != "" {
			return "", usageError("--username needs --password-stdin (a password on the command line would land in shell history)")
		}
		return "", nil
	}
	if f.username == "" {
		return "", usageError("--password-stdin needs --username")
	}
	line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading password from stdin: %w", err)
	}
	p := strings.TrimRight(line, "\r\n")
	if p == "" {
		return "", usageError("--password-stdin: stdin is empty")
	}
	return p, nil
}

func readEvidence(file string) (evidence.Evidence, error) {
	ev, err := evidence.Read(file)
	if err != nil {
		return evidence.Evidence{}, exitcode.New(exitcode.Invalid, err)
	}
	return ev, nil
}

// newRegistryClient is a registry client that reports retries and blobs on
// stderr, configured by opts.
func newRegistryClient(stderr io.Writer, opts ...registry.Option) (*registry.Client, error) {
	c, err := registry.New(append([]registry.Option{registry.WithReporter(newPushReporter(stderr))}, opts...)...)
	if err != nil {
		return nil, exitcode.New(exitcode.Of(err), err)
	}
	return c, nil
}

// runPush pushes and reports; the caller prints the reference.
func runPush(ctx context.Context, u *ui, stderr io.Writer, o pushOptions) (*registry.Result, error) {
	if o.jobs < 1 {
		return nil, usageError("--jobs %d: want at least 1", o.jobs)
	}
	src, err := registry.ParseSource(o.src)
	if err != nil {
		return nil, err
	}
	var popts []registry.PushOption
	if len(o.tags) > 0 {
		popts = append(popts, registry.WithTags(o.tags...))
	}
	if o.evidence != "" {
		ev, err := readEvidence(o.evidence)
		if err != nil {
			return nil, err
		}
		popts = append(popts, registry.WithEvidence(ev))
	}
	bundle, err := o.sign.bundle(ctx, o.evidence, getenvOf(ctx))
	if err != nil {
		return nil, err
	}
	if bundle != nil {
		popts = append(popts, registry.WithSignedEvidence(bundle))
	}
	policy, err := o.sign.policy(o.requireEvidence)
	if err != nil {
		return nil, err
	}
	switch {
	case policy != nil:
		popts = append(popts, registry.RequireSignedEvidence(*policy))
	case o.requireEvidence:
		popts = append(popts, registry.RequireEvidence())
	}
	c, err := newRegistryClient(stderr,
		registry.WithCredentialsFor(o.dst, o.username, o.password),
		registry.WithCAFiles(o.caFiles...),
		registry.WithInsecure(o.insecure),
		registry.WithJobs(o.jobs),
	)
	if err != nil {
		return nil, err
	}
	var res *registry.Result
	err = u.gha.Group(fmt.Sprintf("Pushing %s to %s", src, o.dst), func() error {
		var err error
		res, err = c.Push(ctx, src, o.dst, popts...)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, line := range resultLines(res) {
		fmt.Fprintln(stderr, line)
	}
	return res, nil
}

// resultLines sums a push up, one line per platform.
func resultLines(res *registry.Result) []string {
	var lines []string
	if res.Unchanged {
		for _, p := range res.Platforms {
			lines = append(lines, fmt.Sprintf("%s: %s already there", p.Platform, shortDigest(p.Digest.String())))
		}
		lines = append(lines, fmt.Sprintf("unchanged %s: every tag already has the digest; nothing uploaded", res.Ref))
	} else {
		for _, p := range res.Platforms {
			lines = append(lines, fmt.Sprintf("%s: %d blobs, %s: %d uploaded (%s), %d mounted, %d already there",
				p.Platform, p.Blobs, pushBytes(p.Bytes), p.Uploaded, pushBytes(p.UploadedBytes), p.Mounted, p.Existing))
		}
		lines = append(lines, fmt.Sprintf("pushed %s (%d blobs, %s uploaded; verified)", res.Ref, res.UploadedBlobs, pushBytes(res.UploadedBytes)))
	}
	for _, t := range res.Tags {
		lines = append(lines, "tagged "+t)
	}
	if res.EvidenceChecked > 0 {
		lines = append(lines, fmt.Sprintf("promoted with %d passing evidence", res.EvidenceChecked))
	}
	for _, e := range res.Evidence {
		lines = append(lines, "evidence "+e.String())
	}
	return lines
}

func pushBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}

// pushReporter renders retries and blob progress as log lines on stderr.
type pushReporter struct {
	w  io.Writer
	mu sync.Mutex
	// done counts blobs and bytes handled per platform.
	done map[string][2]int64
}

func newPushReporter(w io.Writer) *pushReporter {
	return &pushReporter{w: w, done: map[string][2]int64{}}
}

func (r *pushReporter) Retrying(x registry.Retry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintln(r.w, "retry: "+x.String())
}

func (r *pushReporter) Blob(b registry.BlobEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	platforms := b.Platforms
	if len(platforms) == 0 {
		platforms = []string{"evidence"}
	}
	short := shortDigest(b.Digest.String())
	for _, p := range platforms {
		d := r.done[p]
		d[0]++
		d[1] += b.Size
		r.done[p] = d
		fmt.Fprintf(r.w, "%s: %s %s (%s); %d blobs, %s so far\n", p, b.State, short, pushBytes(b.Size), d[0], pushBytes(d[1]))
	}
}

var _ registry.Reporter = (*pushReporter)(nil)

// ghaPush is `xedgesim gha push`, the actions/push action: it reads the
// inputs, masks the password, pushes, and writes the digest and image-ref
// outputs and a step summary.
func ghaPush(cmd *cobra.Command, _ []string) error {
	u, err := newUI(cmd, asAction())
	if err != nil {
		return err
	}
	r := u.gha
	password := r.Input("password")
	if err := r.AddMask(password); err != nil {
		return err
	}
	if err := r.AddMask(getenvOf(cmd.Context())("GITHUB_TOKEN")); err != nil {
		return err
	}
	o, err := pushInputs(r)
	if err != nil {
		return err
	}
	o.password = password
	res, err := runPush(cmd.Context(), u, cmd.ErrOrStderr(), o)
	if err != nil {
		return err
	}
	return finishPush(cmd, u, res)
}

// finishPush prints the pushed reference and tells the runner the digest
// and the reference (the action always, the CLI when the runner's files are
// set).
func finishPush(cmd *cobra.Command, u *ui, res *registry.Result) error {
	fmt.Fprintln(cmd.OutOrStdout(), res.Ref.String())
	return u.publish(actionResult{
		outputs: []output{{"digest", res.Digest.String()}, {"image-ref", res.Ref.String()}},
		summary: pushSummary(res),
	}, nil)
}

// pushInputs maps the action's inputs onto push's options.
func pushInputs(r *gha.Runner) (pushOptions, error) {
	var o pushOptions
	var errs []error
	var err error
	if o.src, err = r.RequireInput("source"); err != nil {
		errs = append(errs, err)
	}
	if o.dst, err = r.RequireInput("destination"); err != nil {
		errs = append(errs, err)
	}
	o.tags = r.ListInput("tags")
	o.evidence = r.Input("evidence")
	if o.requireEvidence, err = r.BoolInput("require-evidence", false); err != nil {
		errs = append(errs, err)
	}
	if ca := r.Input("ca-file"); ca != "" {
		o.caFiles = []string{ca}
	}
	if err := o.sign.fromInputs(r); err != nil {
		errs = append(errs, err)
	}
	o.username = r.Input("username")
	if (o.username == "") != (r.Input("password") == "") {
		errs = append(errs, &gha.InputError{Name: "username", Problem: "username and password go together: set both, or neither to use the Docker config (or GITHUB_TOKEN for ghcr.io)"})
	}
	o.jobs = registry.DefaultJobs
	if err := errors.Join(errs...); err != nil {
		return o, exitcode.New(exitcode.Invalid, err)
	}
	return o, nil
}

// pushSummary is the step summary: the pushed reference and a table of
// platforms.
func pushSummary(res *registry.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### xedgesim push\n\n`%s`\n\n", res.Ref)
	if len(res.Tags) > 0 {
		fmt.Fprintf(&b, "Tags: `%s`\n\n", strings.Join(res.Tags, "`, `"))
	}
	if res.Unchanged {
		b.WriteString("| platform | manifest |\n|---|---|\n")
		for _, p := range res.Platforms {
			fmt.Fprintf(&b, "| %s | `%s` |\n", p.Platform, shortDigest(p.Digest.String()))
		}
		fmt.Fprintf(&b, "\nUnchanged: every tag already had the digest; nothing was uploaded.")
	} else {
		b.WriteString("| platform | manifest | blobs | size | uploaded | mounted | already there |\n|---|---|---:|---:|---:|---:|---:|\n")
		for _, p := range res.Platforms {
			fmt.Fprintf(&b, "| %s | `%s` | %d | %s | %d (%s) | %d | %d |\n",
				p.Platform, shortDigest(p.Digest.String()), p.Blobs, pushBytes(p.Bytes), p.Uploaded, pushBytes(p.UploadedBytes), p.Mounted, p.Existing)
		}
		fmt.Fprintf(&b, "\nThe registry's digest was verified against the source's.")
	}
	if res.EvidenceChecked > 0 {
		fmt.Fprintf(&b, " Promoted with %d passing simulation evidence.", res.EvidenceChecked)
	}
	for _, e := range res.Evidence {
		fmt.Fprintf(&b, "\n\nEvidence: `%s`", e)
	}
	b.WriteString("\n")
	return b.String()
}
