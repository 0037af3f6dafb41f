# shellcheck shell=bash disable=SC2016
# selfimage.sh — retar's own image (make dist's retar-image.tar, written by
# scripts/selfimage) in the loaders, converting a mounted archive.
#
#   selfimage_build_start   in the background: static linux/amd64 and arm64
#                           binaries and the two-platform image from them,
#                           named retar:interop (scripts/selfimage, as make
#                           dist writes it)
#   selfimage_checks C...   for each consumer C (d29c d29d ctr23 podman from
#                           interop/run.sh; docker ctr podman alone): load the
#                           image (names), then run it on a directory mounted
#                           at /work: `retar convert in.tar oci-archive:out.tar:REF`
#                           (docker run -v DIR:/work IMAGE convert ...; ctr
#                           run --mount ... IMAGE ID /usr/bin/retar convert ...),
#                           as the image's user (65532, not root: out.tar is
#                           theirs), and out.tar verifies with the name given
#
# Sourced by interop/run.sh (after its helpers: result, oneline, names_set,
# ctr_clean, today_clean, podman_clean, docker_clean). Alone, as root, with
# the 2022-era consumers (containerd 1.6, docker 20.10, podman; apt):
#
#   bash interop/selfimage.sh           # "selfimage: N passed, M failed"
#   bash interop/selfimage.sh podman    # only some of docker ctr podman

SELF_NAME=docker.io/library/retar:interop
SELF_PID=""

selfimage_build_start() {
	local d=$WORK/selfimage
	mkdir -p "$d"
	log "building retar's image (linux/amd64, linux/arm64) in the background"
	BUILD_RC=$d/build.rc setsid bash -c "$RECORD_EXIT"'set -e; cd "$1"; d=$2
		for a in amd64 arm64; do
			CGO_ENABLED=0 GOOS=linux GOARCH=$a go build -trimpath -buildvcs=false -o "$d/retar-linux-$a" ./cli/retar
		done
		go run -buildvcs=false ./scripts/selfimage -o "$d/retar-image.tar" -version interop -name retar:interop \
			linux/amd64="$d/retar-linux-amd64" linux/arm64="$d/retar-linux-arm64"' \
		_ "$TOP" "$d" >"$d/build.log" 2>&1 &
	SELF_PID=$!
}

# t120 CMD...: CMD (an exported function too) for at most two minutes.
t120() { timeout 120 bash -c '"$@"' _ "$@"; }

# self_clean C: an empty store for consumer C.
self_clean() {
	case $1 in
	docker) docker_clean ;;
	podman) podman_clean ;;
	d29c | d29d) today_clean "$1" ;;
	ctr) ctr_clean cons_ctr native selfimage ;;
	ctr23) ctr_clean cons_ctr23 overlayfs selfimage ;;
	esac
}

# self_load C IMAGE: load it; prints the names C then holds.
self_load() {
	local c=$1 img=$2
	case $c in
	docker | podman | d29c | d29d)
		local dk=cons_$c
		[[ $c == d29? ]] && dk=cons_docker29${c#d29}
		t120 "$dk" load -i "$img" >&2 || return 1
		"$dk" images --format '{{.Repository}}:{{.Tag}}' | names_set
		;;
	ctr | ctr23)
		local snap=()
		[[ $c == ctr ]] && snap=(--snapshotter native)
		t120 "cons_$c" -n selfimage images import "${snap[@]}" "$img" >&2 || return 1
		"cons_$c" -n selfimage images ls -q | LC_ALL=C sort -u | paste -sd, -
		;;
	esac
}

# self_run C DIR ARGS...: the image's retar with ARGS, DIR mounted at /work.
self_run() {
	local c=$1 dir=$2
	shift 2
	case $c in
	docker | podman | d29c | d29d)
		local dk=cons_$c
		[[ $c == d29? ]] && dk=cons_docker29${c#d29}
		local lim=()
		# podman asks runc for its own limits (1048576 files, 4194304
		# processes), above what a sandboxed host lets a container raise
		# them to ("error setting rlimits ... operation not permitted"):
		# retar needs few of either
		[[ $c == podman ]] && lim=(--ulimit nofile=4096:4096 --ulimit nproc=4096:4096)
		t120 "$dk" run --rm --network none "${lim[@]}" -v "$dir:/work" "$SELF_NAME" "$@"
		;;
	ctr | ctr23)
		local snap=()
		[[ $c == ctr ]] && snap=(--snapshotter native)
		# ctr run's arguments replace the entrypoint: name the binary
		t120 "cons_$c" -n selfimage run --rm "${snap[@]}" \
			--mount "type=bind,src=$dir,dst=/work,options=rbind:rw" \
			"$SELF_NAME" "self-$RANDOM" /usr/bin/retar "$@"
		;;
	esac
}

