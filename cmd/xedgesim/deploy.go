package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"

	"github.com/xedgesim/simulate/pkg/deploy"
	"github.com/xedgesim/simulate/pkg/deploy/manifest"
	"github.com/xedgesim/simulate/pkg/image/registry"
)

// deployFlags are the flags deploy and verify share.
type deployFlags struct {
	file     string
	image    string
	hosts    []string
	caFiles  []string
	insecure bool
}

func (f *deployFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVarP(&f.file, "file", "f", "", "the deploy manifest (deploy.yaml)")
	fl.StringVar(&f.image, "image", "", "deploy this REPO@sha256:... instead of the manifest's image")
	fl.StringArrayVar(&f.hosts, "host", nil, "only this host of the manifest (repeatable)")
	fl.StringArrayVar(&f.caFiles, "ca-file", nil, "also trust the PEM CA certificates in this file for the image's registry (repeatable)")
	fl.BoolVar(&f.insecure, "insecure", false, "allow plain HTTP and skip TLS verification for the image's registry (test registries only)")
}

// load reads the manifest; under Actions its mistakes also become
// annotations on its lines.
func (f *deployFlags) load(u *ui, verb string) (*manifest.Manifest, error) {
	if f.file == "" {
		return nil, usageError("%s needs -f deploy.yaml (the deploy manifest)", verb)
	}
	m, err := manifest.Load(f.file)
	if err != nil {
		var me *manifest.Error
		if u.gha.InActions() && errors.As(err, &me) {
			u.diagnostics(me.Diagnostics)
		}
		return nil, err
	}
	return m, nil
}

// options maps the flags onto the library's options.
func (f *deployFlags) options(ctx context.Context, c *registry.Client, p deploy.Progress) []deploy.Option {
	opts := []deploy.Option{
		deploy.WithProgress(p),
		deploy.WithRemoteOptions(c.RemoteOptions(ctx)...),
		deploy.WithNameOptions(c.NameOptions()...),
	}
	if f.image != "" {
		opts = append(opts, deploy.WithImage(f.image))
	}
	if len(f.hosts) > 0 {
		opts = append(opts, deploy.WithHosts(f.hosts...))
	}
	return opts
}

func newDeploy() *cobra.Command {
	var (
		f               deployFlags
		dryRun          bool
		reportFile      string
		requireEvidence bool
	)
	cmd := &cobra.Command{
		Use:   "deploy -f deploy.yaml",
		Short: "Deploy an image to edge devices",
		Long: `Deploy puts the manifest's image digest on its hosts over SSH (host keys
checked against known_hosts lines or SHA256 fingerprints), or on this
machine's engine for hosts with local: true: canary first, then batches in
parallel. A host without platform: is asked for it. On each host the image
of the host's platform is sent as a docker-load tarball holding only the
layers its engine lacks (transfer: scp; checksummed on the host, sent again
when the connection breaks, never loaded half) or pulled by digest
(transfer: pull); the new container is created beside the old one and
health-checked; when the check fails the new container is removed and the
old one serves again (the host is reported rolled back). With
rollout.rollback: true (the default), a rollout that stops (more than
max_failures hosts failed) also rolls back the hosts it already updated.

--dry-run loads and checks the manifest and prints the plan without
connecting to any host or registry. --require-evidence refuses a digest
without passing simulation evidence attached (see xedgesim attest).

Exit codes: 0 deployed, 1 runtime error (a host could not be reached, a
remote command failed), 2 a health check failed (rolled back) or evidence
refused, 3 invalid manifest, flags, or an unknown or changed host key.`,
		Example: `  xedgesim deploy -f deploy.yaml --dry-run
  xedgesim deploy -f deploy.yaml --image registry.example.com/app@sha256:0123... --report deploy-report.json
  xedgesim deploy -f deploy.yaml --host edge1 --require-evidence`,
		Args: noArgs("deploy"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			u, err := newUI(cmd)
			if err != nil {
				return err
			}
			m, err := f.load(u, "deploy")
			if err != nil {
				return err
			}
			if dryRun {
				return deployPlan(cmd.OutOrStdout(), m, f)
			}
			c, err := newRegistryClient(cmd.ErrOrStderr(), registry.WithCAFiles(f.caFiles...), registry.WithInsecure(f.insecure))
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if requireEvidence {
				if err := requireDeployEvidence(ctx, c, deployImage(m, f)); err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "evidence: %s passed simulation\n", deployImage(m, f))
			}
			var rep *deploy.Report
			gerr := u.gha.Group("Deploying "+deployImage(m, f), func() error {
				rep, err = deploy.Deploy(ctx, m, f.options(ctx, c, newDeployProgress(cmd.ErrOrStderr()))...)
				return nil
			})
			if gerr != nil {
				return gerr
			}
			if rep != nil {
				printDeployReport(cmd.OutOrStdout(), rep)
				var errs []error
				if reportFile != "" {
					errs = append(errs, writeDeployReport(reportFile, rep))
				}
				errs = append(errs, u.gha.AddStepSummary(deploySummary(rep)))
				if werr := errors.Join(errs...); werr != nil && err == nil {
					return werr
				}
			}
			return err
		},
	}
	f.add(cmd)
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "check the manifest and print the plan; connect to nothing, change nothing")
	cmd.Flags().StringVar(&reportFile, "report", "", "write the deploy report (JSON) to this file")
	cmd.Flags().BoolVar(&requireEvidence, "require-evidence", false, "deploy only a digest with passing simulation evidence attached (exit 2 otherwise)")
	return cmd
}

