# shellcheck shell=bash disable=SC2016,SC2086,SC2154 # (SC2086: lists of ids split on purpose; SC2154: the sockets consumers.sh exports)
# delta.sh — a delta (retar convert --since) loaded where its base is, by
# every loader interop runs. Sourced by interop/run.sh, or run alone.
#
#   delta_loaders  today's loaders (run.sh: once today_start is up, before
#                  today's workers start): ctr 2.3, ctr 2.4, kind's import,
#                  k3s's import, docker 29 in both stores
#   delta_2022     the 2022-era loaders (run.sh: after their workers are
#                  done, whose cleaning empties their stores): docker
#                  20.10, ctr 1.6, ctr 2.0, podman
#
# The base is image A (golden/testdata/real/docker-save-single.tar), the
# update B = A + one layer (docker-save-two-images.tar:@1), named
# retar-delta:1 and :2 so they meet no other step's images. For each loader:
#   empty-store   the delta alone into a store without its base: no image
#                 that runs (most fail; ctr 1.6, k3s and docker 29's
#                 containerd store register it, and it cannot run)
#   apply         then, in that store, convert --base A delta (= B) loaded: runs
#   base-loaded   A loaded, then the delta: loads, B's name registered
#   run           B runs under its name (podman: its command in the root
#                 filesystem podman mounts, chroot; podman run cannot set
#                 its rlimits in every sandbox)
#   check-delta   retar check's verdict on the delta for that loader: loads
#                 as the loader did with the base loaded, where it failed the
#                 message it quotes in the loader's output, and one of the
#                 messages its text quotes in what the loader printed into
#                 the store without the base
# and once: retar apply, convert --base A delta = convert B, byte for byte.
# Each containerd loader works in namespaces of its own (retar-delta-C,
# retar-delta-C-empty), but kind's and k3s's, which import into k8s.io
# (their daemons idle then): only the images it added are removed there;
# docker and podman: only retar-delta:1 and :2. What each loader printed is
# in $WORK/delta/out-C-N.
#
# Alone (root, about two minutes), with what run.sh's build leaves in
# $WORK/today (c23, c24, ckind, d29, k3s-import; any absent: those loaders
# not run) and, if given, containerd 2.0's bin dir ($WORK/c2bin):
#
#     bash interop/delta.sh TODAY [C20BIN]

DELTA_RUN_OUT=hello-from-retar # what A's and B's /bin/hello print
DELTA_NAME=docker.io/library/retar-delta
# retar check's id of each loader (check-vs-loaders.sh's PREDICTED).
declare -A DELTA_CHECK_ID=([docker]=docker-24 [d29c]=docker-29-classic [d29d]=docker-29-containerd
	[ctr]=ctr-1.6 [ctr2]=ctr-2.0 [ctr23]=ctr-2.3 [ctr24]=ctr-2.4 [kind]=kind [k3s]=k3s [podman]=podman)

# delta_quiet: the output without containerd 2.2+'s cgroup v1 warning.
delta_quiet() { grep -v 'DEPRECATION: The support for cgroup v1'; }

# delta_make: base, full and delta archives in $WORK/delta, once; retar apply.
delta_make() {
	local X=$WORK/delta R=$WORK/retar real=$TOP/golden/testdata/real o ok
	[[ -s $X/delta.tar ]] && return 0
	rm -rf "$X" && mkdir -p "$X" || return 1
	"$R" convert -q "$real/docker-save-single.tar" "oci-archive:$X/base.tar:$DELTA_NAME:1" &&
		"$R" convert -q "$real/docker-save-two-images.tar:@1" "oci-archive:$X/full.tar:$DELTA_NAME:2" &&
		"$R" convert -q --since "$X/base.tar" "$real/docker-save-two-images.tar:@1" "oci-archive:$X/delta.tar:$DELTA_NAME:2" ||
		return 1
	o=$("$R" convert -q --base "$X/base.tar" "$X/delta.tar" "$X/applied.tar" 2>&1) && cmp -s "$X/applied.tar" "$X/full.tar" && ok=1 || ok=0
	expect_result retar apply oci-archive delta ok "$ok" "delta $(stat -c %s "$X/delta.tar") bytes, full $(stat -c %s "$X/full.tar"); applied = full: $ok $(delta_quiet <<<"$o" | oneline)"
	"$R" check --json "$X/delta.tar" >"$X/check.json" 2>"$X/check.err" ||
		result retar check-delta oci-archive delta FAIL "retar check --json delta.tar: $(oneline <"$X/check.err")"
	return 0
}

