// Package provenance describes how an image was built as SLSA v1
// provenance in an in-toto statement: the build's parameters, the sources
// and modules it resolved (the module graph each Go binary records), the
// builder and the run. The statement is signed and attached like the
// simulation's evidence (package evidence), so `cosign verify-attestation
// --type slsaprovenance1` checks it.
package provenance
