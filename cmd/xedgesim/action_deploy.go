package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"

	"github.com/xedgesim/simulate/internal/exitcode"
	"github.com/xedgesim/simulate/internal/gha"
	"github.com/xedgesim/simulate/pkg/deploy"
	"github.com/xedgesim/simulate/pkg/deploy/manifest"
	"github.com/xedgesim/simulate/pkg/deploy/transport"
	"github.com/xedgesim/simulate/pkg/image/registry"
)

// The deploy and verify actions. They run `xedgesim deploy` and `verify`
// on a manifest, with the SSH credentials as secret inputs:
//   - ssh-key, passphrase and known-hosts are masked before anything else
//     is printed, so no later line (an error quoting them, a debug dump)
//     can show them.
//   - The key is parsed in memory and handed to the SSH client as a
//     signer: it is never written to a file, so no runner crash, cancelled
//     job or shared self-hosted machine can leave it on disk.

func newGHADeploy() *cobra.Command {
	return &cobra.Command{Use: "deploy", Short: "The xedgesim/simulate/actions/deploy action", Args: cobra.NoArgs, RunE: ghaDeploy}
}

func newGHAVerify() *cobra.Command {
	return &cobra.Command{Use: "verify", Short: "The xedgesim/simulate/actions/verify action", Args: cobra.NoArgs, RunE: ghaVerify}
}

// sshSecrets are the secret inputs of deploy and verify.
type sshSecrets struct {
	key, passphrase, knownHosts string
}

// readSSHSecrets reads and masks the secret inputs.
func readSSHSecrets(r *gha.Runner) (sshSecrets, error) {
	s := sshSecrets{
		key:        r.Input("ssh-key"),
		passphrase: r.Input("passphrase"),
		knownHosts: r.Input("known-hosts"),
	}
	// known_hosts lines are public keys, but workflows keep them in secrets
	// beside the key, and a masked public key costs nothing.
	for _, v := range []string{s.key, s.passphrase, s.knownHosts} {
		if err := r.AddMask(v); err != nil {
			return s, err
		}
	}
	// Trim what the input parser kept: a trailing newline is part of a PEM
	// key pasted into a secret, but spaces around it are not.
	s.key = strings.TrimSpace(s.key)
	if s.key != "" {
		s.key += "\n"
	}
	return s, nil
}

// sshOptions returns the signer the secret inputs give, nil when the
// manifest's own ssh.key (or ssh-agent) is to be used. The input key wins
// over the manifest's ssh.key; passphrase decrypts either.
func (s sshSecrets) sshOptions(m *manifest.Manifest) ([]transport.Option, error) {
	pem, what := []byte(s.key), "input ssh-key"
	if s.key == "" {
		if s.passphrase == "" || m.SSH.Key == "" {
			return nil, nil
		}
		file := m.SSH.Key
		if !filepath.IsAbs(file) {
			file = filepath.Join(m.Dir, file)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("reading ssh key: %w", err)
		}
		pem, what = b, "ssh key "+file
	}
	passphrase := s.passphrase
	if passphrase == "" {
		passphrase = m.SSH.PassphraseValue()
	}
	var (
		signer ssh.Signer
		err    error
	)
	if passphrase != "" {
		signer, err = ssh.ParsePrivateKeyWithPassphrase(pem, []byte(passphrase))
	} else {
		signer, err = ssh.ParsePrivateKey(pem)
	}
	var missing *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &missing):
		return nil, exitcode.New(exitcode.Invalid, fmt.Errorf("%s is encrypted; give its passphrase in the passphrase input", what))
	case err != nil:
		// The parser's errors name the problem (wrong passphrase, not a
		// private key), never the key's bytes.
		return nil, exitcode.New(exitcode.Invalid, fmt.Errorf("parsing %s: %w", what, err))
	}
	m.SSH.Key = ""
	return []transport.Option{transport.WithSigner(signer)}, nil
}

