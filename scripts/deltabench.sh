#!/usr/bin/env bash
# deltabench.sh [SIZE_MB] — a delta against the full archive, measured: an
# image of SIZE_MB (default 1024) in "real" layers (scripts/genimage) and its
# update that changes one 50 MiB layer (layer 10), as docker-archives; then
#   full    retar convert v2.tar full.tar
#   digests retar digests v1.tar > have.txt
#   delta   retar convert --since v1.tar v2.tar delta.tar (and --since have.txt)
#   apply   retar convert --base v1.tar delta.tar applied.tar (= full.tar, checked)
# Each line: what, seconds, bytes written. Files in a temp dir, removed.
set -euo pipefail
SIZE=${1:-1024}
TOP=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/retar-deltabench.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$TOP"
go build -o "$W/retar" ./cli/retar
go build -o "$W/genimage" ./scripts/genimage
"$W/genimage" -size "$SIZE" -layers real -o "$W/v1.tar"
"$W/genimage" -size "$SIZE" -layers real -change 10 -o "$W/v2.tar"
timed() { # timed WHAT OUTPUT COMMAND...
	local what=$1 out=$2 t0 t1
	shift 2
	sync
	t0=$(date +%s.%N)
	"$@"
	t1=$(date +%s.%N)
	printf '%-22s %7.2f s %14s bytes\n' "$what" "$(echo "$t1 - $t0" | bc)" "$(stat -c %s "$out")"
}
R=$W/retar
printf 'image %s MB: v1.tar %s bytes, v2.tar %s bytes (layer 10 changed)\n' "$SIZE" "$(stat -c %s "$W/v1.tar")" "$(stat -c %s "$W/v2.tar")"
timed "full bundle" "$W/full.tar" "$R" convert -q "$W/v2.tar" "$W/full.tar"
# shellcheck disable=SC2016 # expanded by sh -c
timed "digests of v1" "$W/have.txt" sh -c '"$1" digests -q "$2" >"$3"' _ "$R" "$W/v1.tar" "$W/have.txt"
timed "delta (since v1.tar)" "$W/delta.tar" "$R" convert -q --since "$W/v1.tar" "$W/v2.tar" "$W/delta.tar"
timed "delta (since list)" "$W/delta2.tar" "$R" convert -q --since "$W/have.txt" "$W/v2.tar" "$W/delta2.tar"
cmp "$W/delta.tar" "$W/delta2.tar"
timed "apply (base v1.tar)" "$W/applied.tar" "$R" convert -q --base "$W/v1.tar" "$W/delta.tar" "$W/applied.tar"
cmp "$W/applied.tar" "$W/full.tar" && echo "applied = full bundle, byte for byte"
