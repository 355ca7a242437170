#!/usr/bin/env bash
# Prepare xedgesim for one of the composite actions: run from the
# repository root of the action's source, by the "Prepare xedgesim" step.
#
# Where the binary comes from (input "version"):
#   auto     a released binary when this action's source names a release
#            (release/version) and has a checksum for this runner's OS and
#            architecture (release/checksums.txt); else built from source
#   release  the released binary, or fail
#   source   built from the action's own source with Go
#
# Why the checksums live in the action's source: the user pins the action
# by tag or commit, and the commit pins release/checksums.txt, so the binary
# that runs is the one that release built. The download location does not
# matter for integrity: a binary whose SHA-256 differs is refused before it
# ever runs (and removed).
#
# Outputs ($GITHUB_OUTPUT): key (hash of the binary's sources), build
# (true: the next step builds from source), setup-go (true: no suitable Go
# is installed, actions/setup-go must install one). A verified download is
# recorded in $GITHUB_ENV (XEDGESIM_PREPARED, see Reuse below).
#
# XEDGESIM_RELEASE_URL overrides where releases are downloaded from
# (default https://github.com/xedgesim/simulate/releases/download), for
# mirrors and tests.
set -euo pipefail

# Escape a value for a workflow command (::error::), so that input text
# cannot end the command or start another one.
escape() {
	local s=$1
	s=${s//'%'/%25}
	s=${s//$'\r'/%0D}
	s=${s//$'\n'/%0A}
	printf '%s' "$s"
}
fail() {
	echo "::error title=xedgesim::$(escape "$2")"
	exit "$1"
}

version=${INPUT_VERSION:-auto}
version=${version#"${version%%[![:space:]]*}"}
version=${version%"${version##*[![:space:]]}"}
case $version in
'') version=auto ;;
auto | release | source) ;;
*) fail 3 "input \"version\": \"$version\" is not one of auto, release, source" ;;
esac

if [ "${RUNNER_OS:-}" = Windows ]; then
	fail 1 "xedgesim runs on Linux and macOS runners; use runs-on: ubuntu-latest or a Linux self-hosted runner"
fi

if command -v sha256sum >/dev/null 2>&1; then
	sum=(sha256sum)
else
	sum=(shasum -a 256) # macOS
fi

# The files the binary is built from, names and contents: sources and
# embedded files of cmd, internal and pkg, and the module files. Tests and
# test data do not change the binary.
key=$(
	{
		find cmd internal pkg -type f ! -name '*_test.go' ! -name '*.test' ! -path '*/testdata/*' -print0
		printf '%s\0' go.mod go.sum
	} | LC_ALL=C sort -z | xargs -0 "${sum[@]}" | "${sum[@]}" | cut -d' ' -f1
)
echo "key=$key" >>"$GITHUB_OUTPUT"

# Reuse. The binary lives at a fixed path in RUNNER_TEMP, which every step
# of the job can write, so the file alone proves nothing: an earlier step
# could plant a binary there, a later one swap it. Whoever prepared it in
# this job (the download below, or build.sh) recorded its SHA-256, with the
# source key, in the job's environment (XEDGESIM_PREPARED="<key> <sha256>",
# through $GITHUB_ENV), and the binary is reused only if it still has that
# SHA-256. A step that can rewrite the job's environment can also set
# BASH_ENV or LD_PRELOAD for every later step, so the record is as safe as
# the job itself; a file beside the binary would not be. A binary without
# a record for this source is not ours: it is replaced. One whose SHA-256
# differs from the record was changed after it was verified: refused.
bin="$RUNNER_TEMP/xedgesim-bin"
prepared=${XEDGESIM_PREPARED:-}
if [ -e "$bin/xedgesim" ] || [ -L "$bin/xedgesim" ]; then
	if [ -n "$prepared" ] && [ "${prepared%% *}" = "$key" ]; then
		recorded=${prepared#* }
		got=$("${sum[@]}" <"$bin/xedgesim" | cut -d' ' -f1)
		if [ "$got" != "$recorded" ] || [ -L "$bin/xedgesim" ] || [ ! -x "$bin/xedgesim" ]; then
			rm -f "$bin/xedgesim"
			fail 1 "$bin/xedgesim has SHA-256 $got, but the binary prepared in this job had $recorded: something in the job changed it after it was verified; refusing to run it (removed)"
		fi
		echo "Reusing $bin/xedgesim, prepared in this job from the same source (SHA-256 $got, as recorded)."
		echo "build=false" >>"$GITHUB_OUTPUT"
		echo "setup-go=false" >>"$GITHUB_OUTPUT"
		exit 0
	fi
	echo "Not reusing $bin/xedgesim: this job recorded no binary prepared from this source; replacing it."
	rm -f "$bin/xedgesim" "$bin/source.sha256"
fi

# record notes the binary now in place as prepared from this source, for
# the next prepare of this job (see Reuse above).
record() {
	printf 'XEDGESIM_PREPARED=%s %s\n' "$key" "$1" >>"$GITHUB_ENV"
}

# platform is the release asset's suffix for this machine: linux-amd64,
# linux-arm64, linux-armv7, darwin-arm64, ...
platform() {
	local os arch
	case $(uname -s) in
	Linux) os=linux ;;
	Darwin) os=darwin ;;
	*) return 1 ;;
	esac
	case $(uname -m) in
	x86_64 | amd64) arch=amd64 ;;
	aarch64 | arm64) arch=arm64 ;;
	armv7*) arch=armv7 ;;
	armv6*) arch=armv6 ;;
	*) return 1 ;;
	esac
	printf '%s-%s' "$os" "$arch"
}

