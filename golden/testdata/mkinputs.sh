#!/usr/bin/env bash
# mkinputs.sh — regenerate golden/testdata/real/: small image archives and
# layouts written by the REAL tools (umoci, skopeo, docker save, ctr export,
# podman save), plus real/README.md saying which tool, version and command
# wrote each one.
#
#   bash golden/testdata/mkinputs.sh        (as root; Debian 12)
#
# Rerunnable: everything is built in a temp dir and replaces real/ only when
# every step succeeded. Daemons (containerd, dockerd) run on private sockets
# via scripts/consumers.sh and are stopped on exit.
#
# The images hold no busybox: their only program is a 170-byte static x86-64
# ELF (/bin/hello, embedded below as base64) that prints "hello-from-retar".
# That keeps every archive a few KiB instead of ~2 MB while still running
# under docker run / ctr run.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
REAL=$HERE/real
# shellcheck source=../../scripts/consumers.sh
source "$REPO/scripts/consumers.sh"

# Everything the tools let us pin is pinned to this instant.
export SOURCE_DATE_EPOCH=1704067200 # 2024-01-01T00:00:00Z
CREATED=2024-01-01T00:00:00Z
export TZ=UTC LC_ALL=C

NAME_A=retar-test:1   # layers L1 + L2 (L2 whites out a file of L1)
NAME_A2=retar-test:one # second tag of image A
NAME_B=retar-test:2   # layers L1 + L2 + L3, different env
RUN_OUT=hello-from-retar

consumers_install

WORK=$(mktemp -d /tmp/retar-mkinputs.XXXXXX)
OUT=$WORK/real
mkdir -p "$OUT"
_mk_cleanup() {
	consumers_stop
	rm -rf --one-file-system "$WORK"
}
trap _mk_cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '== %s\n' "$*" >&2; }

# ---------------------------------------------------------------- records
declare -a REC_FILES=() REC_TOOLS=() REC_CMDS=() REC_NOTES=()
declare -A TOOL_VERSION=()
tool_versions() {
	TOOL_VERSION[umoci]="umoci $(umoci --version | awk '{print $3}')"
	TOOL_VERSION[skopeo]="skopeo $(skopeo --version | awk '{print $3}')"
	local v
	v=$(/usr/bin/docker --version)
	v=${v#Docker version }
	TOOL_VERSION[docker]="docker (CLI /usr/bin/docker + dockerd) ${v%%,*}, vfs storage driver"
	TOOL_VERSION[ctr]="ctr/containerd $(containerd --version | awk '{print $3}'), native snapshotter"
	TOOL_VERSION[podman]="podman $(podman --version | awk '{print $3}'), vfs storage driver"
}

# show ARGS...: the command line as it reads in the README.
show() {
	local a out=()
	for a in "$@"; do
		a=${a//$OUT\//real/}
		a=${a//$WORK\//}
		[[ $a =~ [[:space:]] ]] && a="'$a'"
		out+=("$a")
	done
	printf '%s' "${out[*]}"
}

# rec OUTPUT NOTE TOOL ARGS...: run TOOL ARGS (TOOL = umoci|skopeo|docker|ctr|podman)
# against the private daemons and record it for README.md.
rec() {
	local file=$1 note=$2 tool=$3
	shift 3
	local -a cmd
	case $tool in
	docker) cmd=("${DOCKER[@]}") ;;
	ctr) cmd=("${CTR[@]}") ;;
	podman) cmd=("${PODMAN[@]}") ;;
	*) cmd=("$tool") ;;
	esac
	log "$(show "$tool" "$@")"
	"${cmd[@]}" "$@"
	REC_FILES+=("$file")
	REC_TOOLS+=("${TOOL_VERSION[$tool]}")
	REC_CMDS+=("$(show "$tool" "$@")")
	REC_NOTES+=("$note")
}

tool_versions

# ---------------------------------------------------------------- rootfs + umoci
HELLO_B64='f0VMRgIBAQAAAAAAAAAAAAIAPgABAAAAeABAAAAAAABAAAAAAAAAAAAAAAAAAAAAAAAAAEAAOAABAAAAAAAAAAEAAAAFAAAAAAAAAAAAAAAAAEAAAAAAAAAAQAAAAAAAqgAAAAAAAACqAAAAAAAAAAAQAAAAAAAAuAEAAAC/AQAAAEiNNRAAAAC6EQAAAA8FuDwAAAAx/w8FaGVsbG8tZnJvbS1yZXRhcgo='