# _delta_cmd C: the function that runs loader C's command (docker, podman,
# ctr).
_delta_cmd() {
	case $1 in
	docker | podman | ctr | ctr2) echo "cons_$1" ;; d29?) echo "cons_docker29${1#d29}" ;;
	kind) echo cons_ctrkind ;; k3s) echo cons_ctrk3s ;; *) echo "cons_ctr${1#ctr}" ;;
	esac
}

# _delta_load C NS FILE: FILE loaded by loader C (containerd: into NS);
# prints what it said, returns its status.
_delta_load() {
	local c=$1 ns=$2 f=$3 dir line
	case $c in
	docker | podman | d29c | d29d) timeout 60 bash -c '"$1" load -i "$2"' _ "$(_delta_cmd "$c")" "$f" 2>&1 ;;
	ctr) timeout 60 bash -c 'cons_ctr -n "$1" images import --snapshotter native "$2"' _ "$ns" "$f" 2>&1 ;;
	ctr2 | ctr23 | ctr24) timeout 60 bash -c '"$1" -n "$2" images import "$3"' _ "$(_delta_cmd "$c")" "$ns" "$f" 2>&1 ;;
	kind) # kind load image-archive's command, the file on ctr's stdin
		timeout 60 bash -c 'cons_ctrkind --namespace=k8s.io images import --all-platforms --digests --snapshotter=overlayfs - <"$1"' _ "$f" 2>&1 ;;
	k3s) # the file alone in an agent/images directory; one JSON line
		dir=$WORK/delta/k3s-images && rm -rf "$dir" && mkdir -p "$dir" && cp "$f" "$dir/image.tar" || return 1
		line=$(timeout 60 "$DELTA_TODAY/k3s-import" -address "$CONSUMERS_CONTAINERDk3s_SOCK" -images "$dir" 2>&1)
		rm -rf "$dir"
		jq -r '(.images | join(" ")) + " " + (.error // "")' <<<"$line" 2>/dev/null || printf '%s\n' "$line"
		[[ $(jq -r .action <<<"$line" 2>/dev/null) == imported ]]
		;;
	esac
}

# _delta_names C NS: the names loader C holds, one a line (docker's normalized).
_delta_names() {
	local c=$1 ns=$2 n
	case $c in
	docker | podman | d29c | d29d)
		"$(_delta_cmd "$c")" images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | while read -r n; do
			[[ $n == *'<none>'* ]] || normalize "$n"
		done
		;;
	kind | k3s) "$(_delta_cmd "$c")" -n k8s.io images ls -q 2>/dev/null ;;
	*) "$(_delta_cmd "$c")" -n "$ns" images ls -q 2>/dev/null ;;
	esac
}

# _delta_run C NS: retar-delta:2 run by loader C; prints its output.
_delta_run() {
	local c=$1 ns=$2 cc o rc
	[[ $c == kind || $c == k3s ]] && ns=k8s.io
	for _ in 1 2; do # ctr run can lose a short-lived task's output: once more
		case $c in
		docker | d29c | d29d) o=$(_delta_docker_run "$c") ;;
		podman) # podman run cannot set its rlimits in every sandbox: the
			# image's command in its root filesystem, as podman mounts it
			o=$(timeout 60 bash -c 'm=$(cons_podman image mount "$1") && chroot "$m" /bin/hello; r=$?; cons_podman image unmount "$1" >/dev/null; exit $r' _ "$DELTA_NAME:2" 2>&1)
			;;
		ctr) o=$(timeout 60 bash -c 'cons_ctr -n "$1" run --rm --snapshotter native "$2" "$3"' _ "$ns" "$DELTA_NAME:2" "delta-$RANDOM" 2>&1) ;;
		*)
			cc=$(_delta_cmd "$c")
			o=$(timeout 60 bash -c '"$1" -n "$2" run --rm "$3" "$4"' _ "$cc" "$ns" "$DELTA_NAME:2" "delta-$RANDOM" 2>&1)
			;;
		esac
		rc=$?
		o=$(delta_quiet <<<"$o")
		if ((rc != 0)) || [[ -n $o ]]; then break; fi
	done
	printf '%s\n' "$o"
	return "$rc"
}

