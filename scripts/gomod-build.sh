#!/usr/bin/env bash
# gomod-build.sh — build commands of a Go module at a version, as its own
# module (its go.mod, its replace and exclude directives), from the module proxy.
#
#   bash scripts/gomod-build.sh MODULE@VERSION OUTDIR [-tags TAGS] [-ldflags FLAGS] PKG...
#
# `go install MODULE/cmd/x@VERSION` refuses modules with replace or exclude
# directives (containerd, moby), so: `go mod download -json` gives the
# module's folder in the module cache; it is copied out (the cache is
# read-only), and built there with -mod=mod (module zips hold no vendor/),
# CGO_ENABLED=0, -trimpath. PKG are relative to the module root
# (./cmd/ctr). The copy is removed afterwards; Go's build cache makes a
# second build of the same version a matter of seconds.
set -euo pipefail
if (($# < 3)); then
	echo "usage: gomod-build.sh MODULE@VERSION OUTDIR [-tags TAGS] [-ldflags FLAGS] PKG..." >&2
	exit 2
fi
mod=$1 out=$2
shift 2
flags=()
while (($#)); do
	case $1 in
	-tags | -ldflags) flags+=("$1" "$2"); shift 2 ;;
	*) break ;;
	esac
done
(($#)) || { echo "gomod-build.sh: no package to build" >&2; exit 2; }
dir=$(go mod download -json "$mod" | jq -r .Dir)
[[ -d $dir ]] || { echo "gomod-build.sh: go mod download $mod gave no folder" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
src=$(mktemp -d "${TMPDIR:-/tmp}/gomod-build.XXXXXX")
trap 'rm -rf "$src"' EXIT
cp -r "$dir/." "$src/"
chmod -R u+w "$src"
cd "$src"
# GOFLAGS from the caller (e.g. -mod=readonly) would fight -mod=mod.
GOFLAGS= CGO_ENABLED=0 go build -mod=mod -trimpath "${flags[@]}" -o "$out/" "$@"