// missingHostKey is the manifest's message for a host without known_hosts
// or fingerprint: the one mistake the known-hosts input repairs.
const missingHostKey = "no known_hosts and no fingerprint"

// loadActionManifest loads the manifest, giving the hosts that name no
// host key the known_hosts lines of the known-hosts input. Hosts with keys
// of their own keep them: a pin in the manifest is never widened. Every
// other mistake is reported at its line in the file as written.
func loadActionManifest(u *ui, file, knownHosts string) (*manifest.Manifest, error) {
	f := deployFlags{file: file}
	if knownHosts == "" {
		return f.load(u, "deploy")
	}
	if _, err := manifest.ParseKnownHosts(knownHosts); err != nil {
		return nil, exitcode.New(exitcode.Invalid, &gha.InputError{Name: "known-hosts", Problem: fmt.Sprintf("%v; paste lines of ssh-keyscan HOST", err)})
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return f.load(u, "deploy") // its error names the file
	}
	m, err := manifest.Parse(data, file)
	var me *manifest.Error
	if err == nil || !errors.As(err, &me) {
		return m, err
	}
	for _, d := range me.Diagnostics {
		if !strings.Contains(d.Message, missingHostKey) {
			if u.gha.InActions() {
				u.diagnostics(me.Diagnostics)
			}
			return nil, err
		}
	}
	patched, perr := withKnownHosts(data, knownHosts)
	if perr != nil {
		return nil, err
	}
	return manifest.Parse(patched, file)
}

// ghaDeploy is the deploy action.
func ghaDeploy(cmd *cobra.Command, _ []string) error {
	u, err := newUI(cmd)
	if err != nil {
		return err
	}
	r := u.gha
	sec, err := readSSHSecrets(r)
	if err != nil {
		return err
	}
	f, err := deployActionInputs(r)
	if err != nil {
		return err
	}
	dryRun, derr := r.BoolInput("dry-run", false)
	requireEvidence, rerr := r.BoolInput("require-evidence", false)
	if err := errors.Join(derr, rerr); err != nil {
		return exitcode.New(exitcode.Invalid, err)
	}
	reportFile := r.Input("report")

	m, err := loadActionManifest(u, f.file, sec.knownHosts)
	if err != nil {
		return err
	}
	ref := deployImage(m, f)
	if dryRun {
		if err := deployPlan(cmd.OutOrStdout(), m, f); err != nil {
			return err
		}
		return errors.Join(r.SetOutput("image-ref", ref), r.SetOutput("digest", refDigest(ref)))
	}
	sshOpts, err := sec.sshOptions(m)
	if err != nil {
		return err
	}
	c, err := newRegistryClient(cmd.ErrOrStderr(), registry.WithCAFiles(f.caFiles...), registry.WithInsecure(f.insecure))
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	if requireEvidence {
		if err := requireDeployEvidence(ctx, c, ref); err != nil {
			return err
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "evidence: %s passed simulation\n", ref)
	}
	opts := append(f.options(ctx, c, newDeployProgress(cmd.ErrOrStderr())), deploy.WithSSH(sshOpts...))
	var rep *deploy.Report
	var runErr error
	if gerr := r.Group("Deploying "+ref, func() error {
		rep, runErr = deploy.Deploy(ctx, m, opts...)
		return nil
	}); gerr != nil {
		return gerr
	}
	if rep == nil {
		return runErr
	}
	printDeployReport(cmd.OutOrStdout(), rep)
	var deployed, failed []string
	for _, h := range rep.Hosts {
		switch h.Result {
		case deploy.ResultDeployed:
			deployed = append(deployed, h.Host)
		case deploy.ResultFailed, deploy.ResultRolledBack:
			failed = append(failed, h.Host)
		}
	}
	errs := []error{
		r.SetOutput("deploy-id", rep.DeployID),
		r.SetOutput("image-ref", rep.Image),
		r.SetOutput("digest", refDigest(rep.Image)),
		r.SetOutput("hosts-deployed", strings.Join(deployed, ",")),
		r.SetOutput("hosts-failed", strings.Join(failed, ",")),
		r.AddStepSummary(deploySummary(rep)),
	}
	if reportFile != "" {
		errs = append(errs, writeDeployReport(reportFile, rep), r.SetOutput("report", reportFile))
	}
	if werr := errors.Join(errs...); werr != nil {
		return errors.Join(runErr, werr)
	}
	return runErr
}

