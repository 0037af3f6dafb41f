# shellcheck shell=bash
# checks.sh — sourced by interop/run.sh: what the real tools say about an
# image: its diff_ids (skopeo inspect --config), its manifest digest (skopeo
# inspect --raw) and its file tree (umoci unpack), plus the result records.

# result CONSUMER CHECK LAYOUT CASE STATUS DETAIL: one record in $RESULTS.
# STATUS: PASS, FAIL, XFAIL (failed as expected: a consumer's known limit),
# XPASS (expected to fail and did not: the expectation is stale; counts as a
# failure).
result() {
	local detail=${6//$'\t'/ }
	detail=${detail//$'\n'/ }
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "${detail:0:400}" >>"${RESULTS_FILE:-$RESULTS}"
	case $5 in
	PASS | XFAIL) ;;
	*) printf 'interop: %s %s %s %s: %s\n' "$5" "$1" "$2" "$4" "${detail:0:400}" >&2 ;;
	esac
	return 0
}

# expect_result CONSUMER CHECK LAYOUT CASE EXPECT OK DETAIL: record PASS/FAIL,
# or XFAIL/XPASS when EXPECT is "xfail:REASON".
expect_result() {
	local exp=$5 ok=$6 detail=$7
	if [[ $exp == xfail:* ]]; then
		if ((ok)); then
			result "$1" "$2" "$3" "$4" XPASS "expected to fail (${exp#xfail:}) but passed: $detail"
		else
			result "$1" "$2" "$3" "$4" XFAIL "${exp#xfail:}: $detail"
		fi
	elif ((ok)); then
		result "$1" "$2" "$3" "$4" PASS "$detail"
	else
		result "$1" "$2" "$3" "$4" FAIL "$detail"
	fi
}

# md_head FIRST... -- COLUMN...: a Markdown table's header row and its rule.
md_head() {
	local cols=() c
	while [ "$1" != "--" ]; do cols+=("$1"); shift; done
	shift
	cols+=("$@")
	printf '|'
	for c in "${cols[@]}"; do printf ' %s |' "$c"; done
	printf '\n|'
	for c in "${cols[@]}"; do printf -- '---|'; done
	echo
}

