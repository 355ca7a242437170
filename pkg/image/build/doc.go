// Package build turns a Go main package or a Dockerfile into one
// multi-platform OCI image index, reproducibly, and writes it to an OCI
// layout, a tarball, the local Docker Engine or a registry.
//
// Two builders implement [Builder]: [NewGo] cross-compiles a Go program for
// every platform and layers it onto a base image with go-containerregistry,
// without a daemon; [NewDockerfile] drives `docker buildx build` on the
// current builder. Both return a [Result], which [Write] sends to its
// outputs.
//
// The package never prints. Progress goes to a [Progress] that the caller
// renders; errors a user can fix are [*InputError]s (exit code 3).
package build
