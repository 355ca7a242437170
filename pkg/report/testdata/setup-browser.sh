#!/usr/bin/env bash
# setup-browser.sh — installs what the report package's browser test needs:
# Debian's chromium (headless screenshots of report.html and of the Mermaid
# charts in summary.md) and a pinned mermaid.min.js, since the test machine
# has no internet and Mermaid must load from a file:// path.
#
# Idempotent: a second run checks and only fixes what is missing. Run as root.
#
#   bash pkg/report/testdata/setup-browser.sh
#
# Environment:
#   XEDGESIM_MERMAID_DIR  where mermaid.min.js goes (default
#                         /var/cache/xedgesim/mermaid; the test reads the
#                         same variable)
set -Eeuo pipefail

# Pinned version and the npm registry's integrity of its tarball: a changed
# tarball is refused rather than loaded into the browser.
MERMAID_VERSION=11.17.2
MERMAID_INTEGRITY=sha512-V6K3C8EBdEsPFZXSKMJe6ppQOENxuHARr9GvHX4hh47lAbhMRD9qf4oEK7LoaRQxULMa80/qt5gHO73aCleBBg==
MERMAID_DIR=${XEDGESIM_MERMAID_DIR:-/var/cache/xedgesim/mermaid}

log() { printf 'setup-browser: %s\n' "$*"; }
die() {
	printf 'setup-browser: FAILED: %s\n' "$*" >&2
	exit 1
}

export DEBIAN_FRONTEND=noninteractive
apt_updated=0
apt_install() {
	if ((apt_updated == 0)); then
		apt-get update -qq || die "apt-get update"
		apt_updated=1
	fi
	apt-get install -y -qq --no-install-recommends "$@" >/dev/null || die "apt-get install $*"
}

# Chromium, with fonts so chart labels render as text and not as boxes.
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || need+=(fonts-dejavu-core)
if ((${#need[@]})); then
	log "installing ${need[*]}"
	apt_install "${need[@]}"
fi
log "chromium: $(chromium --version 2>/dev/null || echo present)"

# Mermaid: the tarball from the npm registry, checked against the pinned
# integrity, and only its self-contained browser bundle kept.
stamp=$MERMAID_DIR/VERSION
if [[ -s $MERMAID_DIR/mermaid.min.js && -f $stamp && $(<"$stamp") == "$MERMAID_VERSION" ]]; then
	log "mermaid $MERMAID_VERSION already in $MERMAID_DIR"
	exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
	log "installing npm"
	apt_install npm nodejs
fi
command -v openssl >/dev/null 2>&1 || apt_install openssl

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log "fetching mermaid $MERMAID_VERSION"
(cd "$work" && npm pack --silent "mermaid@$MERMAID_VERSION" >/dev/null) || die "npm pack mermaid@$MERMAID_VERSION"
tgz=$work/mermaid-$MERMAID_VERSION.tgz
[[ -f $tgz ]] || die "npm pack left no $tgz"
got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
[[ $got == "$MERMAID_INTEGRITY" ]] || die "mermaid tarball integrity $got, want $MERMAID_INTEGRITY"
tar -xzf "$tgz" -C "$work" package/dist/mermaid.min.js || die "extracting mermaid.min.js"

mkdir -p "$MERMAID_DIR"
# Replace atomically so a concurrent test never reads half a file.
install -m 0644 "$work/package/dist/mermaid.min.js" "$MERMAID_DIR/.mermaid.min.js.new"
mv -f "$MERMAID_DIR/.mermaid.min.js.new" "$MERMAID_DIR/mermaid.min.js"
printf '%s\n' "$MERMAID_VERSION" >"$stamp"
log "mermaid $MERMAID_VERSION in $MERMAID_DIR/mermaid.min.js"
