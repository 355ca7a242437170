package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"

	"github.com/xedgesim/simulate/pkg/deploy"
	"github.com/xedgesim/simulate/pkg/deploy/manifest"
	"github.com/xedgesim/simulate/pkg/deploy/transport"
	"github.com/xedgesim/simulate/pkg/image/evidence"
	"github.com/xedgesim/simulate/pkg/image/registry"
)

// deployRequest is what deploy or verify was asked, by flags or by the
// actions' inputs: the verbs and the actions map their words onto it, and
// runDeploy and runVerify map it onto the library.
type deployRequest struct {
	file     string
	image    string
	hosts    []string
	caFiles  []string
	insecure bool
	// dryRun and requireEvidence are deploy's alone; report is where the
	// JSON report goes ("" for none).
	dryRun, requireEvidence bool
	report                  string
	// plan and waveJobs are deploy --plan runners's (fleet.go).
	plan     string
	waveJobs int
	// sign is the signed-evidence policy of --require-evidence.
	sign signFlags
	// knownHostsFile gives known_hosts lines to the hosts that name no
	// host key, as ssh -o UserKnownHostsFile does.
	knownHostsFile string
	// ssh, when set, gives the SSH options of the actions' secret inputs.
	// It is called only once hosts are to be contacted.
	ssh func(*manifest.Manifest) ([]transport.Option, error)
}

// addFlags adds the flags deploy and verify share, worded for verb.
func (r *deployRequest) addFlags(cmd *cobra.Command, verb string) {
	image := "deploy this REPO@sha256:... instead of the manifest's image"
	caFile := "also trust the PEM CA certificates in this file for the image's registry (repeatable)"
	insecure := "allow plain HTTP and skip TLS verification for the image's registry (test registries only)"
	if verb == "verify" {
		// verify reads nothing from the registry; it takes these flags so
		// that deploy's command line verifies what it deployed.
		image = "check that the hosts run this REPO@sha256:... instead of the manifest's image"
		caFile = "also trust the PEM CA certificates in this file for the image's registry, which verify reads only with --require-evidence (repeatable)"
		insecure = "allow plain HTTP and skip TLS verification for the image's registry, which verify reads only with --require-evidence"
	}
	fl := cmd.Flags()
	fl.StringVarP(&r.file, "file", "f", "", "the deploy manifest (deploy.yaml)")
	fl.StringVar(&r.image, "image", "", image)
	fl.StringArrayVar(&r.hosts, "host", nil, "only this host of the manifest (repeatable)")
	fl.StringArrayVar(&r.caFiles, "ca-file", nil, caFile)
	fl.BoolVar(&r.insecure, "insecure", false, insecure)
	fl.StringVar(&r.knownHostsFile, "known-hosts", "", "known_hosts file (as ssh-keyscan writes it) for the hosts that name no known_hosts or fingerprint")
}

// loadManifest reads the manifest; under Actions its mistakes also become
// annotations on its lines.
func loadManifest(u *ui, file, verb string) (*manifest.Manifest, error) {
	if file == "" {
		return nil, usageError("%s needs -f deploy.yaml (the deploy manifest)", verb)
	}
	m, err := manifest.Load(file)
	if err != nil {
		var me *manifest.Error
		if u.gha.InActions() && errors.As(err, &me) {
			u.diagnostics(me.Diagnostics)
		}
		return nil, err
	}
	return m, nil
}

// planOptions are the library options that decide the plan; they need no
// registry.
func (r deployRequest) planOptions() []deploy.Option {
	opts := []deploy.Option{deploy.WithImage(r.image), deploy.WithHosts(r.hosts...)}
	if r.insecure {
		opts = append(opts, deploy.WithNameOptions(name.Insecure))
	}
	return opts
}

// prepare makes what contacting the hosts and the registry takes: the
// plan, the registry client and every library option.
func (r deployRequest) prepare(cmd *cobra.Command, m *manifest.Manifest) (*deploy.Plan, *registry.Client, []deploy.Option, error) {
	p, err := deploy.NewPlan(m, r.planOptions()...)
	if err != nil {
		return nil, nil, nil, err
	}
	var sshOpts []transport.Option
	if r.ssh != nil {
		if sshOpts, err = r.ssh(m); err != nil {
			return nil, nil, nil, err
		}
	}
	c, err := newRegistryClient(cmd.ErrOrStderr(), registry.WithCAFiles(r.caFiles...), registry.WithInsecure(r.insecure))
	if err != nil {
		return nil, nil, nil, err
	}
	ctx := cmd.Context()
	opts := append(r.planOptions(),
		deploy.WithProgress(newDeployProgress(cmd.ErrOrStderr())),
		deploy.WithRemoteOptions(c.RemoteOptions(ctx)...),
		deploy.WithNameOptions(c.NameOptions()...),
		deploy.WithSSH(sshOpts...))
	return p, c, opts, nil
}