# _delta_docker C: retar-delta:2 run by docker loader C, its container
# removed before it returns: docker run --rm removes it after the client
# is gone, and docker 29's containerd store then drops the image it ran
# from, even if the same image was loaded again under its name meanwhile.
_delta_docker_run() {
	local d n=retar-delta-run-$RANDOM rc
	d=$(_delta_cmd "$1")
	timeout 60 bash -c '"$1" run --name "$2" --network none "$3"' _ "$d" "$n" "$DELTA_NAME:2" 2>&1
	rc=$?
	"$d" rm -f "$n" >/dev/null 2>&1
	return "$rc"
}

# _delta_gone C: docker loader C holds no retar-delta name: removed again
# while one is listed, for up to 10 s, so that no later step of the run
# finds one in the store.
_delta_gone() {
	local d left
	d=$(_delta_cmd "$1")
	for _ in $(seq 20); do
		left=$("$d" images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | grep -F retar-delta:)
		if [[ -z $left ]]; then
			# docker 29's containerd store: containerd collects what the
			# removal freed a moment later; a load meanwhile may lose its
			# blobs to that (seen once: a delta loaded, then not listed).
			[[ $1 == d29d ]] && sleep 2
			return 0
		fi
		"$d" rmi -f $left >/dev/null 2>&1
		sleep 0.5
	done
	result "$1" delta-clean oci-archive - FAIL "still held after removing them: $(oneline <<<"$left")"
	return 1
}

