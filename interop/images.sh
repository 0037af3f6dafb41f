# shellcheck shell=bash
# images.sh — sourced by interop/run.sh: build the suite's images with umoci
# from a busybox rootfs, then write them with the real tools in every layout.
#
#   build_images   umoci layout $IMG with tags a (image A), b (image B),
#                  a-arm64 (A's arm64 sibling) and multi (a two-platform
#                  index of a + a-arm64); reference values per image key
#   write_inputs   skopeo, docker save, ctr export and podman save write A, B
#                  and the index into $IN; each input is registered with
#                  add_input (key, retar SRC, command, images, manifest kind)
#
# Needs the daemons (consumers_start) for write_inputs. Every time is pinned
# to SOURCE_DATE_EPOCH.

NAME_A=docker.io/library/retar-interop:a
NAME_A_TAGS=(docker.io/library/retar-interop:latest registry.example.com/interop/app:1.0)
NAME_B=docker.io/library/retar-interop:b
NAME_M=docker.io/library/retar-interop:multi
RUN_A="interop-a layer2-ok"
RUN_B="interop-b layer2-ok"
# A path of more than 100 bytes (tar needs a PAX or GNU long name for it).
LONG_DIR=opt/interop/a-directory-whose-name-is-long-enough-to-need-a-pax-header-in-a-tar-archive-$(printf 'x%.0s' {1..20})
LONG_PATH=/$LONG_DIR/file-past-the-ustar-limit.txt
UNICODE_NAME="grüße-日本語-αβγ.txt"

# add_input KEY SRC COMMAND IMAGES MANIFEST
#   SRC       retar's SRC (and skopeo's, same syntax)
#   IMAGES    ';'-separated KEY=NAME+NAME... in the order the input holds them
#             (KEY: A, B, M = the two-platform index; no names: KEY=)
#   MANIFEST  stored: the input holds manifests (their digests must survive);
#             derived: a docker-archive (no manifest to keep)
declare -a IN_KEYS=()
declare -A IN_SRC=() IN_CMD=() IN_IMAGES=() IN_MANIFEST=()
add_input() {
	IN_KEYS+=("$1")
	IN_SRC[$1]=$2 IN_CMD[$1]=$3 IN_IMAGES[$1]=$4 IN_MANIFEST[$1]=$5
}

pin_mtimes() { find "$1" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +; }