# oneline [WIDTH]: stdin on one line, runs of white space as one space, at
# most WIDTH (300) characters.
oneline() {
	# in the shell: the workers call it for every check, and three
	# processes a call added up to minutes of a run
	local s=""
	IFS= read -r -d '' s
	s=${s//[[:space:]]/ }
	while [[ $s == *"  "* ]]; do s=${s//  / }; done
	s=${s% }
	printf '%s\n' "${s:0:${1:-300}}"
}

# names_set: normalized, sorted, comma-joined names from stdin (one a line).
names_set() {
	local n
	while IFS= read -r n; do
		[[ -n $n && $n != *'<none>'* ]] && normalize "$n"
	done | LC_ALL=C sort -u | paste -sd, -
}

# raw_manifest REF ARCH FILE: the manifest skopeo reads for REF on ARCH
# (an index's platform entry is resolved); prints its digest.
manifest_digest() {
	local ref=$1 arch=${2:-amd64} f
	f=$(mktemp "$WORK/raw.XXXXXX")
	skopeo inspect --raw "$ref" >"$f" 2>/dev/null || { rm -f "$f"; return 1; }
	if jq -e '.manifests' "$f" >/dev/null 2>&1; then
		jq -r --arg a "$arch" '[.manifests[] | select(.platform.os == "linux" and .platform.architecture == $a)][0].digest' "$f"
	else
		echo "sha256:$(sha256sum <"$f" | cut -d' ' -f1)"
	fi
	rm -f "$f"
}
# index_digest REF: the digest of the top-level manifest or index skopeo reads.
index_digest() {
	local f
	f=$(mktemp "$WORK/raw.XXXXXX")
	skopeo inspect --raw "$1" >"$f" 2>/dev/null || { rm -f "$f"; return 1; }
	echo "sha256:$(sha256sum <"$f" | cut -d' ' -f1)"
	rm -f "$f"
}
diffids_of() { # diffids_of REF ARCH
	skopeo --override-arch "${2:-amd64}" --override-os linux inspect --config "$1" 2>/dev/null | jq -c .rootfs.diff_ids
}

# tree_list ROOTFS: every entry: path, type, mode, owner, links, symlink
# target, sha256 of a regular file's content. Sorted, bytewise.
tree_list() {
	local root=$1 p t m o n l h
	(
		cd "$root" || exit 1
		find . -mindepth 1 -printf '%P\t%y\t%m\t%U:%G\t%n\t%l\n' |
			while IFS=$'\t' read -r p t m o n l; do
				h=-
				[[ $t == f ]] && h=$(sha256sum <"$p" | cut -d' ' -f1)
				[[ $t == d ]] && n=- # a directory's link count depends on the unpacker
				printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$p" "$t" "$m" "$o" "$n" "${l:--}" "$h"
			done
	) | LC_ALL=C sort
}

# tree_of REF ARCH: unpack REF with umoci and list its rootfs (tree_list).
# An OCI layout (oci:, oci-archive:) whose manifest is OCI with gzip or plain
# layers is unpacked by umoci as it is (its blobs, a one-entry index.json
# naming the manifest under test); anything else is first copied by skopeo
# into an OCI layout (zstd layers recompressed to gzip: umoci 0.4 reads no
# zstd). Sets TREE_METHOD.
tree_of() {
	local ref=$1 arch=${2:-amd64} d layout="" dg mf mt
	d=$(mktemp -d "$WORK/tree.XXXXXX")
	TREE_METHOD=umoci
	case $ref in
	oci:*)
		layout=${ref#oci:}
		layout=${layout%%:*}
		;;
	oci-archive:*)
		layout=${ref#oci-archive:}
		layout=${layout%%:*}
		mkdir "$d/x" && tar -C "$d/x" -xf "$layout" && layout=$d/x
		;;
	esac
	if [[ -n $layout ]] && dg=$(manifest_digest "$ref" "$arch") && [[ $dg == sha256:* ]]; then
		mf=$layout/blobs/sha256/${dg#sha256:}
		mt=$(jq -r '.mediaType // .config.mediaType' "$mf" 2>/dev/null)
		if [[ $mt == application/vnd.oci.image.* ]] && ! grep -q 'tar+zstd' "$mf"; then
			mkdir -p "$d/l"
			cp -rl "$layout/blobs" "$d/l/" 2>/dev/null || cp -r "$layout/blobs" "$d/l/"
			cp "$layout/oci-layout" "$d/l/"
			jq -cn --arg d "$dg" --argjson s "$(stat -c %s "$mf")" \
				'{schemaVersion: 2, manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $d, size: $s, annotations: {"org.opencontainers.image.ref.name": "x"}}]}' >"$d/l/index.json"
		else
			layout=""
		fi
	else
		layout=""
	fi
	if [[ -z $layout ]]; then
		TREE_METHOD=skopeo+umoci
		rm -rf "$d/l"
		if ! skopeo --override-arch "$arch" --override-os linux copy -q --dest-compress-format gzip \
			"$ref" "oci:$d/l:x" >"$d/err" 2>&1; then
			cat "$d/err" >&2
			rm -rf --one-file-system "$d"
			return 1
		fi
	fi
	if ! umoci unpack --image "$d/l:x" "$d/b" >"$d/err" 2>&1; then
		cat "$d/err" >&2
		rm -rf --one-file-system "$d"
		return 1
	fi
	tree_list "$d/b/rootfs"
	rm -rf --one-file-system "$d"
}

# instance_manifest REF ARCH: the manifest of REF for linux/ARCH (an index's
# entry read from the layout's blobs), on stdout.
instance_manifest() {
	local ref=$1 arch=${2:-amd64} dg path
	dg=$(manifest_digest "$ref" "$arch") || return 1
	path=${ref#*:}
	path=${path%%:*}
	case $ref in
	oci:*) [[ -f $path/blobs/sha256/${dg#sha256:} ]] && cat "$path/blobs/sha256/${dg#sha256:}" && return 0 ;;
	oci-archive:*) tar -xOf "$path" "blobs/sha256/${dg#sha256:}" 2>/dev/null && return 0 ;;
	esac
	skopeo inspect --raw "$ref" 2>/dev/null
}

# oci_index LAYOUT PATH: the index.json of an oci: dir or oci-archive: tar.
oci_index() {
	if [[ $1 == oci-archive ]]; then tar -xOf "$2" index.json; else cat "$2/index.json"; fi
}
# entry_media_type LAYOUT PATH NAME: the media type of the index entry named NAME.
entry_media_type() {
	oci_index "$1" "$2" | jq -r --arg n "$3" \
		'[.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $n)][0].mediaType // ""'
}
# oci_ref_of LAYOUT PATH NAME: the ref.name of the index entry NAME names:
# its ref.name, or its io.containerd.image.name (NAME normalised).
oci_ref_of() {
	oci_index "$1" "$2" | jq -r --arg n "$3" --arg f "$(normalize "$3")" \
		'[.manifests[] | .annotations // {} | select(.["org.opencontainers.image.ref.name"] == $n or .["io.containerd.image.name"] == $f)][0]["org.opencontainers.image.ref.name"] // ""'
}
# single_entry_layout LAYOUT PATH NAME: an oci: ref to a copy of the layout
# (blobs hardlinked) whose index holds only the entry named NAME, unnamed.
single_entry_layout() {
	local d src
	d=$(mktemp -d "$WORK/single.XXXXXX")
	src=$2
	if [[ $1 == oci-archive ]]; then
		mkdir "$d/x" && tar -C "$d/x" -xf "$2" || return 1
		src=$d/x
	fi
	mkdir "$d/l"
	cp -rl "$src/blobs" "$d/l/" 2>/dev/null || cp -r "$src/blobs" "$d/l/" || return 1
	cp "$src/oci-layout" "$d/l/"
	jq -c --arg n "$3" '{schemaVersion: 2, manifests: [.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $n) | del(.annotations)]}' \
		"$src/index.json" >"$d/l/index.json" || return 1
	echo "oci:$d/l"
}

# A container start is a worker's costliest step, and the same image comes
# back in many cases (every conversion of A is A). Each worker runs an image
# once: RAN maps "consumer|image|expected output" to what that run printed.
# A later case whose name resolves to the same image (its ID: the config
# digest in docker's classic store, the manifest or index digest elsewhere)
# records the earlier run, saying so; the load and the names are still
# checked case by case.
declare -A RAN=()

# image_key C NS REF: the ID consumer C gives REF in namespace NS, empty if
# REF names nothing.
image_key() {
	local c=$1 ns=$2 r=$3 cli
	case $c in
	docker) cons_docker image inspect -f '{{.Id}}' "$r" 2>/dev/null ;;
	d29c | d29d) "cons_docker29${c#d29}" image inspect -f '{{.Id}}' "$r" 2>/dev/null ;;
	ctr* | kind | k3s)
		cli=cons_ctr${c#ctr}
		[[ $c == ctr2 ]] && cli=cons_ctr2
		$cli -n "$ns" images ls 2>/dev/null | awk -v r="$r" '$1 == r {print $3; exit}'
		;;
	esac
}

# ran_before C NS REF WANT CASE: whether this worker already ran REF's image
# expecting WANT; then RAN_KEY is set and RAN[RAN_KEY] says where and what.
ran_before() {
	local id
	RAN_KEY=""
	id=$(image_key "$1" "$2" "$3")
	[[ -n $id ]] || return 1
	RAN_KEY="$1|$id|$4"
	[[ -n ${RAN[$RAN_KEY]:-} ]]
}