LAYOUT=$WORK/umoci-layout
BUNDLE=$WORK/bundle
pin_mtimes() { find "$1" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +; }

log "building the base image with umoci in $LAYOUT"
umoci init --layout "$LAYOUT"
umoci new --image "$LAYOUT:base"
umoci config --image "$LAYOUT:base" --created "$CREATED" --no-history \
	--os linux --architecture amd64
umoci unpack --image "$LAYOUT:base" "$BUNDLE"
R=$BUNDLE/rootfs
# Layer 1: a program, a symlink, a hardlink, and a file layer 2 deletes.
mkdir -p "$R/bin" "$R/etc" "$R/tmp"
chmod 0755 "$R" "$R/bin" "$R/etc"
chmod 1777 "$R/tmp"
printf '%s' "$HELLO_B64" | base64 -d >"$R/bin/hello"
chmod 0755 "$R/bin/hello"
ln -s hello "$R/bin/hi"
printf 'hello from layer 1\n' >"$R/etc/greeting.txt"
ln "$R/etc/greeting.txt" "$R/etc/greeting-hardlink.txt"
ln -s /etc/greeting.txt "$R/etc/greeting-symlink.txt"
printf 'this file is deleted by layer 2\n' >"$R/etc/removed-in-layer2.txt"
chmod 0644 "$R/etc/greeting.txt" "$R/etc/removed-in-layer2.txt"
pin_mtimes "$R"
umoci repack --image "$LAYOUT:base" --refresh-bundle \
	--history.created "$CREATED" --history.created_by "layer 1: /bin/hello, symlinks, hardlink" "$BUNDLE"
# Layer 2: delete a file of layer 1 (whiteout), add one.
rm "$R/etc/removed-in-layer2.txt"
printf 'added by layer 2\n' >"$R/etc/layer2.txt"
chmod 0644 "$R/etc/layer2.txt"
pin_mtimes "$R"
umoci repack --image "$LAYOUT:base" --refresh-bundle \
	--history.created "$CREATED" --history.created_by "layer 2: rm /etc/removed-in-layer2.txt" "$BUNDLE"
umoci config --image "$LAYOUT:base" --tag 1 --created "$CREATED" \
	--history.created "$CREATED" --history.created_by "config" \
	--config.env PATH=/bin --config.env RETAR_GOLDEN=a \
	--config.cmd /bin/hello --config.workingdir / \
	--config.label org.opencontainers.image.title=retar-test
# Image B = A + layer 3 + other env. (repack builds on the manifest the
# bundle was unpacked from, so unpack A afresh; --image names the new tag.)
umoci unpack --image "$LAYOUT:1" "$BUNDLE-b"
R=$BUNDLE-b/rootfs
printf 'only in image b\n' >"$R/etc/image-b.txt"
chmod 0644 "$R/etc/image-b.txt"
pin_mtimes "$R"
umoci repack --image "$LAYOUT:2" \
	--history.created "$CREATED" --history.created_by "layer 3: image b" "$BUNDLE-b"
umoci config --image "$LAYOUT:2" --created "$CREATED" \
	--history.created "$CREATED" --history.created_by "config b" \
	--config.env RETAR_GOLDEN=b
# Keep only tags 1 and 2 in the layout.
umoci rm --image "$LAYOUT:base"
umoci gc --layout "$LAYOUT"
cp -a "$LAYOUT" "$OUT/umoci-layout"
REC_FILES+=(umoci-layout/)
REC_TOOLS+=("${TOOL_VERSION[umoci]}")
REC_CMDS+=("umoci init/new/unpack/repack x3/config x2/gc (see mkinputs.sh); tags 1 and 2")
REC_NOTES+=("OCI image layout, source of everything below. Tag 1 = image A (L1+L2, L2 whites out etc/removed-in-layer2.txt), tag 2 = image B (A + L3). gzip layers")

