// Package e2e runs the project's actions as users do: the example workflows
// under act, a real runner, in host mode, pointed at the test bed (its
// registry, its three edge hosts, the host's Docker engine).
//
// The workflows run unchanged: act replaces xedgesim/simulate@v1 with this
// working tree (--local-repository), the bed's addresses come in as
// repository variables (--var), the SSH key and known_hosts as secrets.
// Third-party actions (checkout, upload-artifact, ...) cannot be fetched
// without the internet, so each pinned reference is replaced by a local
// no-op action; the workspace is already there and Go already installed.
//
// The act and Dockerfile tests need the bed and skip without it (they fail
// under XEDGESIM_TESTBED=1, as `make test` sets). TestPrepareReleaseBinary
// needs only bash: it runs the actions' first step, actions/lib/prepare.sh,
// against a local HTTP server standing in for the release downloads.
package e2e
