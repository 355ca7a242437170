// Package evidence defines evidence.json, what a simulation proves about the
// images that ran in it (scenario files by SHA-256, seeds, per-run verdicts,
// image digests, toolkit version; no timestamps, so it is reproducible), and
// attaches it to an image digest as an OCI artifact
// (artifactType application/vnd.xedgesim.simulation.v1+json, with a subject)
// through the referrers API or the referrers tag fallback. Promotion checks
// it with [Evidence.Check].
package evidence
