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
#
# Then the pipes: `cat in.tar | retar convert ARGS - - | cat >/dev/null`
# against the same pipe through scripts/hashpipe (every byte read, hashed
# with Go's crypto/sha256 and written once: a one-pass conversion's floor),
# with TMPDIR an empty directory watched while the pipe runs (its largest
# content is the TMPDIR column) and retar's peak RSS. PIPES_ONLY=1 runs the
# pipes alone.
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
go build -o "$work/hashpipe" "$top/scripts/hashpipe"
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

# piped CMD: runs `cat in.tar | CMD | cat >/dev/null` with TMPDIR an empty
# directory, printing "seconds maxrss-KB tmpdir-peak-bytes"; a failure stops
# the bench.
piped() {
	rm -rf "$work/tmpdir"
	mkdir "$work/tmpdir"
	sync
	TMPDIR="$work/tmpdir" /usr/bin/time -o "$work/time" -f '%e %M' sh -c "cat in.tar | $1 | cat >/dev/null" 2>"$work/err" &
	local pid=$! peak=0 now
	while kill -0 "$pid" 2>/dev/null; do
		now=$(find "$work/tmpdir" -type f -printf '%s\n' 2>/dev/null | awk '{ n += $1 } END { printf "%.0f\n", n }')
		[ "$now" -gt "$peak" ] && peak=$now
		sleep 0.1
	done
	if ! wait "$pid"; then
		echo "bench: failed: cat in.tar | $1" >&2
		cat "$work/err" >&2
		exit 1
	fi
	echo "$(tail -1 "$work/time") $peak"
}

# pipe NAME RETAR-ARGS: one row of the pipe table, against hashpipe.
pipe() {
	local name=$1 args=$2
	local rt=() rm=() rp=() ht=()
	for _ in 1 2 3; do
		read -r t m p < <(piped "./retar convert -q $args")
		rt+=("$t"); rm+=("$m"); rp+=("$p")
		read -r t _ _ < <(piped "./hashpipe 2>/dev/null")
		ht+=("$t")
	done
	local mrt mht
	mrt=$(median "${rt[@]}")
	mht=$(median "${ht[@]}")
	local tmp
	tmp=$(median "${rp[@]}")
	if [ "$tmp" -lt $((1 << 20)) ]; then tmp="$tmp B"; else tmp="$((tmp >> 20)) MB"; fi
	printf '| %s | %.2f s | %.2f s | %s | %d MB | %s |\n' "$name" "$mrt" "$mht" \
		"$(awk -v a="$mrt" -v b="$mht" 'BEGIN { printf "%.2f", a / b }')" \
		$(( $(median "${rm[@]}") / 1024 )) "$tmp"
}

# pipes: the pipe table, for the input of this size.
pipes() {
	echo
	echo "| pipe: cat in.tar \| retar convert … \| cat | retar | hashpipe | retar / hashpipe | retar RSS | TMPDIR peak |"
	echo "|---|---|---|---|---|---|"
	pipe "\`--for kind - -\` (one pass)" "--for kind - -"
	pipe "\`- docker-archive:-\` retag (one pass)" "- docker-archive:-:bench:2"
	pipe "\`--platform linux/amd64 - -\` (spooled: a pick)" "--platform linux/amd64 - -"
}

for size in "${sizes[@]}"; do
	rm -f in.tar in-gz.tar
	./genimage -size "$size" -layers 4 -o in.tar >/dev/null
	if [ -n "${PIPES_ONLY:-}" ]; then
		echo
		echo "$(du -m in.tar | cut -f1) MB docker-archive of 4 layers (<hex>.tar, as podman and skopeo write them);"
	else
		./retar convert -q --compress gzip in.tar oci-archive:in-gz.tar
		echo
		echo "$(du -m in.tar | cut -f1) MB docker-archive of 4 layers, the same as a $(du -m in-gz.tar | cut -f1) MB oci-archive with gzip layers;"
	fi
	echo "$(nproc) cores, $(awk '/MemTotal/ { printf "%d GiB", $2 / 1048576 }' /proc/meminfo), $(skopeo --version), $(./retar version 2>/dev/null | head -1 || true)"
	echo
	if [ -n "${PIPES_ONLY:-}" ]; then pipes; continue; fi
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
	pipes
done

