package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/xedgesim/simulate/internal/exitcode"
	"github.com/xedgesim/simulate/pkg/image/evidence"
	"github.com/xedgesim/simulate/pkg/image/registry"
)

// addVerifyEvidenceFlags gives verify deploy's evidence flags: a device
// or a later job checks the attestation of the digest that runs with the
// one policy promotion and deploy apply.
func addVerifyEvidenceFlags(cmd *cobra.Command, r *deployRequest) {
	cmd.Flags().BoolVar(&r.requireEvidence, "require-evidence", false, "also check that the digest has passing simulation evidence attached (exit 2 otherwise)")
	r.sign.addVerify(cmd)
	cmd.Long += `

With --require-evidence, verify first checks the image's simulation
evidence in its registry under the same policy as push and deploy
(--evidence-key, or --certificate-identity[-regexp] with
--certificate-oidc-issuer and --trusted-root, --require-scenario,
--max-age); a refused attestation exits 2 before any host is contacted.`
}

// verifyEvidence applies --require-evidence to image for verify.
func (r deployRequest) verifyEvidence(cmd *cobra.Command, c *registry.Client, image string) error {
	policy, err := r.sign.policy(r.requireEvidence)
	if err != nil || !r.requireEvidence {
		return err
	}
	if policy != nil {
		_, err = c.CheckSignedEvidence(cmd.Context(), image, *policy)
	} else {
		err = c.CheckEvidence(cmd.Context(), image)
	}
	var ref *evidence.Refusal
	if errors.As(err, &ref) {
		return exitcode.New(ref.ExitCode(), fmt.Errorf("verify --require-evidence: %s is not verified: %s", ref.Subject, ref.Reason))
	}
	if err != nil {
		return fmt.Errorf("verify --require-evidence: %w", err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "evidence: %s passed simulation\n", image)
	return nil
}
