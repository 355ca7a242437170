// Package manifest reads deploy.yaml, the description of one deployment:
// the image (by digest), the service it runs, how it gets to the hosts, the
// hosts themselves, the rollout and the SSH settings.
//
// Load and Parse report every mistake at once, each with its file, line and
// column and what to write instead, as an [*Error] whose exit code is 3.
// [Schema] is the JSON Schema of the format, for editors.
package manifest
