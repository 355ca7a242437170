#!/usr/bin/env bash
# Build xedgesim from the action's own source, so the binary is the code
# of the pinned action ref: run from the repository root by the "Build
# xedgesim" step when prepare.sh said build=true.
#
# Static (CGO_ENABLED=0) and without VCS stamping: the action directory is
# a tarball on GitHub and a copy under act, and git may not be there to ask.
# Built to a temporary name and renamed, so an interrupted build never
# leaves a half-written binary that the next use in this job would take.
set -euo pipefail
export CGO_ENABLED=0 GOTOOLCHAIN=local
# The version the binary reports is the action ref (v1, a tag or a
# commit), when it is a plain ref name.
ref=${GITHUB_ACTION_REF:-}
case $ref in
'' | *[!A-Za-z0-9._/-]*) ref=dev ;;
esac
bin="$RUNNER_TEMP/xedgesim-bin"
mkdir -p "$bin"
go build -trimpath -buildvcs=false \
	-ldflags "-s -w -X github.com/xedgesim/simulate/internal/version.Version=$ref" \
	-o "$bin/xedgesim.tmp" ./cmd/xedgesim
mv -f "$bin/xedgesim.tmp" "$bin/xedgesim"
printf '%s\n' "$XEDGESIM_SOURCE_KEY" >"$bin/source.sha256"
"$bin/xedgesim" version
