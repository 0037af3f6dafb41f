#!/usr/bin/env bash
# loadcheck.sh — do the real consumers accept an archive, and under which name?
#
#   scripts/loadcheck.sh ARCHIVE NAMES [RUN_EXPECT]
#   scripts/loadcheck.sh < CASES        # lines: archive<TAB>names[<TAB>run-expect]
#   scripts/loadcheck.sh -f CASES
#
# NAMES is a comma-separated list of image names the archive must register
# (compared in full normalized form: retar-test:1 = docker.io/library/retar-test:1),
# or "-" to require that no name is registered. In CASES, blank lines and lines
# starting with # are skipped. ARCHIVE may be a directory: podman loads it as
# is, docker and ctr get a tar of its contents.
#
# For each archive, on private daemons (scripts/consumers.sh), each consumer
# starts from an empty store:
#   docker load   /usr/bin/docker load -i; `docker images` must show every name
#   ctr import    ctr images import --snapshotter native (fresh namespace);
#                 `ctr images ls -q` must contain every name verbatim in full
#                 form (ctr keeps an OCI ref.name "x:1" as is, and then
#                 `ctr run docker.io/library/x:1` does not find it)
#   podman load   podman load -i; `podman images` must show every name
# With RUN_EXPECT, `docker run --rm --network none NAME` and
# `ctr run --snapshotter native --rm NAME ID` (first NAME) must print it.
# podman run is not tried (needs cgroups that this sandbox lacks).
#
# Prints one PASS/FAIL line per archive x consumer and a closing
# "N passed, M failed"; exits 1 if anything failed, 2 on a setup error.
# LOADCHECK_CONSUMERS="docker ctr podman" picks a subset.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=consumers.sh
source "$HERE/consumers.sh"

