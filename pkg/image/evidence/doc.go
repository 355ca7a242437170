// Package evidence defines evidence.json, what a simulation proves about the
// images that ran in it (scenario files by SHA-256, seeds, per-run verdicts,
// image digests, toolkit version; no timestamps, so it is reproducible), and
// attaches it to an image digest as an OCI artifact
// (artifactType application/vnd.xedgesim.simulation.v1+json, with a subject)
// through the referrers API or the referrers tag fallback. Promotion checks
// it with [Evidence.Check].
//
// The same simulation as an in-toto Statement v1 with the test-result
// predicate ([NewStatement]) is what a security team accepts once signed:
// [Sign] puts it in a DSSE envelope in a Sigstore bundle v0.3 with a
// cosign-format key ([ParsePrivateKey]), [AttachSigned] attaches the bundle
// as cosign attest --new-bundle-format does, and [Policy.Check] is the one
// verification policy of promotion, deploy and the device. Keys, DSSE and
// the bundle use only the standard library and x/crypto: every verb links
// this package, and sigstore-go's dependencies would cost start-up time in
// all of them. The real cosign CLI is the interop reference in the tests.
package evidence