// ghaVerify is the verify action.
func ghaVerify(cmd *cobra.Command, _ []string) error {
	u, err := newUI(cmd)
	if err != nil {
		return err
	}
	r := u.gha
	sec, err := readSSHSecrets(r)
	if err != nil {
		return err
	}
	f, err := deployActionInputs(r)
	if err != nil {
		return err
	}
	reportFile := r.Input("report")
	m, err := loadActionManifest(u, f.file, sec.knownHosts)
	if err != nil {
		return err
	}
	sshOpts, err := sec.sshOptions(m)
	if err != nil {
		return err
	}
	c, err := newRegistryClient(cmd.ErrOrStderr(), registry.WithCAFiles(f.caFiles...), registry.WithInsecure(f.insecure))
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	opts := append(f.options(ctx, c, newDeployProgress(cmd.ErrOrStderr())), deploy.WithSSH(sshOpts...))
	checks, runErr := deploy.Verify(ctx, m, opts...)
	if len(checks) == 0 {
		_ = r.SetOutput("passed", "false")
		return runErr
	}
	printChecks(cmd.OutOrStdout(), checks)
	var passed, failed []string
	for _, c := range checks {
		if c.OK() {
			passed = append(passed, c.Host)
		} else {
			failed = append(failed, c.Host)
		}
	}
	errs := []error{
		r.SetOutput("passed", strconv.FormatBool(runErr == nil && len(failed) == 0)),
		r.SetOutput("hosts-passed", strings.Join(passed, ",")),
		r.SetOutput("hosts-failed", strings.Join(failed, ",")),
		r.AddStepSummary(verifySummary(deployImage(m, f), checks)),
	}
	if reportFile != "" {
		errs = append(errs, writeVerifyReport(reportFile, deployImage(m, f), checks), r.SetOutput("report", reportFile))
	}
	if werr := errors.Join(errs...); werr != nil {
		return errors.Join(runErr, werr)
	}
	return runErr
}

// deployActionInputs maps the inputs deploy and verify share onto the
// flags of the CLI verbs.
func deployActionInputs(r *gha.Runner) (deployFlags, error) {
	var f deployFlags
	var errs []error
	f.file = r.Input("manifest")
	if f.file == "" {
		f.file = "deploy.yaml"
	}
	f.image = r.Input("image")
	f.hosts = r.ListInput("hosts")
	if ca := r.Input("ca-file"); ca != "" {
		f.caFiles = []string{ca}
	}
	var err error
	if f.insecure, err = r.BoolInput("insecure", false); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return f, exitcode.New(exitcode.Invalid, err)
	}
	return f, nil
}

// refDigest is the sha256:... of a REPO@sha256:... reference.
func refDigest(ref string) string {
	if d, err := name.NewDigest(ref, name.Insecure); err == nil {
		return d.DigestStr()
	}
	return ""
}

// writeVerifyReport writes verify's checks as JSON.
func writeVerifyReport(file, image string, checks []deploy.HostCheck) error {
	type report struct {
		Image  string             `json:"image"`
		Passed bool               `json:"passed"`
		Hosts  []deploy.HostCheck `json:"hosts"`
	}
	rep := report{Image: image, Passed: true, Hosts: checks}
	for _, c := range checks {
		rep.Passed = rep.Passed && c.OK()
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("writing the verify report: %w", err)
	}
	if err := os.WriteFile(file, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing the verify report: %w", err)
	}
	return nil
}
