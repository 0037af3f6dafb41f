#!/usr/bin/env bash
# mkinputs-docker29.sh — regenerate golden/testdata/real-docker29/: small
# `docker save` archives written by docker 29 in both image stores (classic
# and containerd), plus real-docker29/README.md saying how each was made.
#
#   bash golden/testdata/mkinputs-docker29.sh        (as root; Debian 12; Go 1.26)
#
# Docker 29 is not in Debian 12: dockerd is built from its Go module
# (github.com/moby/moby/v2, as interop/current-loaders.sh does), with
# containerd 2.3.7 (daemon, ctr, shim); Go's build cache makes a second run
# fast. Set D29_BIN=DIR (holding dockerd) and C23_BIN=DIR (containerd, ctr,
# containerd-shim-runc-v2) to use binaries already built.
#
# The images are golden/testdata/real's (image A = retar-test:1, B =
# retar-test:2, from real/umoci-layout), plus retar-test:multi: A for
# linux/amd64 and an arm64 sibling (A's layers, its config saying arm64),
# in one index. No network: everything is loaded from archives skopeo writes.
# Rerunnable: built in a temp dir, replaces real-docker29/ only when every
# step succeeded. Daemons run on private sockets (scripts/consumers.sh).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
DEST=$HERE/real-docker29
SRC_LAYOUT=$HERE/real/umoci-layout
export PATH=/usr/local/go/bin:$PATH:/usr/sbin:/sbin
# shellcheck source=../../scripts/consumers.sh
source "$REPO/scripts/consumers.sh"

export SOURCE_DATE_EPOCH=1704067200 # 2024-01-01T00:00:00Z
CREATED=2024-01-01T00:00:00Z
export TZ=UTC LC_ALL=C
DOCKER_MODULE=github.com/moby/moby/v2@v2.0.0-beta.24
DOCKER_VERSION=29.8.1
CONTAINERD=v2.3.7
NAME_A=retar-test:1
NAME_A2=retar-test:one
NAME_B=retar-test:2
NAME_M=retar-test:multi

log() { printf '== %s\n' "$*" >&2; }
((EUID == 0)) || { echo "mkinputs-docker29.sh: needs root (private dockerd/containerd)" >&2; exit 1; }
[[ -d $SRC_LAYOUT ]] || { echo "mkinputs-docker29.sh: $SRC_LAYOUT is missing (bash golden/testdata/mkinputs.sh)" >&2; exit 1; }
consumers_install

WORK=$(mktemp -d /tmp/retar-mkinputs29.XXXXXX)
OUT=$WORK/real-docker29
mkdir -p "$OUT"
_mk_cleanup() {
	consumers_stop
	rm -rf --one-file-system "$WORK"
}
trap _mk_cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- build
if [[ -z ${D29_BIN:-} ]]; then
	log "building dockerd $DOCKER_VERSION ($DOCKER_MODULE)"
	D29_BIN=$WORK/d29
	bash "$REPO/scripts/gomod-build.sh" "$DOCKER_MODULE" "$D29_BIN" \
		-tags "netgo osusergo static_build nri_no_wasm exclude_graphdriver_btrfs exclude_graphdriver_zfs exclude_disk_quota no_btrfs no_devmapper no_zfs" \
		-ldflags "-X github.com/moby/moby/v2/dockerversion.Version=$DOCKER_VERSION" ./cmd/dockerd
fi
if [[ -z ${C23_BIN:-} ]]; then
	log "building containerd ${CONTAINERD#v}"
	C23_BIN=$WORK/c23
	bash "$REPO/scripts/gomod-build.sh" "github.com/containerd/containerd/v2@$CONTAINERD" "$C23_BIN" \
		-tags "no_cri no_btrfs no_devmapper no_zfs" \
		-ldflags "-X github.com/containerd/containerd/v2/version.Version=$CONTAINERD" \
		./cmd/containerd ./cmd/ctr ./cmd/containerd-shim-runc-v2
