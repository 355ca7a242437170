# The xedgesim image: the one static binary on an empty base, with CA
# certificates for registries over TLS. For a container action
# (runs: using: docker) and for `docker run`:
#
#   docker run --rm -v "$PWD:/w" -w /w ghcr.io/xedgesim/xedgesim simulate scenarios/m0_baseline.yaml
#
# Built for every platform from one build stage on the build machine's own
# platform (Go cross-compiles; nothing runs under emulation):
#
#   docker buildx build --platform linux/amd64,linux/arm64,linux/arm/v7 --build-arg VERSION=v1.2.3 .
#
# GO_IMAGE is the Go toolchain image of the build stage. It is an argument
# so that a machine without access to Docker Hub (the test bed, an air-gapped
# builder) can give one it made itself; anything with go at least as new as
# go.mod's, CA certificates and /bin/sh will do.
#
# No `# syntax=` line: the builder's built-in Dockerfile frontend is used,
# so nothing is pulled besides GO_IMAGE.
ARG GO_IMAGE=golang:1.26-bookworm

FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build
ARG TARGETOS
ARG TARGETARCH
ARG TARGETVARIANT
ARG VERSION=dev
ARG GOPROXY=https://proxy.golang.org,direct
ENV CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=readonly \
    GOMODCACHE=/cache/gomod GOCACHE=/cache/gobuild
WORKDIR /src
# Modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/cache/gomod go mod download
# Only what the binary is built from (the same files the composite
# actions hash to decide whether to rebuild).
COPY cmd ./cmd
COPY internal ./internal
COPY pkg ./pkg
RUN --mount=type=cache,target=/cache/gomod --mount=type=cache,target=/cache/gobuild \
    GOOS=$TARGETOS GOARCH=$TARGETARCH GOARM=${TARGETVARIANT#v} \
    go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X github.com/xedgesim/simulate/internal/version.Version=$VERSION" \
      -o /out/usr/local/bin/xedgesim ./cmd/xedgesim \
 && mkdir -p /out/etc/ssl/certs /out/tmp \
 && cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ \
 && chmod 1777 /out/tmp

# No USER and no WORKDIR: a container action runs as the runner's user in
# the workspace GitHub mounts, and either would break that. /tmp exists
# (empty, world-writable) because the binary writes temporary files there.
FROM scratch
COPY --from=build /out/ /
ENTRYPOINT ["/usr/local/bin/xedgesim"]
