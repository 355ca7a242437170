// Package build turns a Go main package or a Dockerfile into one
// multi-platform OCI image index, reproducibly, and writes it to an OCI
// layout, a tarball, the local Docker Engine or a registry.
//
// Two builders implement [Builder]: [NewGo] cross-compiles a Go program for
// every platform and layers it onto a base image with go-containerregistry,
// without a daemon; [NewDockerfile] drives `docker buildx build` on the
// current builder. Both return a [Result], which [Write] sends to its
// outputs. [LoadDockerfile] builds a Dockerfile straight into the Docker
// Engine instead (buildx --load), which the default `docker` driver, unable
// to export a layout, can do too: simulate builds a scenario's
// build_context that way.
//
// [Run] is the build verb in one call: a [Request] says what to build and
// where it goes, and Run applies the policy the CLI and the GitHub Action
// share (a registry output is a push, docker: alone builds this machine's
// platform, tags and annotations come from the Actions context, the digest
// reference printed last) and writes the image-refs and metadata files.
//
// The package never prints. Progress goes to a [Progress] that the caller
// renders; errors a user can fix are [*InputError]s (exit code 3).
package build
