#!/usr/bin/env bash
# bench.sh [SIZE_MB] — retar against skopeo on the same generated archive, in
# one run: wall time and peak memory (max RSS) of each conversion, medians of
# 3 runs. The archive is a docker-archive of two layers of SIZE_MB/2 each
# (default 1024 MB in all): half random bytes, half repetitive text, so
# compression has real work. Needs skopeo (apt-get install skopeo).
set -euo pipefail
size=${1:-1024}
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/retar-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
command -v skopeo >/dev/null || { echo "bench: skopeo is not installed (apt-get install skopeo)" >&2; exit 1; }
go build -o "$work/retar" "$top/cli/retar"
go run "$top/scripts/genimage" -size "$size" -o "$work/in.tar"
(cd "$work" && "$work/retar" convert -q in.tar oci-archive:in-oci.tar)

run() { # label, command...: prints "label  seconds  MaxRSS-MB" (median of 3)
	local label=$1; shift
	local times=() rss=()
	for _ in 1 2 3; do
		rm -rf "$work"/out*
		sync
		local t
		/usr/bin/time -o "$work/time" -f '%e %M' "$@" >/dev/null 2>&1
		t=$(tail -1 "$work/time")
		times+=("${t% *}"); rss+=("${t#* }")
	done
	local mt mr
	mt=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)
	mr=$(printf '%s\n' "${rss[@]}" | sort -n | sed -n 2p)
	printf '%-44s %8.2f s %8d MB\n' "$label" "$mt" "$((mr / 1024))"
}
cd "$work"
echo "input: $(du -m in.tar | cut -f1) MB docker-archive, 2 layers; $(nproc) cores; $(skopeo --version)"
run "retar  docker-archive -> oci-archive" ./retar convert -q in.tar oci-archive:out.tar
run "skopeo docker-archive -> oci-archive" skopeo copy -q docker-archive:in.tar oci-archive:out.tar
run "retar  retag docker-archive" ./retar convert -q in.tar docker-archive:out.tar:bench:2
run "skopeo retag docker-archive" skopeo copy -q docker-archive:in.tar docker-archive:out.tar:bench:2
run "retar  oci-archive -> oci (dir)" ./retar convert -q in-oci.tar oci:out
run "skopeo oci-archive -> oci (dir)" skopeo copy -q oci-archive:in-oci.tar oci:out
run "retar  docker-archive -> oci-archive, zstd" ./retar convert -q --compress zstd in.tar oci-archive:out.tar
run "skopeo docker-archive -> oci-archive, zstd" skopeo copy -q --dest-compress-format zstd docker-archive:in.tar oci-archive:out.tar
run "retar  docker-archive -> oci-archive, gzip" ./retar convert -q --compress gzip in.tar oci-archive:out.tar
run "skopeo docker-archive -> oci-archive, gzip" skopeo copy -q --dest-compress docker-archive:in.tar oci-archive:out.tar
run "retar  verify" ./retar verify -q in.tar