func newVerify() *cobra.Command {
	var f deployFlags
	cmd := &cobra.Command{
		Use:   "verify -f deploy.yaml",
		Short: "Verify a deployment with health checks",
		Long: `Verify checks every host of the manifest: the service's container is
running, its restart count does not change over the health window, the
health probe passes, and it runs the manifest's digest (or --image's).

Exit codes: 0 every host passed, 1 runtime error (a host could not be
reached), 2 a check failed on some host, 3 invalid manifest or flags, or an
unknown or changed host key.`,
		Example: `  xedgesim verify -f deploy.yaml
  xedgesim verify -f deploy.yaml --host edge1 --host edge2`,
		Args: noArgs("verify"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			u, err := newUI(cmd)
			if err != nil {
				return err
			}
			m, err := f.load(u, "verify")
			if err != nil {
				return err
			}
			c, err := newRegistryClient(cmd.ErrOrStderr(), registry.WithCAFiles(f.caFiles...), registry.WithInsecure(f.insecure))
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			checks, err := deploy.Verify(ctx, m, f.options(ctx, c, newDeployProgress(cmd.ErrOrStderr()))...)
			if len(checks) > 0 {
				printChecks(cmd.OutOrStdout(), checks)
				if serr := u.gha.AddStepSummary(verifySummary(deployImage(m, f), checks)); serr != nil && err == nil {
					return serr
				}
			}
			return err
		},
	}
	f.add(cmd)
	return cmd
}

// noArgs refuses positional arguments: the manifest comes with -f.
func noArgs(verb string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usageError("%s takes no arguments, got %q (give the manifest with -f deploy.yaml)", verb, args)
		}
		return nil
	}
}

func deployImage(m *manifest.Manifest, f deployFlags) string {
	if f.image != "" {
		return f.image
	}
	return m.Image
}

// deployPlan prints what deploy would do. It reads nothing but the
// manifest: no host and no registry is contacted.
func deployPlan(w io.Writer, m *manifest.Manifest, f deployFlags) error {
	ref := deployImage(m, f)
	if ref == "" {
		return usageError("%s: no image; set image: in the manifest or give --image REPO@sha256:...", m.Path)
	}
	var nopts []name.Option
	if f.insecure {
		nopts = append(nopts, name.Insecure)
	}
	if _, err := name.NewDigest(ref, nopts...); err != nil {
		return usageError("--image %q: %v (want REPO@sha256:...)", ref, err)
	}
	hosts := m.Hosts
	if len(f.hosts) > 0 {
		hosts = nil
		for _, n := range f.hosts {
			found := false
			for _, h := range m.Hosts {
				if h.Name == n {
					hosts = append(hosts, h)
					found = true
				}
			}
			if !found {
				return usageError("--host %s: not a host of %s", n, m.Path)
			}
		}
	}
	fmt.Fprintf(w, "%s: valid; dry run, nothing was contacted or changed\n", m.Path)
	fmt.Fprintf(w, "image:    %s\n", ref)
	fmt.Fprintf(w, "service:  %s (restart %s, health %s within %s)\n", m.Service.Name, m.Service.Restart, m.Service.Health.Kind(), m.Service.Health.Timeout)
	fmt.Fprintf(w, "strategy: %s\n", m.Strategy)
	fmt.Fprintf(w, "transfer: %s\n", m.Transfer)
	rollback := "a failed host is rolled back, and a stopped rollout also rolls back the hosts it updated"
	if !m.Rollout.Rollback {
		rollback = "rollback: false: a failed host is rolled back, hosts already updated stay updated"
	}
	fmt.Fprintf(w, "rollout:  canary %d, batches of %d, stop after %d failure(s); %s\n", m.Rollout.Canary, max(m.Rollout.Batch, 1), m.Rollout.MaxFailures, rollback)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WAVE\tHOST\tADDRESS\tUSER\tPLATFORM")
	for i, h := range hosts {
		platform := h.Platform
		if platform == "" {
			platform = "(detected)"
		}
		addr, user := fmt.Sprintf("%s:%d", h.Address, h.Port), h.User
		if h.Local {
			addr, user = "(local engine)", "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", waveName(i, m.Rollout), h.Name, addr, user, platform)
	}
	return tw.Flush()
}

// waveName is the wave host i (in manifest order) is deployed in: the
// canaries alone first, then batches.
func waveName(i int, r manifest.Rollout) string {
	if i < r.Canary {
		return fmt.Sprintf("%d (canary)", i+1)
	}
	return fmt.Sprintf("%d", r.Canary+(i-r.Canary)/max(r.Batch, 1)+1)
}

