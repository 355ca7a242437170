package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"

	"github.com/xedgesim/simulate/internal/exitcode"
	"github.com/xedgesim/simulate/internal/gha"
	"github.com/xedgesim/simulate/pkg/deploy"
	"github.com/xedgesim/simulate/pkg/deploy/manifest"
	"github.com/xedgesim/simulate/pkg/deploy/transport"
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
		b, err := os.ReadFile(file) // #nosec G304 -- the ssh key the user's manifest names
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
	if knownHosts == "" {
		return loadManifest(u, file, "deploy")
	}
	if _, err := manifest.ParseKnownHosts(knownHosts); err != nil {
		return nil, exitcode.New(exitcode.Invalid, &gha.InputError{Name: "known-hosts", Problem: fmt.Sprintf("%v; paste lines of ssh-keyscan HOST", err)})
	}
	data, err := os.ReadFile(file) // #nosec G304 -- the manifest the workflow's input names
	if err != nil {
		return loadManifest(u, file, "deploy") // its error names the file
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

// actionRequest reads what the deploy and verify actions are asked (the
// secret inputs first, masked before anything is printed) and loads the
// manifest.
func actionRequest(cmd *cobra.Command, verb string) (*ui, *manifest.Manifest, deployRequest, error) {
	u, err := newUI(cmd)
	if err != nil {
		return nil, nil, deployRequest{}, err
	}
	sec, err := readSSHSecrets(u.gha)
	if err != nil {
		return nil, nil, deployRequest{}, err
	}
	r, err := actionInputs(u.gha, verb)
	if err != nil {
		return nil, nil, deployRequest{}, err
	}
	r.ssh = sec.sshOptions
	m, err := loadActionManifest(u, r.file, sec.knownHosts)
	return u, m, r, err
}

// actionInputs maps the inputs of the deploy or verify action onto a
// request, as the verb's flags would.
func actionInputs(gr *gha.Runner, verb string) (deployRequest, error) {
	r := deployRequest{file: gr.Input("manifest"), image: gr.Input("image"), hosts: gr.ListInput("hosts"), report: gr.Input("report")}
	if r.file == "" {
		r.file = "deploy.yaml"
	}
	if ca := gr.Input("ca-file"); ca != "" {
		r.caFiles = []string{ca}
	}
	var errs [3]error
	r.insecure, errs[0] = gr.BoolInput("insecure", false)
	if verb == "deploy" {
		r.dryRun, errs[1] = gr.BoolInput("dry-run", false)
	}
	// deploy and verify check evidence with the same policy.
	r.requireEvidence, errs[2] = gr.BoolInput("require-evidence", false)
	r.sign.evidenceKey, r.sign.requireScenario = gr.Input("evidence-key"), gr.Input("require-scenario")
	r.sign.id = identityFlags{identity: gr.Input("certificate-identity"), identityRegexp: gr.Input("certificate-identity-regexp"),
		issuer: gr.Input("certificate-oidc-issuer"), trustedRoot: gr.Input("trusted-root")}
	if err := errors.Join(errs[:]...); err != nil {
		return r, exitcode.New(exitcode.Invalid, err)
	}
	return r, nil
}

// ghaDeploy is the deploy action: the deploy verb, with its results also
// as outputs.
func ghaDeploy(cmd *cobra.Command, _ []string) error {
	u, m, r, err := actionRequest(cmd, "deploy")
	if err != nil {
		return err
	}
	u.action = true
	p, rep, err := runDeploy(cmd, u, m, r)
	return u.publish(deployOutputs(p, rep, r, err), err)
}

// deployOutputs are what deploy tells the runner (the action always, the
// CLI when the runner's files are set): the deploy's id, image and hosts,
// or the image alone after a dry run. runDeploy writes the summary.
func deployOutputs(p *deploy.Plan, rep *deploy.Report, r deployRequest, err error) actionResult {
	switch {
	case rep != nil:
		var deployed, failed []string
		for _, h := range rep.Hosts {
			switch h.Result {
			case deploy.ResultDeployed:
				deployed = append(deployed, h.Host)
			case deploy.ResultFailed, deploy.ResultRolledBack:
				failed = append(failed, h.Host)
			}
		}
		return actionResult{outputs: append([]output{
			{"deploy-id", rep.DeployID},
			{"image-ref", rep.Image},
			{"digest", p.Digest},
			{"hosts-deployed", strings.Join(deployed, ",")},
			{"hosts-failed", strings.Join(failed, ",")},
		}, reportOutput(r.report)...)}
	case r.dryRun && err == nil:
		return actionResult{outputs: []output{{"image-ref", p.Image}, {"digest", p.Digest}}}
	}
	return actionResult{}
}

// ghaVerify is the verify action: the verify verb, with its results also
// as outputs.
func ghaVerify(cmd *cobra.Command, _ []string) error {
	u, m, r, err := actionRequest(cmd, "verify")
	if err != nil {
		return err
	}
	u.action = true
	checks, err := runVerify(cmd, u, m, r)
	return u.publish(verifyOutputs(checks, r, err), err)
}

// verifyOutputs are what verify tells the runner: whether every host
// passed, and which did.
func verifyOutputs(checks []deploy.HostCheck, r deployRequest, err error) actionResult {
	if len(checks) == 0 {
		return actionResult{outputs: []output{{"passed", "false"}}}
	}
	var passed, failed []string
	for _, c := range checks {
		if c.OK() {
			passed = append(passed, c.Host)
		} else {
			failed = append(failed, c.Host)
		}
	}
	return actionResult{outputs: append([]output{
		{"passed", strconv.FormatBool(err == nil && len(failed) == 0)},
		{"hosts-passed", strings.Join(passed, ",")},
		{"hosts-failed", strings.Join(failed, ",")},
	}, reportOutput(r.report)...)}
}

// reportOutput names the report file in the report output, when there is
// one.
func reportOutput(file string) []output {
	if file == "" {
		return nil
	}
	return []output{{"report", file}}
}
