#!/usr/bin/env bash
# shellcheck disable=SC2016,SC2086 # (SC2086: lists of ids split on purpose)
# volumes.sh — retar convert --volume-size against real loaders: each volume
# loaded ALONE, into an empty store, as the far side of an air gap would when
# one volume is all it has.
#
#   volume_loads   three images (a and b share a 1 MiB base layer, c has its
#                  own), split with --volume-size 2500K into one image a
#                  volume (b's volume repeats the base); every volume
#                  loaded alone by docker 20.10, ctr 1.6 and podman, and,
#                  when run.sh has started today's loaders (TODAY_OK=1),
#                  docker 29 (classic store) and ctr 2.3: exactly that
#                  volume's name registered (ctr: image check complete);
#                  then every volume, one after another, into one store
#                  (all three names); retar check's verdict for each loader
#                  on each volume; the volumes joined are the unsplit bundle
#                  byte for byte. Records into $RESULTS (run.sh's columns).
#
# Sourced by interop/run.sh, which calls volume_loads once the consumer
# workers are done. Alone (root; the daemons of scripts/consumers.sh, under
# a minute):
#
#   bash interop/volumes.sh
#   VOLUMES_C23_BIN=DIR [VOLUMES_D29_BIN=DIR] bash interop/volumes.sh
#
# the second with containerd 2.3 (containerd, ctr, shim) and dockerd 29
# built beforehand, as current-loaders.sh builds them, e.g.
#   bash scripts/gomod-build.sh github.com/containerd/containerd/v2@v2.3.7 DIR \
#     -tags "no_cri no_btrfs no_devmapper no_zfs" ./cmd/containerd ./cmd/ctr ./cmd/containerd-shim-runc-v2
#
# prints a line per check and exits 1 when one failed.

# _vol_layer FILE TEXT SIZE: a layer tar of one file of SIZE bytes of TEXT.
_vol_layer() {
	local d
	d=$(mktemp -d "$VOL_DIR/layer.XXXXXX")
	yes "$2" | head -c "$3" >"$d/${2//[^a-z0-9]/_}"
	tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$d" -cf "$1" .
	rm -rf "$d"
}

# _vol_image OUT NAME LAYER...: a docker-archive of the layers, named NAME.
_vol_image() {
	local out=$1 name=$2 d l hex ids=() files=() cfg
	shift 2
	d=$(mktemp -d "$VOL_DIR/image.XXXXXX")
	for l in "$@"; do
		hex=$(sha256sum "$l" | cut -d' ' -f1)
		cp "$l" "$d/$hex.tar"
		ids+=("\"sha256:$hex\"") files+=("\"$hex.tar\"")
	done
	cfg=$(printf '{"architecture":"%s","os":"linux","config":{"Env":["IMAGE=%s"]},"rootfs":{"type":"layers","diff_ids":[%s]}}' \
		"$(go env GOARCH)" "$name" "$(IFS=,; echo "${ids[*]}")")
	hex=$(printf '%s' "$cfg" | sha256sum | cut -d' ' -f1)
	printf '%s' "$cfg" >"$d/$hex.json"
	printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":[%s]}]' "$hex" "$name" "$(IFS=,; echo "${files[*]}")" >"$d/manifest.json"
	tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$d" -cf "$out" .
	rm -rf "$d"
}

# _vol_load C NS FILE: load FILE into loader C (namespace NS for ctr);
# prints what it said, returns its status.
_vol_load() {
	case $1 in
	docker) timeout 60 bash -c 'cons_docker load -i "$1"' _ "$3" 2>&1 ;;
	d29c) timeout 60 bash -c 'cons_docker29c load -i "$1"' _ "$3" 2>&1 ;;
	podman) timeout 60 bash -c 'cons_podman load -i "$1"' _ "$3" 2>&1 ;;
	ctr) timeout 60 bash -c 'cons_ctr -n "$1" images import --snapshotter native "$2"' _ "$2" "$3" 2>&1 ;;
	ctr23) timeout 60 bash -c 'cons_ctr23 -n "$1" images import "$2"' _ "$2" "$3" 2>&1 ;;
	esac
}

