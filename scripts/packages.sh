#!/usr/bin/env bash
# scripts/packages.sh DIST VERSION: the .deb, .rpm and .apk of retar for
# linux/amd64 and linux/arm64, from DIST/retar-linux-ARCH (make dist builds
# them first), written as DIST/retar-linux-ARCH.{deb,rpm,apk}.
#
# Each holds /usr/bin/retar, the man pages (docs/man, gzip -n) in
# /usr/share/man/man1 and the bash, zsh and fish completions where each
# distribution's shells look (packaging/nfpm.yaml). nfpm is the one
# scripts/tools pins; NFPM=PATH uses a binary already built from it (make
# dist-check builds it once for both builds). Every file's time is
# SOURCE_DATE_EPOCH (required: make dist sets it from the commit), so the
# packages are byte for byte the same on a second build.
set -euo pipefail
[[ $# == 2 ]] || {
	echo "usage: scripts/packages.sh DIST VERSION" >&2
	exit 2
}
DIST=$(cd "$1" && pwd) VERSION=$2
cd "$(dirname "$0")/.."
TOP=$PWD
GO=${GO:-go}
: "${SOURCE_DATE_EPOCH:?packages.sh: SOURCE_DATE_EPOCH must be set (make dist sets it)}"
export SOURCE_DATE_EPOCH

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
if [[ -z ${NFPM:-} ]]; then
	NFPM=$stage/nfpm
	$GO -C "$TOP/scripts/tools" build -trimpath -o "$NFPM" github.com/goreleaser/nfpm/v2/cmd/nfpm
fi

# The completions come from the binary itself: the one for this machine when
# make dist built it, else a build for here (the scripts are the same on
# every platform).
host=$($GO env GOOS)-$($GO env GOARCH)
self=$DIST/retar-$host
if [[ ! -x $self ]]; then
	self=$stage/retar
	CGO_ENABLED=0 $GO build -trimpath -o "$self" ./cli/retar
fi
mkdir -p "$stage/man" "$stage/completion"
"$self" completion bash >"$stage/completion/retar.bash"
"$self" completion zsh >"$stage/completion/_retar"
"$self" completion fish >"$stage/completion/retar.fish"
for m in docs/man/*.1; do
	gzip -n -9 -c "$m" >"$stage/man/${m##*/}.gz"
done
# nfpm stamps SOURCE_DATE_EPOCH on what it lists; a glob's files keep their own time
touch -d "@$SOURCE_DATE_EPOCH" "$stage"/man/* "$stage"/completion/*

# The package version: 1.2.3 for the tag v1.2.3; otherwise (a commit between
# tags, a dirty tree) the last tag's version or 0.0.0, as a prerelease
# named by the commit's time, which every package manager sorts by.
base=${VERSION#v} pre=
if ! [[ $base =~ ^[0-9]+(\.[0-9]+)*$ ]]; then
	[[ $base =~ ^([0-9]+(\.[0-9]+)*)- ]] && base=${BASH_REMATCH[1]} || base=0.0.0
	pre=git$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d%H%M%S)
fi

for arch in amd64 arm64; do
	bin=$DIST/retar-linux-$arch
	[[ -x $bin ]] || {
		echo "packages.sh: $bin: missing (make dist builds it)" >&2
		exit 1
	}
	for fmt in deb rpm apk; do
		PKG_ARCH=$arch PKG_VERSION=$base PKG_PRERELEASE=$pre PKG_BIN=$bin PKG_STAGE=$stage \
			"$NFPM" package --config packaging/nfpm.yaml --packager "$fmt" \
			--target "$DIST/retar-linux-$arch.$fmt" >/dev/null
		echo "dist: retar-linux-$arch.$fmt"
	done
done