# ---------------------------------------------------------------- skopeo
SRC_A=oci:$LAYOUT:1
SRC_B=oci:$LAYOUT:2
rec skopeo-oci-archive-named.tar "index.json ref.name = full name. NOT reproducible: tar mtimes are the wall clock" \
	skopeo copy -q "$SRC_A" "oci-archive:$OUT/skopeo-oci-archive-named.tar:docker.io/library/$NAME_A"
rec skopeo-oci-archive-unnamed.tar "no ref.name annotation. NOT reproducible: tar mtimes are the wall clock" \
	skopeo copy -q "$SRC_A" "oci-archive:$OUT/skopeo-oci-archive-unnamed.tar"
rec skopeo-docker-archive-named.tar "docker-archive, RepoTags from the name" \
	skopeo copy -q "$SRC_A" "docker-archive:$OUT/skopeo-docker-archive-named.tar:$NAME_A"
rec skopeo-docker-archive-unnamed.tar "docker-archive, RepoTags null" \
	skopeo copy -q "$SRC_A" "docker-archive:$OUT/skopeo-docker-archive-unnamed.tar"
rec skopeo-dir-v2s2/ "dir: transport, Docker v2s2 manifest" \
	skopeo copy -q --format v2s2 "$SRC_A" "dir:$OUT/skopeo-dir-v2s2"
rec skopeo-dir-oci/ "dir: transport, OCI manifest" \
	skopeo copy -q --format oci "$SRC_A" "dir:$OUT/skopeo-dir-oci"
rec skopeo-oci-zstd/ "OCI layout, layers recompressed to zstd" \
	skopeo copy -q --dest-compress-format zstd "$SRC_A" "oci:$OUT/skopeo-oci-zstd:docker.io/library/$NAME_A"
# helper input for the daemons below (not kept)
skopeo copy -q "$SRC_B" "docker-archive:$WORK/b.tar:$NAME_B"
skopeo copy -q "$SRC_A" "docker-archive:$WORK/a.tar:$NAME_A"

# ---------------------------------------------------------------- daemons
consumers_start

# docker
"${DOCKER[@]}" load -q -i "$WORK/a.tar" >&2
"${DOCKER[@]}" load -q -i "$WORK/b.tar" >&2
"${DOCKER[@]}" tag "$NAME_A" "$NAME_A2"
rec docker-save-single.tar "one image" \
	docker save -o "$OUT/docker-save-single.tar" "$NAME_A"
rec docker-save-two-images.tar "two images sharing L1+L2. NOT reproducible: manifest.json order is random, and so is which image keeps the shared L2 as a file (the other gets a layer.tar symlink, dir mtime = wall clock)" \
	docker save -o "$OUT/docker-save-two-images.tar" "$NAME_A" "$NAME_B"
rec docker-save-two-tags.tar "one image under two tags" \
	docker save -o "$OUT/docker-save-two-tags.tar" "$NAME_A" "$NAME_A2"
ID_A=$("${DOCKER[@]}" image inspect --format '{{.Id}}' "$NAME_A")
rec docker-save-by-id.tar "saved by image ID: RepoTags null, no repositories" \
	docker save -o "$OUT/docker-save-by-id.tar" "$ID_A"

# containerd
"${CTR[@]}" images import --snapshotter native "$OUT/skopeo-oci-archive-named.tar" >&2
"${CTR[@]}" images import --snapshotter native "$WORK/b.tar" >&2
# B alone in its own namespace: ctr's docker-archive import reuses compressed
# blobs already in the namespace whose uncompressed digest matches (A's gzip
# L1/L2 above), so only here does the export show what the archive gave it.
"${CTR[@]}" -n dockerarchive images import --snapshotter native "$WORK/b.tar" >&2
"${CTR[@]}" images ls >&2
rec ctr-export-oci.tar "image A, imported from skopeo-oci-archive-named.tar" \
	ctr images export --platform linux/amd64 "$OUT/ctr-export-oci.tar" "docker.io/library/$NAME_A"
rec ctr-export-from-docker-archive.tar "image B, imported alone (namespace dockerarchive) from a skopeo docker-archive: docker media types, uncompressed layers" \
	ctr -n dockerarchive images export --platform linux/amd64 "$OUT/ctr-export-from-docker-archive.tar" "docker.io/library/$NAME_B"