# _vol_names C NS: the names loader C holds, normalized, comma-joined;
# for ctr, each with ":incomplete" unless its image check says complete.
_vol_names() {
	local c=$1 ns=$2 n
	case $c in
	docker | d29c | podman)
		"cons_${c/d29c/docker29c}" images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | names_set
		;;
	ctr | ctr23)
		"cons_$c" -n "$ns" images check 2>/dev/null | awk '$2 ~ /^application\// {print $1, $4}' |
			while read -r n st; do [[ $st == complete ]] && echo "$n" || echo "$n:$st"; done |
			LC_ALL=C sort -u | paste -sd, -
		;;
	esac
}

# _vol_clean C: an empty store for docker and podman (ctr loads into a new
# namespace each time instead).
_vol_clean() {
	local ids dk=cons_${1/d29c/docker29c}
	case $1 in
	docker | d29c)
		ids=$($dk images -aq --no-trunc 2>/dev/null | sort -u)
		[[ -n $ids ]] && $dk rmi -f $ids >/dev/null 2>&1
		;;
	podman) cons_podman rmi -af >/dev/null 2>&1 ;;
	esac
	return 0
}

# _vol_check_id C: the retar check id of loader C.
_vol_check_id() {
	case $1 in
	docker) echo docker-24 ;; d29c) echo docker-29-classic ;; ctr) echo ctr-1.6 ;; ctr23) echo ctr-2.3 ;; podman) echo podman ;;
	esac
}