# _delta_clean C NS BEFORE: the images loader C holds that BEFORE (names,
# one a line) did not, removed (docker, podman: retar-delta's only).
_delta_clean() {
	local c=$1 ns=$2 before=$3 cc n new=()
	case $c in
	podman) cons_podman rmi -f "$DELTA_NAME:2" "$DELTA_NAME:1" >/dev/null 2>&1 ;;
	docker | d29c | d29d) "$(_delta_cmd "$c")" rmi -f "$DELTA_NAME:2" "$DELTA_NAME:1" >/dev/null 2>&1; _delta_gone "$c" ;;
	*)
		cc=$(_delta_cmd "$c")
		[[ $c == kind || $c == k3s ]] && ns=k8s.io
		while read -r n; do
			[[ -n $n ]] && ! grep -qxF -- "$n" <<<"$before" && new+=("$n")
		done < <("$cc" -n "$ns" images ls -q 2>/dev/null)
		((${#new[@]})) && "$cc" -n "$ns" images rm --sync "${new[@]}" >/dev/null 2>&1
		;;
	esac
	return 0
}

# _delta_drop C NS: namespace NS of containerd loader C, which only this
# step used, emptied and removed.
_delta_drop() {
	local cc x
	cc=$(_delta_cmd "$1")
	x=$("$cc" -n "$2" images ls -q 2>/dev/null)
	[[ -n $x ]] && "$cc" -n "$2" images rm --sync $x >/dev/null 2>&1
	x=$("$cc" -n "$2" content ls -q 2>/dev/null)
	[[ -n $x ]] && "$cc" -n "$2" content rm $x >/dev/null 2>&1
	"$cc" namespaces rm "$2" >/dev/null 2>&1
	return 0
}

# _delta_says OUT QUOTE: OUT holds QUOTE ("..." for what varies).
_delta_says() {
	local q=$2 pat="*"
	[[ -n $q ]] || return 1
	while [[ $q == *...* ]]; do
		pat+="${q%%...*}*"
		q=${q#*...}
	done
	# shellcheck disable=SC2053 # a pattern on purpose
	[[ $1 == $pat$q* ]]
}

# _delta_has C NS: loader C holds retar-delta:2 (asked three times, a
# second apart: a name a load printed may be listed a moment later).
_delta_has() {
	local i
	for i in 1 2 3; do
		_delta_names "$1" "$2" | grep -qxF "$DELTA_NAME:2" && return 0
		((i < 3)) && sleep 1
	done
	return 1
}

# _delta_try C NS FILE: FILE loaded by C; sets o (what it said, kept in
# $WORK/delta/out-C-N), rc, has (retar-delta:2 registered), ran (it runs:
# checked where registered; run, what the run printed).
_delta_try() {
	local c=$1 ns=$2
	o=$(_delta_load "$c" "$ns" "$3")
	rc=$?
	o=$(delta_quiet <<<"$o")
	has=0 ran=0 run=""
	_delta_has "$c" "$ns" && has=1
	if ((has)); then
		run=$(_delta_run "$c" "$ns") && [[ $run == *"$DELTA_RUN_OUT"* ]] && ran=1
	fi
	DELTA_N=$((${DELTA_N:-0} + 1))
	printf '%s\n--- run:\n%s\n' "$o" "$run" >"$WORK/delta/out-$c-$DELTA_N"
}

# _delta_done C NS BEFORE: what C loaded in NS removed.
_delta_done() {
	case $1 in
	ctr | ctr2 | ctr23 | ctr24) _delta_drop "$1" "$2" ;;
	*) _delta_clean "$@" ;;
	esac
}

# _delta_empty C NS: the delta alone, into a store without its base: no
# image that runs (some register it, and cannot unpack it); sets empty_o.
# Then the delta applied (retar convert --base) into the same store: loads, runs.
_delta_empty() {
	local c=$1 ns=$2 before o rc has ran run ok
	before=$(_delta_names "$c" "$ns")
	_delta_try "$c" "$ns" "$WORK/delta/delta.tar"
	empty_o=$o${run:+ | run: $run}
	((ran == 0 && (rc != 0 || has))) && ok=1 || ok=0
	expect_result "$c" delta-import oci-archive empty-store ok "$ok" "exit $rc, registered $has, runs $ran (expected: no image that runs)${before:+; the store held $(paste -sd, - <<<"$before")}: $(oneline <<<"$empty_o")"
	_delta_clean "$c" "$ns" "$before"
	_delta_try "$c" "$ns" "$WORK/delta/applied.tar"
	((rc == 0 && has && ran)) && ok=1 || ok=0
	expect_result "$c" delta-apply oci-archive apply-then-load ok "$ok" "retar convert --base base.tar delta.tar full.tar, full.tar loaded: exit $rc, registered $has, runs $ran: $(oneline <<<"$o") | run: $(oneline 100 <<<"$run")"
	_delta_done "$c" "$ns" "$before"
}

# delta_loader C: the delta by loader C (see the header).
delta_loader() {
	local c=$1 ns=retar-delta-$1 X=$WORK/delta before o rc has ran run
	[[ $c == kind || $c == k3s ]] && ns=k8s.io
	_delta_empty "$c" "$ns-empty"
	before=$(_delta_names "$c" "$ns")
	o=$(_delta_load "$c" "$ns" "$X/base.tar")
	rc=$?
	if ((rc != 0)) || ! _delta_names "$c" "$ns" | grep -qxF "$DELTA_NAME:1"; then
		result "$c" delta-base oci-archive base-loaded FAIL "the base did not load: exit $rc: $(delta_quiet <<<"$o" | oneline)"
		_delta_done "$c" "$ns" "$before"
		return 0
	fi
	_delta_try "$c" "$ns" "$X/delta.tar"
	expect_result "$c" delta-import oci-archive base-loaded ok "$((rc == 0 && has))" "exit $rc, registered $has: $(oneline <<<"$o")"
	((has)) && expect_result "$c" delta-run oci-archive base-loaded ok "$ran" "$(oneline <<<"$run")"
	_delta_done "$c" "$ns" "$before"
	delta_check "$c" "$((rc == 0 && has))" "$o" "$empty_o"
}

# delta_check C LOADED BASE_OUT EMPTY_OUT: retar check's verdict for loader
# C on the delta against what C did: loads as it did (base loaded), the
# message it quotes where it failed in C's output, and one of the messages
# its text quotes in what C printed into an empty store.
delta_check() {
	local c=$1 loaded=$2 id=${DELTA_CHECK_ID[$1]} v loads msg text q ok=1 said=0
	v=$(jq -c --arg id "$id" '.consumers[] | select(.consumer == $id)' "$WORK/delta/check.json" 2>/dev/null)
	loads=$(jq -r .loads <<<"$v" 2>/dev/null)
	msg=$(jq -r '.message // ""' <<<"$v" 2>/dev/null)
	text=$(jq -r '.facts | map(.text) | join("; ")' <<<"$v" 2>/dev/null)
	[[ $loads == "$( ((loaded)) && echo true || echo false)" ]] || ok=0
	[[ $text == *"a delta"*measured* && $text != *"not measured"* ]] || ok=0
	if ((!loaded)) && ! _delta_says "$3" "$msg"; then ok=0; fi
	while read -r q; do
		_delta_says "$4" "$q" && said=1
	done < <(grep -o '"[^"]*"' <<<"$text" | tr -d '"')
	((said)) || ok=0
	expect_result check check-delta oci-archive "delta-$c" ok "$ok" "retar check $id: loads $loads (measured $loaded), message \"$msg\": $(oneline 250 <<<"$text")"
}

# delta_loaders: today's loaders that run.sh started (and retar apply).
delta_loaders() {
	local c
	delta_make || return 1
	for c in ctr23 ctr24 kind k3s d29c d29d; do
		[[ $(type -t "$(_delta_cmd "$c")") == function ]] || continue
		[[ $c != k3s || -x $DELTA_TODAY/k3s-import ]] || continue
		delta_loader "$c"
	done
	return 0
}

# delta_2022: the 2022-era loaders, their workers done.
delta_2022() {
	local c
	delta_make || return 1
	for c in docker ctr ctr2 podman; do
		if [[ $c == ctr2 ]] && ! { ((${C2_OK:-0})) && [[ $(type -t cons_ctr2) == function ]]; }; then continue; fi
		delta_loader "$c"
	done
	return 0
}
DELTA_TODAY=${DELTA_TODAY:-$WORK/today}

# Alone: the daemons of scripts/consumers.sh (containerd 1.6, docker 20.10,
# podman), and those built beforehand; retar built here; the results printed.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -u
	export LC_ALL=C.UTF-8 TZ=UTC PATH=/usr/local/go/bin:$PATH:/usr/sbin:/sbin
	HERE=$(cd "$(dirname "$0")" && pwd) TOP=$(cd "$HERE/.." && pwd)
	[[ -d ${1:-} ]] || { echo "usage: bash interop/delta.sh TODAY [C20BIN]" >&2; exit 2; }
	((EUID == 0)) || { echo "delta.sh: needs root (private containerd, dockerd)" >&2; exit 2; }
	# shellcheck source=../scripts/consumers.sh
	source "$TOP/scripts/consumers.sh"
	# shellcheck source=checks.sh
	source "$HERE/checks.sh"
	WORK=$(mktemp -d /tmp/retar-delta.XXXXXX) RESULTS=$WORK/results.tsv
	DELTA_TODAY=$(cd "$1" && pwd)
	: >"$RESULTS"
	trap 'consumers_stop; [[ ${DELTA_KEEP:-} == 1 ]] && echo "delta: kept $WORK" >&2 || rm -rf --one-file-system "$WORK"' EXIT
	(cd "$TOP" && go build -o "$WORK/retar" ./cli/retar) || exit 1
	consumers_start >&2 || exit 1
	C2_OK=0
	if [[ -n ${2:-} ]]; then
		consumers_start_containerd2 "$2" >&2 || exit 1
		C2_OK=1
	fi
	for t in 23:c23 24:c24 kind:ckind k3s:ckind d29c:c23 d29d:c23; do
		[[ -x $DELTA_TODAY/${t#*:}/ctr ]] || continue
		consumers_start_containerd2 "$DELTA_TODAY/${t#*:}" "${t%%:*}" >&2 || exit 1
	done
	for t in c:classic d:containerd; do
		[[ -x $DELTA_TODAY/d29/dockerd && -S $CONSUMERS_DIR/containerdd29${t%%:*}.sock ]] || continue
		consumers_start_dockerd29 "$DELTA_TODAY/d29" "${t%%:*}" "${t#*:}" "d29${t%%:*}" >&2 || exit 1
	done
	delta_loaders || echo "delta: making the archives failed" >&2
	delta_2022 || echo "delta: making the archives failed" >&2
	awk -F'\t' '{printf "%-5s %-7s %-16s %-16s %s\n", $5, $1, $2, $4, $6}' "$RESULTS" | cut -c1-400
	! grep -qv $'\tPASS\t\|\tXFAIL\t' "$RESULTS"
fi
