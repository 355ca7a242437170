// Package manifest reads deploy.yaml, the description of one deployment:
// the image (by digest), the service it runs, how it gets to the hosts, the
// hosts themselves, the rollout and the SSH settings. The strategy is
// container, native, or one of them with settings:
//
//	strategy: {compose: {file: deploy/compose.yaml, service: broker}}
//	strategy: {native: {binary: /ko-app/broker, supervisor: supervisord}}
//
// The native strategy runs the program alone, without the image's other
// files: it suits a static binary such as xedgesim build --go makes. A
// compose file is read and checked as the compose tool would check it
// (package compose) when the manifest is loaded; its mistakes point into it.
//
// Load and Parse report every mistake at once, each with its file, line and
// column and what to write instead, as an [*Error] whose exit code is 3.
// [Schema] is the JSON Schema of the format, for editors.
package manifest