volume_loads() {
	# shellcheck disable=SC2034 # RESULTS_FILE is where result() writes
	local RESULTS_FILE=$RESULTS R=$WORK/retar VOL_DIR=$WORK/volumes c i o rc crc got want ns loaders
	read -r -a loaders <<<"${VOLUME_LOADERS:-docker ctr podman}"
	((${TODAY_OK:-0})) && loaders+=(d29c ctr23)
	log "volumes: each loaded alone (${loaders[*]})"
	rm -rf "$VOL_DIR" && mkdir -p "$VOL_DIR"
	local V=$VOL_DIR
	_vol_layer "$V/base.tar" base 1048576
	_vol_layer "$V/a.tar" layer-a 1048576
	_vol_layer "$V/b.tar" layer-b 1048576
	_vol_layer "$V/c.tar" layer-c 2097152
	_vol_image "$V/img-a.tar" retar-volumes:a "$V/base.tar" "$V/a.tar"
	_vol_image "$V/img-b.tar" retar-volumes:b "$V/base.tar" "$V/b.tar"
	_vol_image "$V/img-c.tar" retar-volumes:c "$V/c.tar"
	local srcs=("$V/img-a.tar" "$V/img-b.tar" "$V/img-c.tar") names=(a b c)
	o=$("$R" convert --volume-size 2500K "${srcs[@]}" "$V/vol.tar" 2>&1)
	rc=$?
	local vols=("$V"/vol.*.tar)
	[[ $rc == 0 && ${#vols[@]} == 3 && $o == *"1 blob shared across volumes is repeated, 1.0 MiB more"* ]] && got=1 || got=0
	expect_result retar volumes-split oci-archive volumes ok "$got" "exit $rc, ${#vols[@]} volumes: $(oneline <<<"$o")"
	((rc == 0)) || return 0
	"$R" convert -q "${srcs[@]}" "$V/whole.tar" && "$R" convert -q "${vols[@]}" "$V/joined.tar" && cmp -s "$V/whole.tar" "$V/joined.tar" && got=1 || got=0
	expect_result retar volumes-join oci-archive volumes ok "$got" "the volumes joined in order against the unsplit bundle"
	for c in "${loaders[@]}"; do
		for i in "${!vols[@]}"; do
			want=docker.io/library/retar-volumes:${names[i]} ns=volumes-$i
			_vol_clean "$c"
			o=$(_vol_load "$c" "$ns" "${vols[i]}")
			rc=$?
			got=$(_vol_names "$c" "$ns")
			expect_result "$c" volume-load oci-archive "volume-$((i + 1))" ok "$((rc == 0))" "exit $rc: $(oneline <<<"$o" | cut -c1-150)"
			expect_result "$c" volume-names oci-archive "volume-$((i + 1))" ok "$([[ $got == "$want" ]] && echo 1 || echo 0)" "registered ${got:-(none)}; expected $want"
			o=$("$R" check --for "$(_vol_check_id "$c")" "${vols[i]}" 2>&1)
			crc=$?
			expect_result check volume-verdict oci-archive "volume-$((i + 1))-$c" ok "$(((crc == 0) == (rc == 0)))" "retar check --for $(_vol_check_id "$c") exit $crc, $c exit $rc: $(oneline <<<"$o" | cut -c1-150)"
		done
		# every volume, one after another, into one store
		_vol_clean "$c"
		rc=0
		for i in "${!vols[@]}"; do _vol_load "$c" volumes-all "${vols[i]}" >/dev/null || rc=$?; done
		got=$(_vol_names "$c" volumes-all)
		want=docker.io/library/retar-volumes:a,docker.io/library/retar-volumes:b,docker.io/library/retar-volumes:c
		expect_result "$c" volume-all oci-archive volumes-all ok "$([[ $rc == 0 && $got == "$want" ]] && echo 1 || echo 0)" "exit $rc, registered ${got:-(none)}"
		_vol_clean "$c"
	done
	return 0
}

# Alone: the daemons of scripts/consumers.sh, retar built here.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -uo pipefail
	export LC_ALL=C.UTF-8 TZ=UTC
	HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	TOP=$(cd "$HERE/.." && pwd)
	export PATH=/usr/local/go/bin:$PATH:/usr/sbin:/sbin
	# shellcheck source=../scripts/consumers.sh
	source "$TOP/scripts/consumers.sh"
	# shellcheck source=checks.sh
	source "$HERE/checks.sh"
	T0=$SECONDS
	log() { printf '== [%4ss] %s\n' "$((SECONDS - T0))" "$*" >&2; }
	((EUID == 0)) || { echo "volumes.sh: SKIP: needs root (private dockerd, containerd)" >&2; exit 0; }
	WORK=$(mktemp -d /tmp/retar-volumes.XXXXXX)
	RESULTS=$WORK/results.tsv
	: >"$RESULTS"
	trap 'consumers_stop; rm -rf --one-file-system "$WORK"' EXIT
	(cd "$TOP" && go build -o "$WORK/retar" ./cli/retar) || exit 1
	consumers_start >&2 || exit 1
	VOLUME_LOADERS="docker ctr podman"
	# containerd 2.3 and docker 29 built beforehand (as current-loaders.sh
	# builds them, scripts/gomod-build.sh): their bin directories.
	if [[ -n ${VOLUMES_C23_BIN:-} ]]; then
		consumers_start_containerd2 "$VOLUMES_C23_BIN" 23 >&2 || exit 1
		VOLUME_LOADERS+=" ctr23"
		if [[ -n ${VOLUMES_D29_BIN:-} ]]; then
			consumers_start_containerd2 "$VOLUMES_C23_BIN" d29c >&2 &&
				consumers_start_dockerd29 "$VOLUMES_D29_BIN" c classic d29c >&2 || exit 1
			VOLUME_LOADERS+=" d29c"
		fi
	fi
	volume_loads
	awk -F'\t' '{printf "%-5s %-7s %-15s %-20s %s\n", $5, $1, $2, $4, $6}' "$RESULTS" | cut -c1-220
	failed=$(awk -F'\t' '$5 == "FAIL" || $5 == "XPASS"' "$RESULTS" | wc -l)
	log "volumes: $(wc -l <"$RESULTS") checks, $failed failed"
	((failed == 0))
fi