usage() { sed -n '2,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

CONSUMERS_WANTED=${LOADCHECK_CONSUMERS:-docker ctr podman}
TIMEOUT=${LOADCHECK_TIMEOUT:-120}

# ------------------------------------------------------------------ input
declare -a C_ARCH=() C_NAMES=() C_RUN=()
add_case() {
	[[ -n ${1:-} && -n ${2:-} ]] || { echo "loadcheck: need ARCHIVE and NAMES: '$*'" >&2; exit 2; }
	C_ARCH+=("$1") C_NAMES+=("$2") C_RUN+=("${3:-}")
}
read_cases() {
	local line a n r
	while IFS= read -r line || [[ -n $line ]]; do
		[[ $line =~ ^[[:space:]]*(#|$) ]] && continue
		IFS=$'\t' read -r a n r <<<"$line"
		add_case "$a" "$n" "$r"
	done
}
case ${1:-} in
-h | --help) usage ;;
-f) [[ -n ${2:-} ]] || usage; read_cases <"$2" ;;
'' | -) read_cases ;;
*) (($# <= 3)) || usage; add_case "$@" ;;
esac
((${#C_ARCH[@]})) || { echo "loadcheck: no archives given" >&2; usage; }

# ------------------------------------------------------------------ helpers

PASSES=0 FAILS=0
result() { # result PASS|FAIL WHAT ARCHIVE DETAIL
	printf '%s %-12s %s -> %s\n' "$1" "$2" "$3" "$4"
	if [[ $1 == PASS ]]; then PASSES=$((PASSES + 1)); else FAILS=$((FAILS + 1)); fi
	return 0
}
oneline() { tr '\n' ' ' | sed 's/[[:space:]]\+/ /g; s/ $//' | cut -c1-300; }

# check_names WHAT ARCHIVE EXPECTED(comma list or -) GOT(newline list) [exact]:
# PASS/FAIL line. docker lists familiar names (retar-test:1), so GOT is
# normalized; with "exact" (ctr, which stores names verbatim and resolves
# only the exact string) GOT must already be in normalized form.
check_names() {
	local what=$1 arch=$2 exp=$3 got=$4 mode=${5:-} n missing=() gotn=() shown
	while IFS= read -r n; do
		[[ -n $n ]] || continue
		if [[ $mode == exact ]]; then gotn+=("$n"); else gotn+=("$(normalize "$n")"); fi
	done <<<"$got"
	shown=$( ((${#gotn[@]})) && printf '%s\n' "${gotn[@]}" | sort -u | paste -sd, | sed 's/,/, /g')
	if [[ $exp == - ]]; then
		if ((${#gotn[@]})); then
			result FAIL "$what" "$arch" "expected no name; registered: $shown"
			return 1
		fi
		result PASS "$what" "$arch" "(no name, as expected)"
		return 0
	fi
	local IFS=,
	for n in $exp; do
		n=$(normalize "$n")
		printf '%s\n' "${gotn[@]}" | grep -qxF -- "$n" || missing+=("$n")
	done
	unset IFS
	if ((${#missing[@]})); then
		result FAIL "$what" "$arch" "expected ${missing[*]}; registered: ${shown:-(none)}"
		return 1
	fi
	result PASS "$what" "$arch" "$shown"
	return 0
}

# check_run WHAT ARCHIVE EXPECT OUTPUT RC
check_run() {
	if (($5 == 0)) && [[ $4 == *"$3"* ]]; then
		result PASS "$1" "$2" "printed '$3'"
	else
		result FAIL "$1" "$2" "exit $5, expected output '$3', got: $(oneline <<<"$4")"
	fi
}

as_tar() { # as_tar PATH: a tar file for PATH (the directory's contents tarred)
	if [[ -d $1 ]]; then
		local t=$WORK/dir-$RANDOM.tar
		tar -C "$1" -cf "$t" . && printf '%s\n' "$t"
	else
		printf '%s\n' "$1"
	fi
}

docker_clean() {
	local ids
	ids=$(cons_docker ps -aq 2>/dev/null)
	[[ -n $ids ]] && cons_docker rm -f $ids >/dev/null 2>&1
	ids=$(cons_docker images -aq --no-trunc 2>/dev/null | sort -u)
	[[ -n $ids ]] && cons_docker rmi -f $ids >/dev/null 2>&1
	[[ -z $(cons_docker images -aq 2>/dev/null) ]]
}
podman_clean() {
	cons_podman rmi -af >/dev/null 2>&1
	[[ -z $(cons_podman images -aq 2>/dev/null) ]]
}
ctr_clean() { # ctr_clean NS: drop images, content, snapshots, the namespace
	local ns=$1 x i
	for x in $(cons_ctr -n "$ns" containers ls -q 2>/dev/null); do
		cons_ctr -n "$ns" tasks kill -s SIGKILL "$x" >/dev/null 2>&1
		cons_ctr -n "$ns" tasks delete -f "$x" >/dev/null 2>&1
		cons_ctr -n "$ns" containers rm "$x" >/dev/null 2>&1
	done
	x=$(cons_ctr -n "$ns" images ls -q 2>/dev/null)
	[[ -n $x ]] && cons_ctr -n "$ns" images rm --sync $x >/dev/null 2>&1
	x=$(cons_ctr -n "$ns" content ls -q 2>/dev/null)
	[[ -n $x ]] && cons_ctr -n "$ns" content rm $x >/dev/null 2>&1
	for i in 1 2 3 4 5 6 7 8; do # children first: retry until none are left
		x=$(cons_ctr -n "$ns" snapshots --snapshotter native ls 2>/dev/null | awk 'NR>1{print $1}')
		[[ -z $x ]] && break
		cons_ctr -n "$ns" snapshots --snapshotter native rm $x >/dev/null 2>&1
	done
	cons_ctr namespaces rm "$ns" >/dev/null 2>&1
	# runc-v2 shims keep runc state in /run/containerd/runc/<namespace> whatever
	# containerd's state dir; drop our namespace's dir once it is empty.
	rmdir "/run/containerd/runc/$ns" 2>/dev/null
	return 0
}

# ------------------------------------------------------------------ run
WORK=$(mktemp -d /tmp/retar-loadcheck.XXXXXX)
cleanup() {
	consumers_stop
	rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -n $(_consumers_missing) ]]; then
	consumers_install || exit 2
fi
consumers_start >&2 || { echo "loadcheck: could not start the consumers" >&2; exit 2; }

wants() { [[ " $CONSUMERS_WANTED " == *" $1 "* ]]; }

for i in "${!C_ARCH[@]}"; do
	arch=${C_ARCH[$i]} names=${C_NAMES[$i]} run=${C_RUN[$i]}
	first=${names%%,*}
	if [[ ! -e $arch ]]; then
		for c in docker ctr podman; do
			wants "$c" && result FAIL "$c load" "$arch" "no such file"
		done
		continue
	fi
	tarf=$(as_tar "$arch")

	if wants docker; then
		docker_clean || echo "loadcheck: docker store not empty before $arch" >&2
		out=$(timeout "$TIMEOUT" bash -c 'cons_docker load -i "$1"' _ "$tarf" 2>&1)
		rc=$?
		if ((rc != 0)); then
			result FAIL "docker load" "$arch" "exit $rc: $(oneline <<<"$out")"
		else
			got=$(cons_docker images --format '{{.Repository}}:{{.Tag}}' | grep -v '<none>')
			if check_names "docker load" "$arch" "$names" "$got" && [[ -n $run && $names != - ]]; then
				out=$(timeout "$TIMEOUT" bash -c 'cons_docker run --rm --network none "$1"' _ "$first" 2>&1)
				check_run "docker run" "$arch" "$run" "$out" $?
			fi
		fi
		docker_clean || echo "loadcheck: docker store not empty after $arch" >&2
	fi

	if wants ctr; then
		ns=loadcheck-$$-$i
		ctr_clean "$ns"
		out=$(timeout "$TIMEOUT" bash -c 'cons_ctr -n "$1" images import --snapshotter native "$2"' _ "$ns" "$tarf" 2>&1)
		rc=$?
		if ((rc != 0)); then
			result FAIL "ctr import" "$arch" "exit $rc: $(oneline <<<"$out")"
		else
			got=$(cons_ctr -n "$ns" images ls -q)
			if check_names "ctr import" "$arch" "$names" "$got" exact && [[ -n $run && $names != - ]]; then
				out=$(timeout "$TIMEOUT" bash -c 'cons_ctr -n "$1" run --snapshotter native --rm "$2" "$3"' \
					_ "$ns" "$(normalize "$first")" "loadcheck-$$-$i" 2>&1)
				check_run "ctr run" "$arch" "$run" "$out" $?
			fi
		fi
		ctr_clean "$ns"
	fi

	if wants podman; then
		podman_clean || echo "loadcheck: podman store not empty before $arch" >&2
		out=$(timeout "$TIMEOUT" bash -c 'cons_podman load -i "$1"' _ "$arch" 2>&1)
		rc=$?
		if ((rc != 0)); then
			result FAIL "podman load" "$arch" "exit $rc: $(oneline <<<"$out")"
		else
			got=$(cons_podman images --format '{{.Repository}}:{{.Tag}}' | grep -v '<none>')
			check_names "podman load" "$arch" "$names" "$got"
		fi
		podman_clean || echo "loadcheck: podman store not empty after $arch" >&2
	fi
	[[ $tarf != "$arch" ]] && rm -f "$tarf"
done

echo "$PASSES passed, $FAILS failed"
((FAILS == 0))
