package evidence

import (
	"crypto"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The kinds of refusal of signed evidence, from the least to the most
// telling: a refusal names the most telling kind among the attestations
// found.
const (
	RefusedUnsigned     = "unsigned"
	RefusedOtherKey     = "other-key"
	RefusedUntrusted    = "untrusted"
	RefusedIdentity     = "identity"
	RefusedTampered     = "tampered"
	RefusedOtherSubject = "other-subject"
	RefusedScenario     = "scenario"
	RefusedAge          = "age"
	RefusedFailed       = "failed"
)

var refusalRank = map[string]int{RefusedUnsigned: 0, RefusedOtherKey: 1, RefusedUntrusted: 1, RefusedIdentity: 1, RefusedTampered: 2, RefusedOtherSubject: 3, RefusedScenario: 4, RefusedAge: 5, RefusedFailed: 6}

// Policy is the one verification policy of signed evidence, for
// promotion, deploy, verify and the device's own check: a test-result
// attestation signed by Key or keyless by Identity, whose subject is the exact digest (or, for
// an index, one of its platform manifests), whose result is PASSED and,
// with RequireScenario, which ran that scenario (by name or file), and
// with MaxAge, signed at most that long before Now (the signing time the
// statement records, see [Statement.WithSignedAt]).
type Policy struct {
	Key crypto.PublicKey
	// Identity accepts keyless attestations: signed under a short-lived
	// certificate for this identity. With Key too, either is accepted.
	Identity        *Identity
	RequireScenario string
	MaxAge          time.Duration
	// Now is the clock of MaxAge; nil is time.Now.
	Now func() time.Time
}

// clockSkew is how far in the future a signing time may lie.
const clockSkew = 5 * time.Minute

// Verified is the attestation a policy accepted.
type Verified struct {
	Attestation SignedAttestation
	Statement   Statement
}

// Check applies the policy to the attestations found attached to subject
// (REPO@sha256:...); children are the digests of its platform manifests
// when it is an index. It returns the first attestation that satisfies
// the policy, or a *Refusal (exit code 2) whose Kind and Reason say what
// was wrong: no signed attestation, signed by another key, altered after
// signing, about another digest, without the required scenario, or a
// failed simulation. unsigned counts the unsigned evidence.json artifacts
// found beside, for the message.
func (p Policy) Check(subject string, found []SignedAttestation, unsigned int, children ...string) (*Verified, error) {
	if p.Key == nil && p.Identity == nil {
		return nil, errors.New("checking signed evidence: no key (--evidence-key) or identity (--certificate-identity) to verify with")
	}
	hint := ""
	if p.Key != nil {
		h, err := KeyHint(p.Key)
		if err != nil {
			return nil, err
		}
		hint = h
	}
	now := time.Now()
	if p.Now != nil {
		now = p.Now()
	}
	digest := subject[strings.LastIndex(subject, "@")+1:]
	ok := append([]string{digest}, children...)
	refusal := &Refusal{Subject: subject, Kind: RefusedUnsigned, Reason: "no signed simulation attestation is attached to it"}
	if unsigned > 0 {
		refusal.Reason = fmt.Sprintf("the simulation evidence attached to it is unsigned (%d evidence.json artifact(s)); sign it with xedgesim attest --key", unsigned)
	}
	refuse := func(a SignedAttestation, kind, reason string) {
		if refusalRank[kind] > refusalRank[refusal.Kind] || refusal.Kind == RefusedUnsigned {
			refusal.Kind, refusal.Reason = kind, reason+fmt.Sprintf(" [attestation %s]", a.Digest)
		}
	}
	for _, a := range found {
		if a.Err != nil {
			refuse(a, RefusedTampered, "the attestation cannot be read, it was altered: "+a.Err.Error())
			continue
		}
		b, err := ParseBundle(a.Bundle)
		if err != nil {
			refuse(a, RefusedTampered, "the attestation is not a valid Sigstore bundle, it was altered: "+err.Error())
			continue
		}
		env := b.DSSEEnvelope
		leaf, err := b.VerificationMaterial.leafCertificate()
		if err != nil {
			refuse(a, RefusedTampered, "the attestation's certificate cannot be read, it was altered: "+err.Error())
			continue
		}
		msg := pae(env.PayloadType, env.Payload)
		if leaf != nil {
			if p.Identity == nil {
				refuse(a, RefusedOtherKey, "the attestation is signed with a certificate (keyless), not with the evidence key")
				continue
			}
			if !slices.ContainsFunc(env.Signatures, func(s Signature) bool { return verifyPAE(leaf.PublicKey, msg, s.Sig) }) {
				refuse(a, RefusedTampered, "the attestation's signature does not match its content and certificate: it was altered after signing")
				continue
			}
			if kind, err := p.Identity.verifyCertificate(leaf, signingTime(env, now)); err != nil {
				refuse(a, kind, "the keyless attestation is refused: "+err.Error())
				continue
			}
		} else {
			if p.Key == nil {
				refuse(a, RefusedOtherKey, "the attestation is signed with a key, not with a certificate for "+p.Identity.describe())
				continue
			}
			keyHint := ""
			if b.VerificationMaterial.PublicKey != nil {
				keyHint = b.VerificationMaterial.PublicKey.Hint
			}
			if keyHint != "" && keyHint != hint {
				refuse(a, RefusedOtherKey, "the attestation is signed by another key, not by the evidence key")
				continue
			}
			if !slices.ContainsFunc(env.Signatures, func(s Signature) bool { return verifyPAE(p.Key, msg, s.Sig) }) {
				if keyHint == hint {
					refuse(a, RefusedTampered, "the attestation's signature does not match its content: it was altered after signing")
				} else {
					refuse(a, RefusedOtherKey, "the attestation's signature does not verify with the evidence key: signed by another key, or altered")
				}
				continue
			}
		}
		if env.PayloadType != PayloadType {
			continue
		}
		st, err := ParseStatement(env.Payload)
		if err != nil {
			// Another kind of attestation (provenance, SBOM): not ours to judge.
			continue
		}
		if !slices.ContainsFunc(st.Digests(), func(d string) bool { return slices.Contains(ok, d) }) {
			refuse(a, RefusedOtherSubject, fmt.Sprintf("the signed attestation is about %s, not this digest", strings.Join(st.Digests(), ", ")))
			continue
		}
		if p.RequireScenario != "" && !slices.Contains(st.Scenarios(), p.RequireScenario) {
			refuse(a, RefusedScenario, fmt.Sprintf("the signed attestation does not name scenario %s (it ran %s)", p.RequireScenario, strings.Join(scenarioNames(st), ", ")))
			continue
		}
		if p.MaxAge > 0 {
			at, ok := st.SignedAt()
			switch {
			case !ok:
				refuse(a, RefusedAge, "the signed attestation records no signing time, so its age cannot be checked (sign it with xedgesim attest --key)")
				continue
			case at.After(now.Add(clockSkew)):
				refuse(a, RefusedAge, fmt.Sprintf("the signed attestation says it was signed at %s, in the future", at.Format(time.RFC3339)))
				continue
			case now.Sub(at) > p.MaxAge:
				refuse(a, RefusedAge, fmt.Sprintf("the signed attestation was signed at %s, longer ago than the maximum age %s", at.Format(time.RFC3339), p.MaxAge))
				continue
			}
		}
		if st.Predicate.Result != Passed {
			why := ""
			if len(st.Predicate.FailedTests) > 0 {
				why = ": " + strings.Join(firstN(st.Predicate.FailedTests, 3), "; ")
			}
			refuse(a, RefusedFailed, fmt.Sprintf("the signed attestation says the simulation %s%s", st.Predicate.Result, why))
			continue
		}
		if ev, carried, err := st.Evidence(); carried {
			if err == nil {
				err = ev.Check(digest, children...)
			}
			if err != nil {
				var r *Refusal
				reason := err.Error()
				if errors.As(err, &r) {
					reason = r.Reason
				}
				refuse(a, RefusedFailed, "the signed evidence does not pass: "+reason)
				continue
			}
		}
		return &Verified{Attestation: a, Statement: st}, nil
	}
	return nil, refusal
}

// signingTime is when a keyless attestation was signed, for checking its
// short-lived certificate: the time xedgesim attest records in the signed
// statement, else now (no transparency log or timestamp authority is
// consulted, so a bundle without it must be checked while its certificate
// is still valid).
func signingTime(env *Envelope, now time.Time) time.Time {
	if env.PayloadType == PayloadType {
		if st, err := ParseStatement(env.Payload); err == nil {
			if t, ok := st.SignedAt(); ok {
				return t
			}
		}
	}
	return now
}

func scenarioNames(st Statement) []string {
	var names []string
	s := st.Scenarios()
	for i := 0; i+1 < len(s); i += 2 {
		names = append(names, s[i])
	}
	if len(names) == 0 {
		return []string{"none"}
	}
	return names
}

func firstN(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(s[:n:n], fmt.Sprintf("and %d more", len(s)-n))
}