# download fetches a released binary, checks it against the checksum in
# release/checksums.txt, and installs it. It returns 1 when there is no
# release binary to try (the caller may build instead) and exits when one
# exists but is wrong.
download() {
	local release want asset url tmp got
	release=$(cat release/version 2>/dev/null || true)
	if [ -z "$release" ]; then
		echo "This action's source names no release (release/version)."
		return 1
	fi
	if ! asset="xedgesim-$(platform)"; then
		echo "No release binary for $(uname -s)/$(uname -m)."
		return 1
	fi
	want=$(awk -v a="$asset" '$2 == a || $2 == "*" a { print $1; exit }' release/checksums.txt 2>/dev/null || true)
	if [ -z "$want" ]; then
		echo "Release $release has no $asset in release/checksums.txt."
		return 1
	fi
	url="${XEDGESIM_RELEASE_URL:-https://github.com/xedgesim/simulate/releases/download}/$release/$asset"
	mkdir -p "$bin"
	tmp="$bin/xedgesim.download"
	rm -f "$tmp"
	echo "Downloading $url"
	if command -v curl >/dev/null 2>&1; then
		curl -fsSL --retry 3 --retry-delay 2 --connect-timeout 20 -o "$tmp" "$url" || {
			rm -f "$tmp"
			echo "Could not download $url."
			return 1
		}
	else
		wget -q -O "$tmp" "$url" || {
			rm -f "$tmp"
			echo "Could not download $url."
			return 1
		}
	fi
	got=$("${sum[@]}" "$tmp" | cut -d' ' -f1)
	if [ "$got" != "$want" ]; then
		rm -f "$tmp"
		fail 1 "$url has SHA-256 $got, but release/checksums.txt of this action says $want; refusing to run it"
	fi
	chmod 755 "$tmp"
	mv -f "$tmp" "$bin/xedgesim"
	record "$got"
	echo "Verified $asset of $release (SHA-256 $got)."
	"$bin/xedgesim" version
}

if [ "$version" != source ]; then
	if download; then
		echo "build=false" >>"$GITHUB_OUTPUT"
		echo "setup-go=false" >>"$GITHUB_OUTPUT"
		exit 0
	fi
	if [ "$version" = release ]; then
		fail 1 "input \"version\" is release, but no verified release binary is available for this runner (see above)"
	fi
	echo "Building from source instead."
fi
echo "build=true" >>"$GITHUB_OUTPUT"

want=$(sed -n 's/^go \([0-9][0-9.]*\).*/\1/p' go.mod | head -n 1)
have=
if command -v go >/dev/null 2>&1; then
	# GOTOOLCHAIN=local asks the installed Go itself, instead of letting it
	# fetch a newer toolchain behind our back.
	have=$(cd / && GOTOOLCHAIN=local go env GOVERSION 2>/dev/null) || have=
	have=${have#go}
	have=${have%%[!0-9.]*}
fi
if [ -n "$have" ] && [ "$(printf '%s\n%s\n' "$want" "$have" | sort -V | head -n 1)" = "$want" ]; then
	echo "Using the installed Go $have (go.mod needs $want)."
	echo "setup-go=false" >>"$GITHUB_OUTPUT"
else
	echo "Go $want or newer is not installed (found: ${have:-none}); installing it with actions/setup-go."
	echo "setup-go=true" >>"$GITHUB_OUTPUT"
fi