build_images() {
	local CREATED=2024-01-01T00:00:00Z B=$WORK/bundle R
	log "building images with umoci in $IMG"
	umoci init --layout "$IMG"
	umoci new --image "$IMG:base"
	umoci config --image "$IMG:base" --created "$CREATED" --no-history --os linux --architecture amd64
	umoci unpack --image "$IMG:base" "$B"
	R=$B/rootfs
	# Layer 1: busybox and its applets as relative symlinks, an absolute
	# symlink, a hardlink, a long path, a non-ASCII name, and a file and a
	# directory that layer 2 deletes (whiteouts).
	mkdir -p "$R/bin" "$R/etc" "$R/tmp" "$R/$LONG_DIR" "$R/opt/removed-dir"
	cp /bin/busybox "$R/bin/busybox"
	local a
	for a in sh cat echo test ls; do ln -s busybox "$R/bin/$a"; done
	printf 'hello from layer 1\n' >"$R/etc/greeting.txt"
	ln "$R/etc/greeting.txt" "$R/etc/greeting-hardlink.txt"
	ln -s /etc/greeting.txt "$R/etc/greeting-symlink.txt"
	printf 'non-ascii name\n' >"$R/etc/$UNICODE_NAME"
	printf 'past 100 bytes\n' >"$R$LONG_PATH"
	printf 'deleted by layer 2\n' >"$R/etc/removed-in-layer2.txt"
	printf 'deleted with its directory by layer 2\n' >"$R/opt/removed-dir/file.txt"
	chmod 1777 "$R/tmp"
	chmod 0600 "$R/etc/$UNICODE_NAME"
	pin_mtimes "$R"
	umoci repack --image "$IMG:base" --refresh-bundle --history.created "$CREATED" \
		--history.created_by "layer 1: busybox, links, long and non-ASCII names" "$B"
	# Layer 2: delete a file and a directory of layer 1, add a file.
	rm "$R/etc/removed-in-layer2.txt"
	rm -r "$R/opt/removed-dir"
	printf 'layer2-ok\n' >"$R/etc/layer2.txt"
	pin_mtimes "$R"
	umoci repack --image "$IMG:base" --refresh-bundle --history.created "$CREATED" \
		--history.created_by "layer 2: whiteouts" "$B"
	# The command checks the layers from inside: the whiteouts took, the links
	# and the long path are there; then prints "$INTEROP_MSG layer2-ok".
	local script='for f in /etc/layer2.txt /etc/greeting-hardlink.txt /etc/greeting-symlink.txt "$INTEROP_LONG"; do test -e "$f" || exit 7; done; test ! -e /etc/removed-in-layer2.txt || exit 8; test ! -e /opt/removed-dir || exit 9; echo "$INTEROP_MSG $(cat /etc/layer2.txt)"'
	umoci config --image "$IMG:base" --tag a --created "$CREATED" \
		--history.created "$CREATED" --history.created_by config \
		--config.env PATH=/bin --config.env INTEROP_MSG=interop-a --config.env "INTEROP_LONG=$LONG_PATH" \
		--config.cmd /bin/sh --config.cmd -c --config.cmd "$script" --config.workingdir / \
		--config.label org.opencontainers.image.title=retar-interop
	# Image B = A + layer 3, another message.
	umoci unpack --image "$IMG:a" "$B-b"
	printf 'only in image b\n' >"$B-b/rootfs/etc/image-b.txt"
	pin_mtimes "$B-b/rootfs"
	umoci repack --image "$IMG:b" --history.created "$CREATED" --history.created_by "layer 3: image b" "$B-b"
	umoci config --image "$IMG:b" --created "$CREATED" --history.created "$CREATED" \
		--history.created_by "config b" --config.env INTEROP_MSG=interop-b
	# A's arm64 sibling: A + a marker layer, architecture arm64 (it never runs).
	umoci unpack --image "$IMG:a" "$B-arm"
	printf 'arm64\n' >"$B-arm/rootfs/etc/arch.txt"
	pin_mtimes "$B-arm/rootfs"
	umoci repack --image "$IMG:a-arm64" --history.created "$CREATED" --history.created_by "layer 3: arm64 marker" "$B-arm"
	umoci config --image "$IMG:a-arm64" --created "$CREATED" --no-history --architecture arm64
	umoci rm --image "$IMG:base"
	umoci gc --layout "$IMG"
	# The two-platform index (umoci writes none): a + a-arm64, tag multi.
	local ma mr idx dg
	ma=$(jq -c '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "a") | del(.annotations) + {platform: {architecture: "amd64", os: "linux"}}' "$IMG/index.json")
	mr=$(jq -c '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "a-arm64") | del(.annotations) + {platform: {architecture: "arm64", os: "linux"}}' "$IMG/index.json")
	idx=$(jq -cn --argjson a "$ma" --argjson r "$mr" \
		'{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [$a, $r]}')
	printf '%s' "$idx" >"$WORK/index.tmp"
	dg=$(sha256sum <"$WORK/index.tmp" | cut -d' ' -f1)
	mv "$WORK/index.tmp" "$IMG/blobs/sha256/$dg"
	jq --arg d "sha256:$dg" --argjson s "$(stat -c %s "$IMG/blobs/sha256/$dg")" \
		'.manifests += [{mediaType: "application/vnd.oci.image.index.v1+json", digest: $d, size: $s,
		  annotations: {"org.opencontainers.image.ref.name": "multi"}}]' "$IMG/index.json" >"$WORK/index.json.tmp"
	mv "$WORK/index.json.tmp" "$IMG/index.json"

	# Reference values per image key, from the umoci layout itself.
	local k t
	for k in A:a B:b Aarm:a-arm64; do
		t=${k#*:} k=${k%%:*}
		REF_DIFFIDS[$k]=$(skopeo inspect --config "oci:$IMG:$t" | jq -c .rootfs.diff_ids)
		tree_of "oci:$IMG:$t" "" >"$WORK/ref-tree-$k" || die "umoci unpack of $t failed"
		REF_TREE[$k]=$WORK/ref-tree-$k
	done
	# The reference trees must show what the image is built to show.
	grep -q $'^etc/removed-in-layer2.txt\t' "${REF_TREE[A]}" && die "whiteout did not apply in image A"
	grep -q $'^opt/removed-dir\t' "${REF_TREE[A]}" && die "directory whiteout did not apply in image A"
	grep -q "^etc/$UNICODE_NAME"$'\t' "${REF_TREE[A]}" || die "non-ASCII name missing from image A"
	grep -q "^${LONG_PATH#/}"$'\t' "${REF_TREE[A]}" || die "long path missing from image A"
	log "image A: $(wc -l <"${REF_TREE[A]}") entries, diff_ids ${REF_DIFFIDS[A]}"
}