rec ctr-export-two-images.tar "both images. NOT reproducible: manifest.json order is random" \
	ctr images export --platform linux/amd64 "$OUT/ctr-export-two-images.tar" \
	"docker.io/library/$NAME_A" "docker.io/library/$NAME_B"

# podman
"${PODMAN[@]}" load -q -i "$WORK/a.tar" >&2
"${PODMAN[@]}" load -q -i "$WORK/b.tar" >&2
rec podman-save-docker-archive.tar "--format docker-archive (the default)" \
	podman save -q --format docker-archive -o "$OUT/podman-save-docker-archive.tar" "$NAME_A"
rec podman-save-oci-archive.tar "--format oci-archive. NOT reproducible: tar mtimes are the wall clock" \
	podman save -q --format oci-archive -o "$OUT/podman-save-oci-archive.tar" "$NAME_A"
rec podman-save-oci-dir/ "--format oci-dir" \
	podman save -q --format oci-dir -o "$OUT/podman-save-oci-dir" "$NAME_A"
rec podman-save-docker-dir/ "--format docker-dir" \
	podman save -q --format docker-dir -o "$OUT/podman-save-docker-dir" "$NAME_A"
rec podman-save-multi.tar "--multi-image-archive, two images" \
	podman save -q --multi-image-archive -o "$OUT/podman-save-multi.tar" "$NAME_A" "$NAME_B"

consumers_stop

# ---------------------------------------------------------------- README
size_of() {
	if [[ -d $1 ]]; then
		find "$1" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}'
	else
		stat -c %s "$1"
	fi
}
{
	cat <<EOF
# golden/testdata/real

Archives and layouts written by the real tools, regenerated by
\`bash golden/testdata/mkinputs.sh\` (root, Debian 12; it wipes this folder).
Do not edit by hand.

Images (built with umoci from a tiny rootfs, all times pinned to $CREATED):

- **A** = \`$NAME_A\` (also tagged \`$NAME_A2\` for docker): layer 1 has
  \`/bin/hello\` (170-byte static x86-64 ELF printing \`$RUN_OUT\`),
  symlinks \`/bin/hi -> hello\` and \`/etc/greeting-symlink.txt -> /etc/greeting.txt\`,
  hardlink \`/etc/greeting-hardlink.txt\` = \`/etc/greeting.txt\`, and
  \`/etc/removed-in-layer2.txt\`; layer 2 deletes that file (whiteout
  \`etc/.wh.removed-in-layer2.txt\`) and adds \`/etc/layer2.txt\`.
  Config: \`Env=[PATH=/bin RETAR_GOLDEN=a]\`, \`Cmd=[/bin/hello]\`.
- **B** = \`$NAME_B\`: A plus layer 3 (\`/etc/image-b.txt\`), \`RETAR_GOLDEN=b\`.

\`docker\` below is \`/usr/bin/docker -H unix://<private socket>\`, \`ctr\` is
\`ctr --address <private socket>\`, \`podman\` is \`podman --root <tmp> --runroot <tmp>
--storage-driver vfs ...\` (see scripts/consumers.sh). docker's and podman's
images were loaded from skopeo docker-archives of A and B; containerd's from
skopeo-oci-archive-named.tar (A) and a skopeo docker-archive of B.
Every file not marked "NOT reproducible" below came out byte-identical on reruns.
Names are shown as given; docker/podman/containerd expand \`retar-test:1\` to
\`docker.io/library/retar-test:1\`.

## Tools

EOF
	for t in umoci skopeo docker ctr podman; do
		printf -- '- %s\n' "${TOOL_VERSION[$t]}"
	done
	printf '\n## Files\n\n| file | bytes | tool | command | note |\n| --- | ---: | --- | --- | --- |\n'
	for i in "${!REC_FILES[@]}"; do
		f=${REC_FILES[$i]}
		printf '| `%s` | %s | %s | `%s` | %s |\n' "$f" "$(size_of "$OUT/$f")" \
			"${REC_TOOLS[$i]}" "${REC_CMDS[$i]//|/\\|}" "${REC_NOTES[$i]}"
	done
} >"$OUT/README.md"

# ---------------------------------------------------------------- install
chmod -R u+rwX,go+rX "$OUT"
rm -rf --one-file-system "$REAL"
cp -a "$OUT" "$REAL"
log "wrote $REAL:"
du -sh "$REAL" >&2