// runDeploy is deploy, for the verb and the action alike: the plan alone
// with dryRun, else the evidence check and the deploy, with its report
// printed, written and summarised. The plan is nil when nothing was
// planned, the report nil when nothing was deployed.
func runDeploy(cmd *cobra.Command, u *ui, m *manifest.Manifest, r deployRequest) (*deploy.Plan, *deploy.Report, error) {
	policy, err := r.sign.policy(r.requireEvidence)
	if err != nil {
		return nil, nil, err
	}
	if r.dryRun {
		p, err := deploy.NewPlan(m, r.planOptions()...)
		if err != nil {
			return nil, nil, err
		}
		return p, nil, printPlan(cmd.OutOrStdout(), m.Path, p)
	}
	p, c, opts, err := r.prepare(cmd, m)
	if err != nil {
		return p, nil, err
	}
	ctx := cmd.Context()
	if r.requireEvidence {
		if err := requireDeployEvidence(ctx, c, p.Image, policy); err != nil {
			return p, nil, r.refused(p, err)
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "evidence: %s passed simulation\n", p.Image)
	}
	var rep *deploy.Report
	if gerr := u.gha.Group("Deploying "+p.Image, func() error {
		rep, err = deploy.Deploy(ctx, m, opts...)
		return nil
	}); gerr != nil {
		return p, nil, gerr
	}
	if rep == nil {
		return p, nil, err
	}
	printDeployReport(cmd.OutOrStdout(), rep)
	return p, rep, r.finish(err, u.gha.AddStepSummary(deploySummary(rep)), "deploy", rep)
}

// runVerify is verify, for the verb and the action alike: the checks,
// printed, summarised and, with report, written.
func runVerify(cmd *cobra.Command, u *ui, m *manifest.Manifest, r deployRequest) ([]deploy.HostCheck, error) {
	p, c, opts, err := r.prepare(cmd, m)
	if err != nil {
		return nil, err
	}
	if err := r.verifyEvidence(cmd, c, p.Image); err != nil {
		return nil, err
	}
	checks, err := deploy.Verify(cmd.Context(), m, opts...)
	if len(checks) == 0 {
		return nil, err
	}
	printChecks(cmd.OutOrStdout(), checks)
	return checks, r.finish(err, u.gha.AddStepSummary(verifySummary(p.Image, checks)), "verify", newVerifyReport(p.Image, checks))
}

// finish writes the report, when one was asked for, and adds the errors of
// writing it and the summary to err, the verb's own.
func (r deployRequest) finish(err, summaryErr error, verb string, report any) error {
	werr := summaryErr
	if r.report != "" {
		werr = errors.Join(werr, writeJSON(r.report, verb, report))
	}
	if werr != nil {
		return errors.Join(err, werr)
	}
	return err
}

const deployLong = `Deploy puts the manifest's image digest on its hosts over SSH (host keys
checked against known_hosts lines or SHA256 fingerprints), or on this
machine's engine for hosts with local: true: canary first, then batches in
parallel. A host without platform: is asked for it. The image of the
host's platform is sent to its engine as a docker-load tarball holding
only the layers the engine lacks (transfer: scp; checksummed on the host,
sent again when the connection breaks, never loaded half) or pulled there
by digest (transfer: pull). With strategy: container (the default) the new
release first runs beside the old container on ephemeral ports and is
health-checked there; when the check fails it is removed and the old
container, which never stopped, serves on (the host is reported rolled
back). When it passes, the new container takes the published ports; the
time the service did not answer is reported as the switch. With
rollout.order: stop-first the old container stops first instead (one
container at a time, and the old one put back when the new one fails).
The service's files are versioned on the host and roll back with the
image. strategy: compose applies the manifest's compose
file with the image pinned; strategy: native sends only the program, taken
out of the image, and runs it under supervisord or systemd; both go back to
what ran before when the check fails. With rollout.rollback: true (the
default), a rollout that stops (more than max_failures hosts failed) also
rolls back the hosts it already updated.

--dry-run loads and checks the manifest and prints the plan (the image,
and each host's wave, address and platform) without connecting to any
host or registry. --require-evidence refuses to deploy a digest without
passing simulation evidence attached (see xedgesim attest); with
--evidence-key cosign.pub only an attestation signed with that key, about
this digest, that passed counts.

Exit codes: 0 deployed, 1 runtime error (a host could not be reached, a
remote command failed), 2 a health check failed (rolled back) or evidence
refused, 3 invalid manifest or flags, an image without a host's platform,
or an unknown or changed host key.`

