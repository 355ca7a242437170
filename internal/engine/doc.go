// Package engine is a small Docker Engine API client over net/http: what
// pkg/sim/container needs to run a scenario's docker nodes (ping and API
// version negotiation; create, start, inspect, kill, list, remove and read
// the logs of containers; exec, with attached streams over a hijacked
// connection; inspect, load and remove images; create, inspect, list and
// remove networks) and nothing more.
//
// It replaces github.com/moby/moby/client there, a dependency DESIGN.md
// names as chosen, for this reason: every xedgesim command is one static
// binary, and Go runs the init of every package it links, whether or not
// the command uses it. The moby client brought github.com/distribution/reference
// and github.com/opencontainers/go-digest (regular expressions compiled at
// init, 1-6 ms on a small machine), OpenTelemetry, containerd's errdefs and
// more into the start-up of every `xedgesim simulate`, also for scenarios
// without containers. This package links only the standard library (and internal/readlimit) and
// has no init work; the API surface it covers is small, and it decodes
// only the fields its user reads.
//
// The engine is the one the docker CLI would reach: DOCKER_HOST
// (unix:///path or tcp://host:port, with TLS from DOCKER_CERT_PATH and
// DOCKER_TLS_VERIFY as the docker CLI reads them), else the docker context
// DOCKER_CONTEXT or config.json's currentContext names (its host and TLS
// files from the CLI's context store), else unix:///var/run/docker.sock. The API version is the
// engine's (GET /_ping's API-Version header), at most [MaxAPIVersion], or
// DOCKER_API_VERSION when it is set. Every call takes a context and
// returns when it is done. An engine's error answer is an [*Error] with
// the status and the engine's message; errors.Is tells [ErrNotFound] (404)
// and [ErrConflict] (409).
package engine