fi

# ---------------------------------------------------------------- images
L=$WORK/layout
cp -a "$SRC_LAYOUT" "$L"
chmod -R u+w "$L"
umoci config --image "$L:1" --tag 1-arm64 --created "$CREATED" --no-history --architecture arm64
entry() { # entry TAG ARCH: the index entry of TAG as a platform entry
	jq -c --arg t "$1" --arg a "$2" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t)
		| del(.annotations) + {platform: {architecture: $a, os: "linux"}}' "$L/index.json"
}
jq -cn --argjson a "$(entry 1 amd64)" --argjson r "$(entry 1-arm64 arm64)" \
	'{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [$a, $r]}' >"$WORK/index"
dg=$(sha256sum <"$WORK/index" | cut -d' ' -f1)
mv "$WORK/index" "$L/blobs/sha256/$dg"
jq --arg d "sha256:$dg" --argjson s "$(stat -c %s "$L/blobs/sha256/$dg")" \
	'.manifests += [{mediaType: "application/vnd.oci.image.index.v1+json", digest: $d, size: $s,
	  annotations: {"org.opencontainers.image.ref.name": "multi"}}]' "$L/index.json" >"$WORK/index.json"
mv "$WORK/index.json" "$L/index.json"
skopeo copy -q "oci:$L:1" "docker-archive:$WORK/a.tar:$NAME_A"
skopeo copy -q "oci:$L:2" "docker-archive:$WORK/b.tar:$NAME_B"
skopeo copy -q --all "oci:$L:multi" "oci-archive:$WORK/m.tar:docker.io/library/$NAME_M"

# ---------------------------------------------------------------- daemons
consumers_start >&2
consumers_start_containerd2 "$C23_BIN" 29c >&2
consumers_start_containerd2 "$C23_BIN" 29d >&2
consumers_start_dockerd29 "$D29_BIN" c classic 29c >&2
consumers_start_dockerd29 "$D29_BIN" d containerd 29d >&2

# ---------------------------------------------------------------- saves
declare -a REC_FILES=() REC_CMDS=() REC_NOTES=() REC_REPRO=()
# save STORE FILE NOTE ARGS...: docker save ARGS, then four more times: were
# the bytes the same each time?
save() {
	local s=$1 f=$2 note=$3 store i same=yes
	shift 3
	store=classic
	[[ $s == d ]] && store=containerd
	log "docker 29 ($store store): docker save $* > $f"
	"cons_docker29$s" save -o "$OUT/$f" "$@"
	for i in 1 2 3 4; do
		"cons_docker29$s" save -o "$WORK/again.tar" "$@"
		cmp -s "$OUT/$f" "$WORK/again.tar" || same=no
	done
	REC_FILES+=("$f")
	REC_CMDS+=("docker save -o $f $*")
	REC_NOTES+=("$store store: $note")
	REC_REPRO+=("$same")
}
for s in c d; do
	"cons_docker29$s" load -q -i "$WORK/a.tar" >&2
	"cons_docker29$s" load -q -i "$WORK/b.tar" >&2
	"cons_docker29$s" tag "$NAME_A" "$NAME_A2"
	save "$s" "d29$s-save-single.tar" "one image" "$NAME_A"
	save "$s" "d29$s-save-two-tags.tar" "one image under two tags" "$NAME_A" "$NAME_A2"
	note="two images sharing layers 1 and 2"
	# (seen on two runs of this script: the containerd store's manifest.json
	# listed the two images in one order, then the other)
	[[ $s == d ]] && note+=". NOT reproducible across daemon runs: the order of manifest.json's entries varies"
	save "$s" "d29$s-save-two-images.tar" "$note" "$NAME_A" "$NAME_B"
	save "$s" "d29$s-save-platform.tar" "--platform on a one-platform image" --platform linux/amd64 "$NAME_A"
	id=$("cons_docker29$s" image inspect --format '{{.Id}}' "$NAME_A")
	save "$s" "d29$s-save-by-id.tar" "saved by image ID (${id:0:19}...)" "$id"
