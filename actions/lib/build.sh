#!/usr/bin/env bash
# Build xedgesim from the action's own source, so the binary is the code
# of the pinned action ref: run from the repository root by the "Build
# xedgesim" step when prepare.sh said build=true.
#
# Static (CGO_ENABLED=0) and without VCS stamping: the action directory is
# a tarball on GitHub and a copy under act, and git may not be there to ask.
# Built to a temporary name and renamed, so an interrupted build never
# leaves a half-written binary that the next use in this job would take;
# its SHA-256 is recorded in the job's environment, and every later use
# checks the binary against it.
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
if command -v sha256sum >/dev/null 2>&1; then
	got=$(sha256sum <"$bin/xedgesim.tmp" | cut -d' ' -f1)
else
	got=$(shasum -a 256 <"$bin/xedgesim.tmp" | cut -d' ' -f1) # macOS
fi
mv -f "$bin/xedgesim.tmp" "$bin/xedgesim"
# The record later prepares of this job check the binary against before
# they reuse it (prepare.sh, Reuse): the source key and the SHA-256 of
# what was built, in the job's environment, not in a file beside it.
printf 'XEDGESIM_PREPARED=%s %s\n' "$XEDGESIM_SOURCE_KEY" "$got" >>"$GITHUB_ENV"
"$bin/xedgesim" version