# docker/ctr/podman with the private daemons, as the inputs' README shows them.
write_inputs() {
	local A=oci:$IMG:a Bi=oci:$IMG:b M=oci:$IMG:multi n
	local tags=() shorttags=()
	for n in "${NAME_A_TAGS[@]}"; do tags+=(--additional-tag "$n"); done
	log "writing inputs with skopeo"
	skopeo copy -q "$A" "oci:$IN/skopeo-oci:$NAME_A"
	add_input skopeo-oci "oci:$IN/skopeo-oci:$NAME_A" "skopeo copy oci:umoci:a oci:skopeo-oci:$NAME_A" "A=$NAME_A" stored
	skopeo copy -q "$A" "oci-archive:$IN/skopeo-oci-archive-named.tar:$NAME_A"
	add_input skopeo-oci-archive-named "oci-archive:$IN/skopeo-oci-archive-named.tar" \
		"skopeo copy oci:umoci:a oci-archive:x.tar:$NAME_A" "A=$NAME_A" stored
	skopeo copy -q "$A" "oci-archive:$IN/skopeo-oci-archive-unnamed.tar"
	add_input skopeo-oci-archive-unnamed "oci-archive:$IN/skopeo-oci-archive-unnamed.tar" \
		"skopeo copy oci:umoci:a oci-archive:x.tar" "A=" stored
	skopeo copy -q "${tags[@]}" "$A" "docker-archive:$IN/skopeo-docker-archive-named.tar:$NAME_A"
	add_input skopeo-docker-archive-named "docker-archive:$IN/skopeo-docker-archive-named.tar" \
		"skopeo copy --additional-tag ... oci:umoci:a docker-archive:x.tar:$NAME_A" \
		"A=$NAME_A$(printf '+%s' "${NAME_A_TAGS[@]}")" derived
	skopeo copy -q "$A" "docker-archive:$IN/skopeo-docker-archive-unnamed.tar"
	add_input skopeo-docker-archive-unnamed "docker-archive:$IN/skopeo-docker-archive-unnamed.tar" \
		"skopeo copy oci:umoci:a docker-archive:x.tar" "A=" derived
	skopeo copy -q --format oci "$A" "dir:$IN/skopeo-dir-oci"
	add_input skopeo-dir-oci "dir:$IN/skopeo-dir-oci" "skopeo copy --format oci oci:umoci:a dir:x" "A=" stored
	skopeo copy -q --format v2s2 "$A" "dir:$IN/skopeo-dir-v2s2"
	add_input skopeo-dir-v2s2 "dir:$IN/skopeo-dir-v2s2" "skopeo copy --format v2s2 oci:umoci:a dir:x" "A=" stored
	skopeo copy -q --dest-compress-format zstd "$A" "oci:$IN/skopeo-oci-zstd:$NAME_A"
	add_input skopeo-oci-zstd "oci:$IN/skopeo-oci-zstd:$NAME_A" \
		"skopeo copy --dest-compress-format zstd oci:umoci:a oci:x:$NAME_A" "A=$NAME_A" stored
	skopeo copy -q --all "$M" "oci-archive:$IN/skopeo-oci-archive-multi.tar:$NAME_M"
	add_input skopeo-multi "oci-archive:$IN/skopeo-oci-archive-multi.tar" \
		"skopeo copy --all oci:umoci:multi oci-archive:x.tar:$NAME_M" "M=$NAME_M" stored
	# Helpers for the daemons (not inputs).
	skopeo copy -q "${tags[@]}" "$A" "docker-archive:$WORK/a.tar:$NAME_A"
	skopeo copy -q "$Bi" "docker-archive:$WORK/b.tar:$NAME_B"

	log "writing inputs with docker save"
	"${DOCKER[@]}" load -q -i "$WORK/a.tar" >&2
	"${DOCKER[@]}" load -q -i "$WORK/b.tar" >&2
	"${DOCKER[@]}" save -o "$IN/docker-save-single.tar" "$NAME_A" "${NAME_A_TAGS[@]}"
	add_input docker-save-single "docker-archive:$IN/docker-save-single.tar" \
		"docker save -o x.tar retar-interop:a + 2 tags" "A=$NAME_A$(printf '+%s' "${NAME_A_TAGS[@]}")" derived
	"${DOCKER[@]}" save -o "$IN/docker-save-multi.tar" "$NAME_A" "$NAME_B"
	add_input docker-save-multi "docker-archive:$IN/docker-save-multi.tar" \
		"docker save -o x.tar retar-interop:a retar-interop:b" "A=$NAME_A;B=$NAME_B" derived
	"${DOCKER[@]}" save "$NAME_A" | gzip -n >"$IN/docker-save.tar.gz"
	add_input docker-save-gzip "$IN/docker-save.tar.gz" "docker save retar-interop:a | gzip" "A=$NAME_A" derived

	log "writing inputs with ctr export"
	"${CTR[@]}" images import --snapshotter native "$IN/skopeo-oci-archive-named.tar" >&2
	"${CTR[@]}" images export --platform linux/amd64 "$IN/ctr-export.tar" "$NAME_A"
	add_input ctr-export "oci-archive:$IN/ctr-export.tar" "ctr images export x.tar $NAME_A" "A=$NAME_A" stored
	"${CTR[@]}" images import --all-platforms --snapshotter native "$IN/skopeo-oci-archive-multi.tar" >&2
	"${CTR[@]}" images export --all-platforms "$IN/ctr-export-multi.tar" "$NAME_M"
	add_input ctr-export-multi "oci-archive:$IN/ctr-export-multi.tar" \
		"ctr images export --all-platforms x.tar $NAME_M" "M=$NAME_M" stored

	log "writing inputs with podman save"
	"${PODMAN[@]}" load -q -i "$WORK/a.tar" >&2
	"${PODMAN[@]}" load -q -i "$WORK/b.tar" >&2
	"${PODMAN[@]}" save -q --format docker-archive -o "$IN/podman-docker-archive.tar" "$NAME_A"
	add_input podman-docker-archive "docker-archive:$IN/podman-docker-archive.tar" \
		"podman save --format docker-archive x.tar $NAME_A" "A=$NAME_A" derived
	"${PODMAN[@]}" save -q --format oci-archive -o "$IN/podman-oci-archive.tar" "$NAME_A"
	add_input podman-oci-archive "oci-archive:$IN/podman-oci-archive.tar" \
		"podman save --format oci-archive x.tar $NAME_A" "A=$NAME_A" stored
	"${PODMAN[@]}" save -q --format oci-dir -o "$IN/podman-oci-dir" "$NAME_A"
	add_input podman-oci-dir "oci:$IN/podman-oci-dir" "podman save --format oci-dir x $NAME_A" "A=$NAME_A" stored
	"${PODMAN[@]}" save -q --format docker-dir -o "$IN/podman-docker-dir" "$NAME_A"
	add_input podman-docker-dir "dir:$IN/podman-docker-dir" "podman save --format docker-dir x $NAME_A" "A=" stored
	"${PODMAN[@]}" save -q --multi-image-archive -o "$IN/podman-multi.tar" "$NAME_A" "$NAME_B"
	add_input podman-multi "docker-archive:$IN/podman-multi.tar" \
		"podman save --multi-image-archive x.tar $NAME_A $NAME_B" "A=$NAME_A;B=$NAME_B" derived

	# umoci's own layout: tag-only ref names.
	add_input umoci-layout "oci:$IMG:a" "umoci init/new/repack/config (interop/images.sh)" "A=" stored
}
