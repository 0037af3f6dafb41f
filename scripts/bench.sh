#!/usr/bin/env bash
# bench.sh [SIZE_MB...] — retar against skopeo and against the machine's
# floor, in one run, for each size (default 630): wall time (median of 3,
# retar and skopeo alternated) and peak memory (max RSS) of each job.
#
# The input is a generated docker-archive of four layers, each one file half
# pseudo-random bytes and half repetitive text, and the same image as an
# oci-archive with gzip layers. The floor of a job that only copies is its
# CPU work divided over the cores: hashing every input byte plus copying the
# input once (scripts/floor); jobs that re-encode have none. Needs skopeo and GNU time.
set -euo pipefail
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(630)
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/retar-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
command -v skopeo >/dev/null || { echo "bench: skopeo is not installed (apt-get install skopeo)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: GNU time is not installed (apt-get install time)" >&2; exit 1; }
# retar is built as the release builds it (make dist): static, stripped. A
# binary linked to libc takes some 4 ms more to start, 2% of the shortest job.
CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$work/retar" "$top/cli/retar"
go build -o "$work/genimage" "$top/scripts/genimage"
go build -o "$work/floor" "$top/scripts/floor"
cd "$work"

# once CMD...: runs it, printing "seconds maxrss-KB"; a failure stops the bench.
once() {
	rm -rf "$work"/out*
	sync
	if ! /usr/bin/time -o "$work/time" -f '%e %M' "$@" >/dev/null 2>"$work/err"; then
		echo "bench: failed: $*" >&2
		cat "$work/err" >&2
		exit 1
	fi
	tail -1 "$work/time"
}
median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }

# job NAME INPUT RETAR-ARGS -- SKOPEO-ARGS: one row of the table.
job() {
	local name=$1 input=$2
	shift 2
	local r=() s=()
	while [ "$1" != "--" ]; do r+=("$1"); shift; done
	shift
	s=("$@")
	local rt=() rm=() st=() sm=() ft=()
	for _ in 1 2 3; do
		read -r t m < <(once ./retar convert -q "${r[@]}")
		rt+=("$t"); rm+=("$m")
		read -r t m < <(once skopeo copy -q "${s[@]}")
		st+=("$t"); sm+=("$m")
		if [ "$kind" = copy ]; then
			read -r f _ < <(./floor -copy-to "$work/out.floor" "$input")
			ft+=("$f")
		fi
	done
	local mrt mst mft="" ratio_f="–" floor="–"
	mrt=$(median "${rt[@]}")
	mst=$(median "${st[@]}")
	if [ "$kind" = copy ]; then
		mft=$(median "${ft[@]}")
		floor=$(printf '%.2f s' "$mft")
		ratio_f=$(awk -v a="$mrt" -v b="$mft" 'BEGIN { printf "%.2f", a / b }')
	fi
	printf '| %s | %.2f s | %.2f s | %s | %s | %s | %d MB | %d MB |\n' "$name" "$mrt" "$mst" "$floor" \
		"$(awk -v a="$mrt" -v b="$mst" 'BEGIN { printf "%.2f", a / b }')" "$ratio_f" \
		$(( $(median "${rm[@]}") / 1024 )) $(( $(median "${sm[@]}") / 1024 ))
}

# stream NAME: retar writing to standard output rather than a file.
stream() {
	local ts=() ms=()
	for _ in 1 2 3; do
		read -r t m < <(once sh -c './retar convert -q in.tar oci-archive:- > out.tar')
		ts+=("$t"); ms+=("$m")
	done
	printf '| %s | %.2f s | – | – | – | – | %d MB | – |\n' "$1" "$(median "${ts[@]}")" $(( $(median "${ms[@]}") / 1024 ))
}

for size in "${sizes[@]}"; do
	rm -f in.tar in-gz.tar
	./genimage -size "$size" -layers 4 -o in.tar >/dev/null
	./retar convert -q --compress gzip in.tar oci-archive:in-gz.tar
	echo
	echo "$(du -m in.tar | cut -f1) MB docker-archive of 4 layers, the same as a $(du -m in-gz.tar | cut -f1) MB oci-archive with gzip layers;"
	echo "$(nproc) cores, $(awk '/MemTotal/ { printf "%d GiB", $2 / 1048576 }' /proc/meminfo), $(skopeo --version), $(./retar version 2>/dev/null | head -1 || true)"
	echo
	echo "| job | retar | skopeo | floor | retar / skopeo | retar / floor | retar RSS | skopeo RSS |"
	echo "|---|---|---|---|---|---|---|---|"
	kind=copy
	job "oci-archive → oci" in-gz.tar in-gz.tar oci:out -- oci-archive:in-gz.tar oci:out
	job "docker-archive retag" in.tar in.tar docker-archive:out.tar:bench:2 -- docker-archive:in.tar docker-archive:out.tar:bench:2
	job "docker-archive → dir" in.tar in.tar dir:out -- docker-archive:in.tar dir:out
	job "docker-archive → oci-archive" in.tar in.tar oci-archive:out.tar -- docker-archive:in.tar oci-archive:out.tar
	kind=reencode
	job "docker-archive → oci-archive, --compress gzip" in.tar --compress gzip in.tar oci-archive:out.tar -- --dest-compress docker-archive:in.tar oci-archive:out.tar
	job "oci-archive → docker-archive, --compress none" in-gz.tar --compress none in-gz.tar docker-archive:out.tar -- --dest-decompress oci-archive:in-gz.tar docker-archive:out.tar
	job "docker-archive → oci-archive, --compress zstd" in.tar --compress zstd in.tar oci-archive:out.tar -- --dest-compress-format zstd docker-archive:in.tar oci-archive:out.tar
	stream "docker-archive → oci-archive on stdout"
done