done
# The two-platform image: the containerd store only (the classic store keeps
# one platform and loads no archive without manifest.json).
cons_docker29d load -q -i "$WORK/m.tar" >&2
save d d29d-save-multiplatform.tar "two-platform image (loaded from a skopeo --all oci-archive): the index as loaded" "$NAME_M"
save d d29d-save-multiplatform-arm64.tar "--platform linux/arm64 of the two-platform image" --platform linux/arm64 "$NAME_M"
# As after a docker pull of a multi-platform image: the arm64 manifest and
# config are not in the store (removed from dockerd's containerd, namespace moby).
idx=$(tar -xOf "$OUT/d29d-save-multiplatform.tar" index.json | jq -r '.manifests[0].digest')
arm=$(tar -xOf "$OUT/d29d-save-multiplatform.tar" "blobs/sha256/${idx#sha256:}" |
	jq -r '.manifests[] | select(.platform.architecture == "arm64") | .digest')
cfg=$(tar -xOf "$OUT/d29d-save-multiplatform.tar" "blobs/sha256/${arm#sha256:}" | jq -r .config.digest)
cons_ctr29d -n moby content rm "$arm" "$cfg" >&2
save d d29d-save-absent.tar "the two-platform image with arm64's manifest and config removed from the store (ctr -n moby content rm), as after a pull: index.json still lists arm64, its blobs are absent" "$NAME_M"
consumers_stop

# ---------------------------------------------------------------- README
{
	cat <<EOF
# golden/testdata/real-docker29

\`docker save\` archives written by docker $DOCKER_VERSION in both image stores, regenerated by
\`bash golden/testdata/mkinputs-docker29.sh\` (root, Debian 12, Go 1.26; it wipes this folder).
Do not edit by hand.

- docker: dockerd $DOCKER_VERSION built from \`$DOCKER_MODULE\` (its \`releases/versions.yaml\`),
  containerd ${CONTAINERD#v} (daemon, ctr, shim) built from its module, runc $(runc --version | awk 'NR==1{print $3}') (Debian);
  client $(/usr/local/bin/docker --version 2>/dev/null | sed 's/^Docker version //; s/,.*//' || echo "?") (\`docker -H unix://<private socket>\`), scripts/consumers.sh.
- classic store: \`{"storage-driver": "vfs", "features": {"containerd-snapshotter": false}}\`;
  containerd store: docker 29's default (overlayfs snapshotter). Both with \`"time-namespaces": false\`.
- Images: golden/testdata/real's A (\`$NAME_A\`, also tagged \`$NAME_A2\`) and B (\`$NAME_B\`),
  loaded from skopeo docker-archives of real/umoci-layout; \`$NAME_M\` = A for linux/amd64 plus
  an arm64 sibling (A's layers, config architecture arm64), loaded from a skopeo \`--all\`
  oci-archive (containerd store only).
- reproducible: five \`docker save\` in a row, in one daemon, gave the same bytes. Across runs of this
  script every file came out the same except where the note says otherwise.

| file | bytes | command | note | reproducible |
| --- | ---: | --- | --- | --- |
EOF
	for i in "${!REC_FILES[@]}"; do
		f=${REC_FILES[$i]}
		printf '| `%s` | %s | `%s` | %s | %s |\n' "$f" "$(stat -c %s "$OUT/$f")" "${REC_CMDS[$i]}" "${REC_NOTES[$i]}" "${REC_REPRO[$i]}"
	done
} >"$OUT/README.md"

chmod -R u+rwX,go+rX "$OUT"
chmod 0644 "$OUT"/*.tar
rm -rf --one-file-system "$DEST"
cp -a "$OUT" "$DEST"
log "wrote $DEST:"
du -sh "$DEST" >&2