const verifyLong = `Verify checks every host of the manifest (or each --host), all at once,
over SSH or on this machine's engine for hosts with local: true: the
service is running (strategy container: its container; compose: the
compose service's containers; native: the supervised program), it does not
restart over the health window, the health probe passes, it runs the
manifest's digest (or --image's), and its files have the checksums of the
manifest's. Verify changes nothing on the hosts.

Exit codes: 0 every host passed, 1 runtime error (a host could not be
reached), 2 a check failed on some host, 3 invalid manifest or flags, or an
unknown or changed host key.`

func newDeploy() *cobra.Command {
	var r deployRequest
	cmd := r.command("deploy", "Deploy an image to edge devices", deployLong, `  xedgesim deploy -f deploy.yaml --dry-run
  xedgesim deploy -f deploy.yaml --image registry.example.com/app@sha256:0123... --report deploy-report.json
  xedgesim deploy -f deploy.yaml --host edge1 --require-evidence
  xedgesim deploy -f fleet.yaml --plan runners --wave-jobs 3`,
		func(cmd *cobra.Command, u *ui, m *manifest.Manifest) error {
			if r.plan != "" {
				return runRunnerPlan(cmd, u, m, r)
			}
			p, rep, err := runDeploy(cmd, u, m, r)
			return u.publish(deployOutputs(p, rep, r, err), err)
		})
	cmd.Flags().StringVar(&r.plan, "plan", "", "runners: print the job matrices of a rollout through the devices' own runners (canary, waves), as JSON and as step outputs; deploy nothing")
	cmd.Flags().IntVar(&r.waveJobs, "wave-jobs", 0, "with --plan runners: the wave jobs the workflow has; a plan needing more is refused")
	cmd.Flags().BoolVar(&r.dryRun, "dry-run", false, "check the manifest and print the plan; connect to nothing, change nothing")
	cmd.Flags().StringVar(&r.report, "report", "", "write the deploy report (JSON) to this file")
	cmd.Flags().BoolVar(&r.requireEvidence, "require-evidence", false, "deploy only a digest with passing simulation evidence attached (exit 2 otherwise)")
	r.sign.addVerify(cmd)
	return cmd
}

func newVerify() *cobra.Command {
	var r deployRequest
	cmd := r.command("verify", "Verify a deployment with health checks", verifyLong, `  xedgesim verify -f deploy.yaml
  xedgesim verify -f deploy.yaml --image registry.example.com/app@sha256:0123...
  xedgesim verify -f deploy.yaml --host edge1 --host edge2`,
		func(cmd *cobra.Command, u *ui, m *manifest.Manifest) error {
			checks, err := runVerify(cmd, u, m, r)
			return u.publish(verifyOutputs(checks, r, err), err)
		})
	addVerifyEvidenceFlags(cmd, &r)
	return cmd
}

// command is the cobra command of verb (deploy or verify), with the flags
// both take filling r: it loads the manifest of -f and then runs f. r is
// read when the command runs, once cobra has set the flags.
func (r *deployRequest) command(verb, short, long, example string, f func(*cobra.Command, *ui, *manifest.Manifest) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:     verb + " -f deploy.yaml",
		Short:   short,
		Long:    long,
		Example: example,
		Args:    noArgs(verb),
		RunE: func(cmd *cobra.Command, _ []string) error {
			u, err := newUI(cmd)
			if err != nil {
				return err
			}
			m, err := r.load(u, verb)
			if err != nil {
				return err
			}
			return f(cmd, u, m)
		},
	}
	r.addFlags(cmd, verb)
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

// requireDeployEvidence refuses ref unless passing simulation evidence for
// it (or one of its platform manifests) is attached in its registry.
// With a policy, only a signed attestation it accepts counts.
func requireDeployEvidence(ctx context.Context, c *registry.Client, ref string, policy *evidence.Policy) error {
	var err error
	if policy != nil {
		_, err = c.CheckSignedEvidence(ctx, ref, *policy)
	} else {
		err = c.CheckEvidence(ctx, ref)
	}
	var r *evidence.Refusal
	if errors.As(err, &r) {
		err = deployRefusal{r}
	}
	if err != nil {
		return fmt.Errorf("deploy --require-evidence: %w", err)
	}
	return nil
}

// deployRefusal words an evidence refusal for deploy: what is refused is
// the deploy (the exit code stays the refusal's).
type deployRefusal struct{ *evidence.Refusal }

func (e deployRefusal) Error() string {
	return fmt.Sprintf("refusing to deploy %s: %s", e.Subject, e.Reason)
}

func (e deployRefusal) Unwrap() error { return e.Refusal }