# selfimage_checks C...: load and run the image in each consumer.
selfimage_checks() {
	# shellcheck disable=SC2034 # result() writes to RESULTS_FILE
	local RESULTS_FILE=$RESULTS d=$WORK/selfimage img c got rc ok o dir ref
	img=$d/retar-image.tar
	if [[ -n $SELF_PID ]] && ! build_ok "$SELF_PID" "$d/build.rc"; then
		result retar selfimage-build oci-archive selfimage FAIL "building retar's image failed: $(tail -5 "$d/build.log" | oneline)"
		SELF_PID=""
		return 0
	fi
	SELF_PID=""
	log "retar's own image: load, then convert a mounted archive, in $*"
	o=$("$WORK/retar" verify "$img" 2>&1)
	expect_result retar selfimage-verify oci-archive selfimage ok "$(($? == 0))" "retar verify retar-image.tar: $(oneline <<<"$o")"
	for c in "$@"; do
		self_clean "$c"
		got=$(self_load "$c" "$img" 2>"$d/load.log")
		rc=$?
		[[ $rc == 0 && $got == "$SELF_NAME" ]] && ok=1 || ok=0
		expect_result "$c" selfimage-load oci-archive selfimage ok "$ok" \
			"load retar-image.tar: exit $rc, registered ${got:-(none)} (want $SELF_NAME) $(quiet <"$d/load.log" | oneline | cut -c1-150)"
		((ok)) || continue
		dir=$d/work-$c ref=app:$c
		rm -rf "$dir" && mkdir -p "$dir" && chmod 0777 "$dir"
		cp "$SELF_INPUT" "$dir/in.tar" && chmod 0644 "$dir/in.tar"
		o=$(self_run "$c" "$dir" convert -q in.tar "oci-archive:out.tar:$ref" 2>&1)
		rc=$?
		got=$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' <(tar -xOf "$dir/out.tar" index.json 2>/dev/null) 2>/dev/null)
		ok=0
		if ((rc == 0)) && [[ $got == "$ref" && $(stat -c %u "$dir/out.tar" 2>/dev/null) == 65532 ]] &&
			"$WORK/retar" verify -q "$dir/out.tar" >/dev/null 2>&1; then
			ok=1
		fi
		expect_result "$c" selfimage-convert oci-archive selfimage ok "$ok" \
			"run -v DIR:/work $SELF_NAME convert in.tar oci-archive:out.tar:$ref: exit $rc, out.tar's ref.name ${got:-(none)}, owner uid $(stat -c %u "$dir/out.tar" 2>/dev/null || echo -) (want 65532) $(quiet <<<"$o" | oneline | cut -c1-150)"
		printf '%s\t%s\n' "selfimage:$c" "run -v DIR:/work retar:interop convert in.tar oci-archive:out.tar:$ref" >>"$WORK/commands.tsv"
		self_clean "$c"
	done
	return 0
}

# ---------------------------------------------------------------- alone
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -uo pipefail
	HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	TOP=$(cd "$HERE/.." && pwd)
	export PATH=/usr/local/go/bin:$PATH:/usr/sbin:/sbin LC_ALL=C.UTF-8
	# shellcheck source=../scripts/consumers.sh
	source "$TOP/scripts/consumers.sh"
	# shellcheck source=checks.sh
	source "$HERE/checks.sh"
	T0=$SECONDS
	log() { printf '== [%4ss] %s\n' "$((SECONDS - T0))" "$*" >&2; }
	quiet() { cat; }
	((EUID == 0)) || {
		echo "selfimage: needs root" >&2
		exit 1
	}
	consumers_install || exit 1
	WORK=$(mktemp -d /tmp/retar-selfimage.XXXXXX)
	chmod 755 "$WORK"
	RESULTS=$WORK/results.tsv RECORD_EXIT='trap "echo \$? >\"\$BUILD_RC\"" EXIT; '
	: >"$RESULTS"
	trap 'consumers_stop; rm -rf --one-file-system "$WORK"' EXIT
	build_ok() {
		wait "$1" 2>/dev/null
		[[ $(cat "$2" 2>/dev/null) == 0 ]]
	}
	docker_clean() { cons_docker rmi -f "$SELF_NAME" >/dev/null 2>&1; return 0; }
	podman_clean() { cons_podman rmi -af >/dev/null 2>&1; return 0; }
	ctr_clean() { "$1" -n "$3" images rm --sync "$SELF_NAME" >/dev/null 2>&1; return 0; }
	(cd "$TOP" && go build -o "$WORK/retar" ./cli/retar) || exit 1
	selfimage_build_start
	consumers_start >&2 || exit 1
	SELF_INPUT=$WORK/in.tar
	"$WORK/retar" convert -q "$TOP/examples/skopeo-unnamed.tar" "docker-archive:$SELF_INPUT:example:1" || exit 1
	(($#)) || set -- docker ctr podman
	selfimage_checks "$@"
	awk -F'\t' '{printf "%-5s %-7s %-18s %s\n", $5, $1, $2, $6}' "$RESULTS" | cut -c1-300
	pass=$(awk -F'\t' '$5 == "PASS"' "$RESULTS" | wc -l)
	fail=$(awk -F'\t' '$5 != "PASS"' "$RESULTS" | wc -l)
	echo "selfimage: $pass passed, $fail failed"
	((fail == 0))
fi
