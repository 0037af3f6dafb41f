#!/usr/bin/env bash
# bench.sh [SIZE_MB...] — retar against skopeo and against the machine's
# floor, in one run, for each size (default 630): wall time (median of 3,
# retar, skopeo and the floor alternated) and peak memory (max RSS) of each
# job.
#
# The input is a generated docker-archive of four layers, each one file half
# pseudo-random bytes and half repetitive text, and the same image as an
# oci-archive with gzip layers. The floor of a job that only copies is its
# CPU work divided over the cores: hashing every input byte plus copying the
# input once (scripts/floor -copy-to). The floor of a job that re-encodes is
# the CPU work of hashing each source layer, decoding it, hashing the decoded
# bytes, encoding them as retar does and hashing the result, with the same
# libraries and nothing written, divided over the cores (scripts/floor
# -reencode). Needs skopeo and GNU time.
#
# Then the same table for real files, once whatever the sizes: this machine's
# Go toolchain, /usr/bin and shared libraries packed reproducibly as three
# layers (scripts/genimage -real), each layer at most REAL_CAP_MB of file
# content (default 700: some 1.5 GB in all), as a docker-archive and as an
# oci-archive with gzip layers made by retar itself (--compress gzip at the
# default level). REAL_DIRS=DIR1,DIR2,... packs other directories, one layer
# each. REAL_ONLY=1 runs the real-file table alone, SYNTH_ONLY=1 all but it.
#
# Then the pipes: `cat in.tar | retar convert ARGS - - | cat >/dev/null`
# against the same pipe through scripts/hashpipe (every byte read, hashed
# with Go's crypto/sha256 and written once: a one-pass conversion's floor),
# with TMPDIR an empty directory watched while the pipe runs (its largest
# content is the TMPDIR column) and retar's peak RSS. PIPES_ONLY=1 runs the
# pipes alone (of the generated input).
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