// requireDeployEvidence refuses ref unless passing simulation evidence for
// it (or one of its platform manifests) is attached in its registry.
func requireDeployEvidence(ctx context.Context, c *registry.Client, ref string) error {
	if _, err := name.NewDigest(ref, c.NameOptions()...); err != nil {
		return usageError("--require-evidence takes a digest, REPO@sha256:...: %q: %v", ref, err)
	}
	if err := c.CheckEvidence(ctx, ref); err != nil {
		return fmt.Errorf("deploy --require-evidence: %w", err)
	}
	return nil
}

// deployProgress prints the library's events as lines on stderr; a
// transfer is reported at every quarter.
type deployProgress struct {
	w    io.Writer
	mu   sync.Mutex
	last map[string]int64
}

func newDeployProgress(w io.Writer) *deployProgress {
	return &deployProgress{w: w, last: map[string]int64{}}
}

func (p *deployProgress) Report(e deploy.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.Total > 0 && e.Message == "" {
		q := e.Bytes * 4 / e.Total
		if q == p.last[e.Host] && e.Bytes != e.Total {
			return
		}
		if e.Bytes == e.Total && p.last[e.Host] == 5 {
			return
		}
		p.last[e.Host] = q
		if e.Bytes == e.Total {
			p.last[e.Host] = 5
		}
		fmt.Fprintf(p.w, "%s: transfer: %s of %s (%d%%)\n", e.Host, pushBytes(e.Bytes), pushBytes(e.Total), e.Bytes*100/e.Total)
		return
	}
	if e.Step == "transfer" {
		p.last[e.Host] = -1
	}
	fmt.Fprintf(p.w, "%s: %s: %s\n", e.Host, e.Step, e.Message)
}

var _ deploy.Progress = (*deployProgress)(nil)

func shortDigest(d string) string {
	if d == "" {
		return "-"
	}
	if i := strings.Index(d, "sha256:"); i >= 0 && len(d) >= i+19 {
		return d[i : i+19]
	}
	return d
}

func printDeployReport(w io.Writer, rep *deploy.Report) {
	fmt.Fprintf(w, "deploy %s of %s\n", rep.DeployID, rep.Image)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tPLATFORM\tOLD DIGEST\tNEW DIGEST\tSENT\tTIME\tRESULT\tROLLED BACK")
	for _, h := range rep.Hosts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", h.Host, orDash(h.Platform), shortDigest(h.OldDigest), shortDigest(h.NewDigest),
			pushBytes(h.BytesSent), h.Duration.Round(100*time.Millisecond), h.Result, yesNo(h.RolledBack))
	}
	tw.Flush()
}

func writeDeployReport(file string, rep *deploy.Report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("writing the deploy report: %w", err)
	}
	if err := os.WriteFile(file, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing the deploy report: %w", err)
	}
	return nil
}

func deploySummary(rep *deploy.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### xedgesim deploy\n\n`%s` (deploy `%s`)\n\n", rep.Image, rep.DeployID)
	b.WriteString("| host | platform | old digest | new digest | sent | time | result | rolled back |\n|---|---|---|---|---:|---:|---|---|\n")
	for _, h := range rep.Hosts {
		fmt.Fprintf(&b, "| %s | %s | `%s` | `%s` | %s | %s | %s | %s |\n", h.Host, orDash(h.Platform), shortDigest(h.OldDigest), shortDigest(h.NewDigest),
			pushBytes(h.BytesSent), h.Duration.Round(100*time.Millisecond), h.Result, yesNo(h.RolledBack))
	}
	for _, h := range rep.Hosts {
		if h.Error != "" {
			fmt.Fprintf(&b, "\n**%s**: %s\n", h.Host, strings.ReplaceAll(h.Error, "\n", " "))
		}
	}
	return b.String()
}

func printChecks(w io.Writer, checks []deploy.HostCheck) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tRUNNING\tRESTARTS STABLE\tHEALTHY\tDIGEST\tRESULT")
	for _, c := range checks {
		result := "ok"
		if !c.OK() {
			result = "FAILED: " + strings.ReplaceAll(c.Problem, "\n", " ")
		}
		digest := shortDigest(c.Digest)
		if c.Digest != "" && !c.DigestMatches {
			digest += " (wrong)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Host, yesNo(c.Running), yesNo(c.RestartsStable), yesNo(c.Healthy), digest, result)
	}
	tw.Flush()
}

func verifySummary(image string, checks []deploy.HostCheck) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### xedgesim verify\n\n`%s`\n\n| host | running | restarts stable | healthy | digest matches | problem |\n|---|---|---|---|---|---|\n", image)
	for _, c := range checks {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", c.Host, yesNo(c.Running), yesNo(c.RestartsStable), yesNo(c.Healthy), yesNo(c.DigestMatches),
			strings.ReplaceAll(orDash(c.Problem), "\n", " "))
	}
	return b.String()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
