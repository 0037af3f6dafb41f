# shellcheck shell=bash
# delta.sh — a delta (retar convert --since) loaded where its base is, on
# today's loaders. Sourced by interop/run.sh (delta_loaders, once
# today_start is up), or run alone (root, about 20 s):
#
#     bash interop/delta.sh C23BIN [D29BIN]
#
# C23BIN holds containerd 2.3's containerd, ctr and containerd-shim-runc-v2
# (what interop's build leaves in $WORK/today/c23); D29BIN, if given, docker
# 29's dockerd (today/d29), run on that containerd with its containerd store.
#
# The base is image A (golden/testdata/real/docker-save-single.tar), the
# update B = A + one layer (docker-save-two-images.tar:@1), renamed
# retar-delta:1 and :2 so they meet no other step's images:
#   ctr-2.3 base-loaded   A imported, then the delta: imported, unpacked, named, runs
#   ctr-2.3 empty         the delta alone fails, as retar check says ("not found")
#   d29d base-loaded      the same with docker load / docker run (with D29BIN)
#   retar apply           convert --base A delta = convert B, byte for byte
#   retar check           check's verdicts on the delta are the measured ones

DELTA_RUN_OUT=hello-from-retar # what A's and B's /bin/hello print

# delta_quiet: the output without containerd 2.2+'s cgroup v1 warning.
delta_quiet() { grep -v 'DEPRECATION: The support for cgroup v1'; }

delta_loaders() {
	local X=$WORK/delta R=$WORK/retar real=$TOP/golden/testdata/real o rc ok
	rm -rf "$X" && mkdir -p "$X" || return 1
	"$R" convert -q "$real/docker-save-single.tar" "oci-archive:$X/base.tar:docker.io/library/retar-delta:1" &&
		"$R" convert -q "$real/docker-save-two-images.tar:@1" "oci-archive:$X/full.tar:docker.io/library/retar-delta:2" &&
		"$R" convert -q --since "$X/base.tar" "$real/docker-save-two-images.tar:@1" "oci-archive:$X/delta.tar:docker.io/library/retar-delta:2" ||
		return 1
	o=$("$R" convert -q --base "$X/base.tar" "$X/delta.tar" "$X/applied.tar" 2>&1) && cmp -s "$X/applied.tar" "$X/full.tar" && ok=1 || ok=0
	expect_result retar apply oci-archive delta ok "$ok" "delta $(stat -c %s "$X/delta.tar") bytes, full $(stat -c %s "$X/full.tar"); applied = full: $ok $(delta_quiet <<<"$o" | oneline)"
	if [[ $(type -t cons_ctr23) == function ]]; then
		delta_ctr "$X"
	fi
	if [[ $(type -t cons_docker29d) == function ]]; then
		delta_docker "$X"
	fi
	return 0
}

# delta_ctr X: ctr 2.3 into a namespace that holds the base, and one that does not.
delta_ctr() {
	local X=$1 ns=retar-delta o rc got ok
	cons_ctr23 -n "$ns" images import "$X/base.tar" >/dev/null 2>&1
	o=$(timeout 60 bash -c '"$@"' _ cons_ctr23 -n "$ns" images import "$X/delta.tar" 2>&1)
	rc=$?
	got=$(cons_ctr23 -n "$ns" images ls -q 2>/dev/null | paste -sd, -)
	((rc == 0)) && [[ $got == *retar-delta:2* ]] && ok=1 || ok=0
	expect_result ctr23 delta-import oci-archive base-loaded ok "$ok" "exit $rc, images $got: $(delta_quiet <<<"$o" | oneline)"
	o=$(timeout 60 bash -c '"$@"' _ cons_ctr23 -n "$ns" run --rm docker.io/library/retar-delta:2 "delta-$RANDOM" 2>&1)
	rc=$?
	((rc == 0)) && [[ $o == *"$DELTA_RUN_OUT"* ]] && ok=1 || ok=0
	expect_result ctr23 delta-run oci-archive base-loaded ok "$ok" "exit $rc: $(delta_quiet <<<"$o" | oneline)"
	o=$(timeout 60 bash -c '"$@"' _ cons_ctr23 -n "$ns-empty" images import "$X/delta.tar" 2>&1)
	rc=$?
	((rc != 0)) && [[ $o == *"not found"* || $o == *"failed to extract layer"* ]] && ok=1 || ok=0
	expect_result ctr23 delta-import oci-archive empty-store ok "$ok" "exit $rc (expected a failure naming the absent layer): $(delta_quiet <<<"$o" | oneline)"
	o=$("$WORK/retar" check --json "$X/delta.tar" 2>&1 | jq -r '.consumers[] | select(.consumer == "ctr-2.3") | "\(.loads) \(.facts | map(.text) | join("; "))"' 2>&1)
	[[ $o == true*delta* ]] && ok=1 || ok=0
	expect_result retar check-delta ctr-2.3 delta ok "$ok" "check says: $(delta_quiet <<<"$o" | oneline)"
}

# delta_docker X: docker 29's containerd store, base loaded first.
delta_docker() {
	local X=$1 o rc ok
	cons_docker29d load -i "$X/base.tar" >/dev/null 2>&1
	o=$(timeout 60 bash -c '"$@"' _ cons_docker29d load -i "$X/delta.tar" 2>&1)
	rc=$?
	expect_result d29d delta-import oci-archive base-loaded ok "$((rc == 0))" "exit $rc: $(delta_quiet <<<"$o" | oneline)"
	o=$(timeout 60 bash -c '"$@"' _ cons_docker29d run --rm --network none docker.io/library/retar-delta:2 2>&1)
	rc=$?
	((rc == 0)) && [[ $o == *"$DELTA_RUN_OUT"* ]] && ok=1 || ok=0
	expect_result d29d delta-run oci-archive base-loaded ok "$ok" "exit $rc: $(delta_quiet <<<"$o" | oneline)"
}

# Alone: the private containerd 2.3 (and docker 29) of scripts/consumers.sh,
# retar built here, the results printed.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -u
	HERE=$(cd "$(dirname "$0")" && pwd) TOP=$(cd "$HERE/.." && pwd)
	[[ -x ${1:-}/ctr ]] || { echo "usage: bash interop/delta.sh C23BIN [D29BIN]" >&2; exit 2; }
	# shellcheck source=../scripts/consumers.sh
	source "$TOP/scripts/consumers.sh"
	# shellcheck source=checks.sh
	source "$HERE/checks.sh"
	WORK=$(mktemp -d /tmp/retar-delta.XXXXXX) RESULTS=$WORK/results.tsv
	CONSUMERS_DIR=$(mktemp -d /tmp/retar-consumers.XXXXXX) && chmod 711 "$CONSUMERS_DIR" && export CONSUMERS_DIR
	trap 'consumers_stop; rm -rf --one-file-system "$WORK"' EXIT
	(cd "$TOP" && go build -o "$WORK/retar" ./cli/retar) || exit 1
	consumers_start_containerd2 "$1" 23 || exit 1
	if [[ -n ${2:-} ]]; then
		consumers_start_dockerd29 "$2" d containerd 23 || exit 1
	fi
	delta_loaders || echo "delta: making the archives failed" >&2
	cat "$RESULTS"
	! grep -qv $'\tPASS\t\|\tXFAIL\t' "$RESULTS"
fi