# job NAME INPUT RETAR-ARGS -- SKOPEO-ARGS: one row of the table; its floor
# is ./floor "${floor_args[@]}" INPUT, none when floor_args is empty.
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
		if [ ${#floor_args[@]} -gt 0 ]; then
			f=$(./floor "${floor_args[@]}" "$input") || { echo "bench: failed: floor ${floor_args[*]} $input" >&2; exit 1; }
			ft+=("${f%% *}")
		fi
	done
	local mrt mst mft="" ratio_f="–" floor="–"
	mrt=$(median "${rt[@]}")
	mst=$(median "${st[@]}")
	if [ ${#floor_args[@]} -gt 0 ]; then
		mft=$(median "${ft[@]}")
		floor=$(printf '%.2f s' "$mft")
		ratio_f=$(awk -v a="$mrt" -v b="$mft" 'BEGIN { printf "%.2f", a / b }')
	fi
	printf '| %s | %.2f s | %.2f s | %s | %s | %s | %d MB | %d MB |\n' "$name" "$mrt" "$mst" "$floor" \
		"$(awk -v a="$mrt" -v b="$mst" 'BEGIN { printf "%.2f", a / b }')" "$ratio_f" \
		$(( $(median "${rm[@]}") / 1024 )) $(( $(median "${sm[@]}") / 1024 ))
}

# stream NAME INPUT: retar writing to standard output rather than a file.
stream() {
	local ts=() ms=()
	for _ in 1 2 3; do
		read -r t m < <(once sh -c "./retar convert -q $2 oci-archive:- > out.tar")
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

# pipe NAME RETAR-ARGS: one row of the pipe table (retar RETAR-ARGS reading
# the pipe), against hashpipe.
pipe() {
	local name=$1 args=$2
	local rt=() rm=() rp=() ht=()
	for _ in 1 2 3; do
		read -r t m p < <(piped "./retar -q $args")
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
	echo "| pipe: cat in.tar \| retar … \| cat | retar | hashpipe | retar / hashpipe | retar RSS | TMPDIR peak |"
	echo "|---|---|---|---|---|---|"
	pipe "\`convert --for kind - -\` (one pass)" "convert --for kind - -"
	pipe "\`convert - docker-archive:-\` retag (one pass)" "convert - docker-archive:-:bench:2"
	pipe "\`convert --platform linux/amd64 - -\` (spooled: a pick)" "convert --platform linux/amd64 - -"
	pipe "\`verify -\` (one pass: every digest and diff_id)" "verify -"
}

# machine: the line under each table's title.
machine() {
	echo "$(nproc) cores, $(awk '/MemTotal/ { printf "%d GiB", $2 / 1048576 }' /proc/meminfo), $(skopeo --version), $(./retar version 2>/dev/null | head -1 || true)"
}

# jobs DOCKER GZ: the table of jobs, of the docker-archive DOCKER and the
# same image as the oci-archive GZ with gzip layers.
jobs() {
	local d=$1 g=$2
	echo "| job | retar | skopeo | floor | retar / skopeo | retar / floor | retar RSS | skopeo RSS |"
	echo "|---|---|---|---|---|---|---|---|"
	floor_args=(-copy-to "$work/out.floor")
	job "oci-archive → oci" "$g" "$g" oci:out -- "oci-archive:$g" oci:out
	job "docker-archive retag" "$d" "$d" docker-archive:out.tar:bench:2 -- "docker-archive:$d" docker-archive:out.tar:bench:2
	job "docker-archive → dir" "$d" "$d" dir:out -- "docker-archive:$d" dir:out
	job "docker-archive → oci-archive" "$d" "$d" oci-archive:out.tar -- "docker-archive:$d" oci-archive:out.tar
	floor_args=(-reencode gzip)
	job "docker-archive → oci-archive, --compress gzip" "$d" --compress gzip "$d" oci-archive:out.tar -- --dest-compress "docker-archive:$d" oci-archive:out.tar
	floor_args=(-reencode none)
	job "oci-archive → docker-archive, --compress none" "$g" --compress none "$g" docker-archive:out.tar -- --dest-decompress "oci-archive:$g" docker-archive:out.tar
	floor_args=(-reencode zstd)
	job "docker-archive → oci-archive, --compress zstd" "$d" --compress zstd "$d" oci-archive:out.tar -- --dest-compress-format zstd "docker-archive:$d" oci-archive:out.tar
	floor_args=()
	stream "docker-archive → oci-archive on stdout" "$d"
}

# libdir: the directory of this machine's shared libraries.
libdir() {
	local d
	d=/usr/lib/$(gcc -dumpmachine 2>/dev/null || echo "$(uname -m)-linux-gnu")
	[ -d "$d" ] || d=/usr/lib
	echo "$d"
}

# real: the table of the real-file input.
real() {
	local dirs cap
	dirs=${REAL_DIRS:-$(go env GOROOT),/usr/bin,$(libdir)}
	cap=${REAL_CAP_MB:-700}
	rm -f real.tar real-gz.tar
	./genimage -real "$dirs" -cap "$cap" -o real.tar 2>/dev/null
	./retar convert -q --compress gzip real.tar oci-archive:real-gz.tar
	echo
	echo "$(du -m real.tar | cut -f1) MB docker-archive of this machine's files, a layer each of ${dirs//,/, } (at most $cap MB of files a layer),"
	echo "the same as a $(du -m real-gz.tar | cut -f1) MB oci-archive with gzip layers (retar --compress gzip);"
	machine
	echo
	jobs real.tar real-gz.tar
}

if [ -n "${REAL_ONLY:-}" ]; then
	sizes=()
fi
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
	machine
	echo
	if [ -n "${PIPES_ONLY:-}" ]; then pipes; continue; fi
	jobs in.tar in-gz.tar
	pipes
done
rm -f in.tar in-gz.tar
if [ -z "${PIPES_ONLY:-}" ] && [ -z "${SYNTH_ONLY:-}" ]; then
	real
fi
