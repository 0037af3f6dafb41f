# shellcheck shell=bash disable=SC2016
# supply.sh — sourced by interop/run.sh: what the loaders do with what
# vouches for an image (BuildKit attestations, OCI 1.1 referrers, cosign
# tag-scheme entries) and with the layers that break them (zstd:chunked's
# sentinel variant, mislabelled layers, v2s2 with zstd), on the inputs
# golden/testdata/supply holds (go run ./golden/testdata/mksupply).
#
#   supply_build   (before the consumer workers: retar, skopeo, umoci only)
#                  each input as it is goes to every loader ($OBSERVE2: what
#                  it does is recorded, and retar check's prediction compared);
#                  retar converts it into oci-archive, oci:, docker-archive and
#                  dir: (and each --attestations mode where one applies); each
#                  archive goes to every loader ($LOADS2: it loads, exactly
#                  the image's name is registered, nothing else); skopeo copy
#                  (to oci: and docker-archive:) and umoci unpack read every
#                  input and output
#   supply_after   (once the workers are done: the daemons are idle) where
#                  the referrers' blobs end up: containerd 2.3 and 2.4 (ctr
#                  images import) and docker 29's containerd store (docker
#                  load), after a synchronous garbage collection; whether the
#                  subject manifest carries containerd's referrer labels;
#                  what docker 29 saves of the loaded image; kind's digest
#                  references (an image record each) and docker 29's names in
#                  containerd, for extra images
#   supply_md      interop/LOADERS.md's section on these inputs
#
# The images are stand-ins (one file per layer, no shell): they are loaded,
# never run.

SUPPLY_SRC=$TOP/golden/testdata/supply
SUPPLY=$WORK/supply
SUPPLY_FACTS=$WORK/supply-facts.tsv # ID TOOL EXIT DETAIL: skopeo, umoci, referrers
: >"$SUPPLY_FACTS"
: >"$WORK/supply-referrers.tsv" # ID LOADER KEPT/TOTAL LABELS, after a GC (and d29d-save: SAVED IN-ARCHIVE)
SUPPLY_INPUTS=(buildkit-attestations signed zstd-chunked zstd-chunked-sentinel mislabelled v2s2-oci-zstd)
declare -A SUPPLY_NAME=(
	[buildkit-attestations]=docker.io/library/app:1
	[signed]=docker.io/library/signed:1
	[zstd-chunked]=docker.io/library/chunked:1
	[zstd-chunked-sentinel]=docker.io/library/sentinel:1
	[mislabelled]=docker.io/library/mislabelled:1
	[v2s2-oci-zstd]=docker.io/library/nerdctl:1
)
declare -A SUPPLY_KIND=(
	[buildkit-attestations]="BuildKit attestation manifests in the index (docker 25+ save)"
	[signed]="cosign tag-scheme entries and two OCI 1.1 referrers in index.json"
	[zstd-chunked]="a zstd:chunked layer with its TOC annotations"
	[zstd-chunked-sentinel]="zstd:chunked's sentinel variant beside a gzip image (one index, both linux/amd64)"
	[mislabelled]="mislabelled layers: zstd labelled gzip (amd64), gzip labelled tar (arm64)"
	[v2s2-oci-zstd]="a Docker v2s2 manifest with the OCI zstd layer type (nerdctl commit)"
	[mislabelled-host]="derived from mislabelled.tar: its gzip layer labelled plain tar in the linux/amd64 image, for this host"
)

# SUPPLY_XFAIL["CHECK|ID-REGEX"]=REASON: what a retar output cannot get from
# a loader, and why. CHECK: a worker (docker ctr ctr2 podman d29c d29d ctr23
# ctr23all ctr24 ctr24all kind k3s) for its load, WORKER-names for the names
# it registers, WORKER-extra for extra image records (kind's digest
# references, docker 29's containerd names), skopeo-oci, skopeo-docker, umoci.
# A reason that starts "retar's own" is retar's fault (reported, not fixed
# here); the others are the loaders' own limits. (No ": " in a reason:
# RESULTS.md's summary cuts it there.)
SUPPLY_SIGNED='^supply:signed>oci-archive$'
declare -A SUPPLY_XFAIL=(
	['docker|^supply:(zstd-chunked|mislabelled|v2s2-oci-zstd)>oci-archive']="docker 20.10 cannot load zstd layers (docker >= 23 can); an oci-archive keeps them"
	["kind-extra|$SUPPLY_SIGNED|^supply:buildkit-attestations>oci-archive:referrers$"]="kind imports with --digests through containerd's transfer service, which gives every unnamed index.json entry, OCI 1.1 referrers too (their io.containerd.manifest.subject notwithstanding), an import-DATE@sha256 image record"
	['ctr2|^supply:zstd-chunked-sentinel>oci-archive$']="containerd 2 unpacks every manifest of the host platform, zstd:chunked's sentinel variant too, and its non-tar first layer is no layer to it (\"number of layers and diffIDs don't match\")"
	['ctr23|^supply:zstd-chunked-sentinel>oci-archive$']="containerd 2 unpacks every manifest of the host platform, the sentinel variant too (\"number of layers and diffIDs don't match\")"
	['ctr23all|^supply:zstd-chunked-sentinel>oci-archive$']="containerd 2 unpacks every manifest of the host platform, the sentinel variant too (\"number of layers and diffIDs don't match\")"
	['ctr24|^supply:zstd-chunked-sentinel>oci-archive$']="containerd 2 unpacks every manifest of the host platform, the sentinel variant too (\"number of layers and diffIDs don't match\")"
	['ctr24all|^supply:zstd-chunked-sentinel>oci-archive$']="containerd 2 unpacks every manifest of the host platform, the sentinel variant too (\"number of layers and diffIDs don't match\")"
	['kind|^supply:zstd-chunked-sentinel>oci-archive$']="kind's import (containerd 2.3) unpacks every manifest, the sentinel variant too (\"number of layers and diffIDs don't match\")"
	['skopeo-docker|^supply:(zstd-chunked|mislabelled|v2s2-oci-zstd)>(oci-archive|oci|dir)']="skopeo 1.9.3 writes no zstd layer into a docker-archive (\"zstd compression is not supported for docker images\")"
	['umoci|^supply:(zstd-chunked|v2s2-oci-zstd)>']="umoci 0.4.7 reads no zstd layer (\"blob is not correct mediatype\")"
	['umoci|^supply:(buildkit-attestations|zstd-chunked-sentinel|mislabelled)>']="umoci 0.4.7 unpacks a manifest, not an index of several (\"tag is ambiguous\")"
)

# supply_expect CONSUMER ID: ok, or xfail:REASON.
supply_expect() {
	local k
	for k in "${!SUPPLY_XFAIL[@]}"; do
		[[ $1 == "${k%%|*}" && $2 =~ ${k#*|} ]] && { echo "xfail:${SUPPLY_XFAIL[$k]}"; return 0; }
	done
	echo ok
}

# supply_fact ID TOOL EXIT DETAIL: a measured fact for LOADERS.md.
supply_fact() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$(full_line <<<"$4" | sed "s#$WORK/##g" | cut -c1-400)" >>"$SUPPLY_FACTS"; }

# supply_ref LAYOUT PATH: the ref.name of the image's index.json entry (not a
# referrer's, not a cosign tag), "" when it has none.
supply_ref() {
	oci_index "$1" "$2" 2>/dev/null | jq -r '[.manifests[] | .annotations // {} |
		select(.["io.containerd.manifest.subject"] == null) | .["org.opencontainers.image.ref.name"] // "" |
		select(test("^sha(256|384|512)-") | not)][0] // ""'
}

# supply_readers ID LAYOUT PATH OWN: skopeo copy into oci: and into
# docker-archive:, umoci unpack (OCI layouts); OWN=1 for retar's outputs,
# which must be read (bar the loaders' own limits, SUPPLY_XFAIL).
supply_readers() {
	local id=$1 layout=$2 path=$3 own=$4 d src ref n o rc ok dst t
	d=$(mktemp -d "$WORK/supply-read.XXXXXX")
	src=$layout:$path
	ref=""
	if [[ $layout == oci || $layout == oci-archive ]]; then
		n=$(oci_index "$layout" "$path" | jq '.manifests | length')
		ref=$(supply_ref "$layout" "$path")
		# as a user types it first: no REF (skopeo takes a one-entry index.json)
		if ((n > 1)); then
			o=$(skopeo copy -q "$src" "oci:$d/bare:x" 2>&1)
			rc=$?
			supply_fact "$id" "skopeo copy $layout:PATH oci:DIR (no REF)" "$rc" "$o"
			rm -rf "$d/bare"
			[[ -n $ref ]] && src=$src:$ref
		fi
	fi
	for dst in oci docker-archive; do
		t=skopeo-oci
		[[ $dst == docker-archive ]] && t=skopeo-docker
		if [[ $dst == oci ]]; then
			o=$(skopeo copy -q "$src" "oci:$d/o:x" 2>&1)
		else
			o=$(skopeo copy -q "$src" "docker-archive:$d/o.tar" 2>&1)
		fi
		rc=$?
		supply_fact "$id" "skopeo copy ${src/$path/PATH} $dst:..." "$rc" "$o"
		((own)) && expect_result skopeo "copy-$dst" "$layout" "$id" "$(supply_expect "$t" "$id")" "$((rc == 0))" \
			"skopeo copy ${src/$path/PATH} $dst:...: exit $rc $(oneline <<<"$o" | cut -c1-200)"
	done
	if [[ $layout == oci || $layout == oci-archive ]]; then
		local lay=$path
		if [[ $layout == oci-archive ]]; then
			mkdir "$d/x" && tar -C "$d/x" -xf "$path" && lay=$d/x
		fi
		o=$(umoci unpack --image "$lay:${ref:-latest}" "$d/b" 2>&1)
		rc=$?
		ok=0
		((rc == 0)) && [[ -n $(find "$d/b/rootfs/etc" -name '*.txt' 2>/dev/null) ]] && ok=1
		supply_fact "$id" "umoci unpack --image LAYOUT:${ref:-latest}" "$rc" "$o"
		((own)) && expect_result umoci unpack "$layout" "$id" "$(supply_expect umoci "$id")" "$ok" \
			"umoci unpack --image LAYOUT:${ref:-latest}: exit $rc $(oneline <<<"$o" | cut -c1-200)"
	fi
	rm -rf --one-file-system "$d"
}

# supply_case KEY LAYOUT [MODE] [FROM ID]: retar convert the supply input KEY
# (or the output of case FROM) into LAYOUT, with --attestations MODE; verify
# it; skopeo and umoci read it; an archive goes to every loader.
declare -A SUPPLY_OUT=()
supply_case() {
	local key=$1 layout=$2 mode=${3:-} from=${4:-} id src out cmdline rc plats
	id="supply:$key>$layout${mode:+:$mode}"
	if [[ -n ${INTEROP_ONLY:-} && ! $id =~ $INTEROP_ONLY ]]; then return 0; fi
	src=$SUPPLY_SRC/$key.tar
	if [[ -n $from ]]; then
		src=${SUPPLY_OUT[$from]:-}
		[[ -n $src ]] || { result retar convert "$layout" "$id" FAIL "no output of $from to start from"; return 0; }
	fi
	out=$SUPPLY/$(tr '>:' '__' <<<"${id#supply:}")
	[[ $layout == *-archive ]] && out=$out.tar
	local args=(convert -q)
	[[ -n $mode ]] && args+=(--attestations "$mode")
	args+=("$src" "$layout:$out")
	cmdline="retar ${args[*]}"
	cmdline=${cmdline//$WORK\//}
	cmdline=${cmdline//$SUPPLY_SRC\//golden\/testdata\/supply\/}
	printf '%s\t%s\n' "$id" "$cmdline" >>"$WORK/commands.tsv"
	"$WORK/retar" "${args[@]}" >"$SUPPLY/conv.out" 2>&1
	rc=$?
	expect_result retar convert "$layout" "$id" ok "$((rc == 0))" "$cmdline: exit $rc $(oneline <"$SUPPLY/conv.out")"
	((rc == 0)) || return 0
	SUPPLY_OUT[$id]=$out
	"$WORK/retar" verify -q "$out" >"$SUPPLY/verify.out" 2>&1
	rc=$?
	expect_result retar verify "$layout" "$id" ok "$((rc == 0))" "$(oneline <"$SUPPLY/verify.out")"
	supply_readers "$id" "$layout" "$out" 1
	[[ $layout == *-archive ]] || return 0
	plats=linux/amd64
	if [[ $layout == oci-archive && ($key == buildkit-attestations || $key == mislabelled) ]]; then
		plats=linux/amd64,linux/arm64
	fi
	# id layout out names runs xd xc xp x2 plat plats ids (run.sh's $LOADS):
	# no command to run (stand-in images), no image IDs compared.
	printf '%s\t%s\t%s\t%s\t-\t%s\t%s\t%s\t%s\t-\t%s\t-\n' "$id" "$layout" "$out" "${SUPPLY_NAME[$key]}" \
		"$(supply_expect docker "$id")" "$(supply_expect ctr "$id")" "$(supply_expect podman "$id")" \
		"$(supply_expect ctr2 "$id")" "$plats" >>"$LOADS2"
}

# supply_host_gzip_as_tar: mislabelled.tar's arm64 image (its gzip layer
# labelled plain tar) made the linux/amd64 image of a one-entry layout, so
# that the loaders unpack it on this host: $SUPPLY/mislabelled-host.tar.
supply_host_gzip_as_tar() {
	local d=$SUPPLY/mh top arm mf cfg ncfg nmf lay f
	rm -rf "$d" && mkdir -p "$d" && tar -C "$d" -xf "$SUPPLY_SRC/mislabelled.tar" || return 1
	top=$(jq -r '.manifests[0].digest' "$d/index.json")
	arm=$(jq -r '.manifests[] | select(.platform.architecture == "arm64") | .digest' "$d/blobs/sha256/${top#sha256:}")
	mf=$d/blobs/sha256/${arm#sha256:}
	cfg=$(jq -r .config.digest "$mf")
	jq -c '.architecture = "amd64"' "$d/blobs/sha256/${cfg#sha256:}" >"$d/cfg" || return 1
	ncfg=sha256:$(sha256sum <"$d/cfg" | cut -d' ' -f1)
	mv "$d/cfg" "$d/blobs/sha256/${ncfg#sha256:}"
	jq -c --arg c "$ncfg" --argjson s "$(stat -c %s "$d/blobs/sha256/${ncfg#sha256:}")" '.config.digest = $c | .config.size = $s' "$mf" >"$d/mf" || return 1
	nmf=sha256:$(sha256sum <"$d/mf" | cut -d' ' -f1)
	mv "$d/mf" "$d/blobs/sha256/${nmf#sha256:}"
	jq -c --arg d "$nmf" --argjson s "$(stat -c %s "$d/blobs/sha256/${nmf#sha256:}")" \
		'.manifests = [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $d, size: $s,
		annotations: {"io.containerd.image.name": "docker.io/library/mislabelled:host", "org.opencontainers.image.ref.name": "host"}}]' \
		"$d/index.json" >"$d/i" && mv "$d/i" "$d/index.json" || return 1
	# only what the image needs
	lay=$(jq -r '.layers[0].digest' "$d/blobs/sha256/${nmf#sha256:}")
	for f in "$d"/blobs/sha256/*; do
		case sha256:${f##*/} in "$nmf" | "$ncfg" | "$lay") ;; *) rm -f "$f" ;; esac
	done
	tar_dir "$d" "$SUPPLY/mislabelled-host.tar"
}

supply_build() {
	local k
	[[ -d $SUPPLY_SRC ]] || { result supply inputs - - FAIL "no $SUPPLY_SRC (go run ./golden/testdata/mksupply)"; return 1; }
	rm -rf "$SUPPLY" && mkdir -p "$SUPPLY"
	log "supply: the supply-chain inputs as they are, and retar's outputs of them"
	for k in "${SUPPLY_INPUTS[@]}"; do
		[[ -f $SUPPLY_SRC/$k.tar ]] || { result supply inputs - "$k" FAIL "no $SUPPLY_SRC/$k.tar"; continue; }
		if [[ -z ${INTEROP_ONLY:-} || "in:supply:$k" =~ $INTEROP_ONLY ]]; then
			supply_readers "in:supply:$k" oci-archive "$SUPPLY_SRC/$k.tar" 0
		fi
		OBSERVE=$OBSERVE2 observe_add "in:supply:$k" "supply input: ${SUPPLY_KIND[$k]}" "$SUPPLY_SRC/$k.tar"
	done
	[[ -z ${INTEROP_ONLY:-} || "in:supply:signed-layout" =~ $INTEROP_ONLY ]] &&
		supply_readers "in:supply:signed-layout" oci "$SUPPLY_SRC/signed-layout" 0
	if supply_host_gzip_as_tar; then
		OBSERVE=$OBSERVE2 observe_add in:supply:mislabelled-host "supply input: ${SUPPLY_KIND[mislabelled-host]}" "$SUPPLY/mislabelled-host.tar"
	else
		result supply inputs - mislabelled-host FAIL "could not derive mislabelled-host.tar from mislabelled.tar"
	fi
	for k in "${SUPPLY_INPUTS[@]}"; do
		supply_case "$k" oci-archive
		supply_case "$k" oci
		supply_case "$k" docker-archive
		supply_case "$k" dir
	done
	supply_case buildkit-attestations oci-archive strip
	supply_case buildkit-attestations oci-archive referrers
	supply_case buildkit-attestations oci referrers
	# and back: the referrers' output, --attestations docker
	supply_case buildkit-attestations oci-archive docker "supply:buildkit-attestations>oci-archive:referrers"
	supply_case signed oci-archive strip
	supply_case signed oci strip
	return 0
}

# ---------------------------------------------------------------- after
# supply_referrers ARCHIVE: the digests of what refers to an image in it,
# one a line: index.json entries with containerd's subject annotation or a
# cosign tag, and the attestation manifests of an index (vnd.docker.reference.type).
supply_referrers() {
	local a=$1 top
	tar -xOf "$a" index.json | jq -r '.manifests[] | select(.annotations["io.containerd.manifest.subject"] != null or
		((.annotations["org.opencontainers.image.ref.name"] // "") | test("^sha(256|384|512)-"))) | .digest'
	for top in $(tar -xOf "$a" index.json | jq -r '.manifests[] | select(.mediaType | test("index|list")) | .digest'); do
		tar -xOf "$a" "blobs/sha256/${top#sha256:}" | jq -r '.manifests[] | select(.annotations["vnd.docker.reference.type"] != null) | .digest'
	done
}

# supply_linked ARCHIVE: the referrers that say their subject in the index
# (containerd's io.containerd.manifest.subject, BuildKit's
# vnd.docker.reference.type), which docker 29 keeps as referrers.
supply_linked() {
	local a=$1 top
	tar -xOf "$a" index.json | jq -r '.manifests[] | select(.annotations["io.containerd.manifest.subject"] != null) | .digest'
	for top in $(tar -xOf "$a" index.json | jq -r '.manifests[] | select(.mediaType | test("index|list")) | .digest'); do
		tar -xOf "$a" "blobs/sha256/${top#sha256:}" | jq -r '.manifests[] | select(.annotations["vnd.docker.reference.type"] != null) | .digest'
	done
}

# supply_gc C NS: a synchronous garbage collection in consumer C's
# containerd (an image tagged, then removed with --sync).
supply_gc() {
	local cc=$1 ns=$2 any
	any=$($cc -n "$ns" images ls -q 2>/dev/null | head -1)
	[[ -n $any ]] || return 0
	$cc -n "$ns" images tag "$any" supply.invalid/gc:trigger >/dev/null 2>&1
	$cc -n "$ns" images rm --sync supply.invalid/gc:trigger >/dev/null 2>&1
}

# supply_content C NS ARCHIVE: which of the archive's referrers C's content
# store (NS) holds, "kept/total (absent: ...)", a tab, and the blobs whose
# labels name a referrer, as HOLDER<-LABEL (what keeps it from the GC).
supply_content() {
	local cc=$1 ns=$2 a=$3 r all ls kept=0 n=0 miss=() held=()
	ls=$($cc -n "$ns" content ls 2>/dev/null)
	all=$(awk 'NR > 1 {print $1}' <<<"$ls")
	for r in $(supply_referrers "$a"); do
		n=$((n + 1))
		if grep -qxF "$r" <<<"$all"; then kept=$((kept + 1)); else miss+=("${r:7:12}"); fi
		held+=($(awk -v r="$r" 'NR > 1 && index($0, "=" r) {
			n = split($NF, l, ","); for (i = 1; i <= n; i++) if (index(l[i], "=" r)) { sub(/=.*/, "", l[i]); printf "%s<-%s\n", substr($1, 8, 12), l[i] } }' <<<"$ls"))
	done
	printf '%s\t%s\n' "$kept/$n${miss[*]:+ (absent: ${miss[*]})}" \
		"$(printf '%s\n' "${held[@]}" | sed 's/containerd.io\/gc.ref.content.//' | grep . | sort -u | paste -sd' ' -)"
}

# supply_short: digests cut to 12 hex digits, for one-line facts.
supply_short() { sed 's/sha256:\([0-9a-f]\{12\}\)[0-9a-f]*/\1/g'; }

# The archives whose referrers are followed into the loaders' stores.
SUPPLY_REF_CASES=(in:supply:signed 'supply:signed>oci-archive' 'supply:buildkit-attestations>oci-archive'
	'supply:buildkit-attestations>oci-archive:referrers')
# What --all-platforms does on ctr 1.6 (the workers import plainly there).
SUPPLY_ALL16=(in:supply:buildkit-attestations in:supply:zstd-chunked-sentinel in:supply:mislabelled in:supply:signed
	'supply:zstd-chunked-sentinel>oci-archive' 'supply:mislabelled>oci-archive')

# supply_path ID: the archive of a case or an observed input.
supply_path() { awk -F'\t' -v i="$1" '$1 == i {print $3; exit}' "$LOADS2" "$OBSERVE2"; }

supply_after() {
	local RESULTS_FILE=$RESULTS id a c cc ns o rc now after held gcheld key want got d n own r
	log "supply: where the referrers end up (ctr 1.6, containerd 2.3, 2.4, docker 29's containerd store)"
	for id in "${SUPPLY_REF_CASES[@]}"; do
		a=$(supply_path "$id")
		[[ -n $a && -f $a ]] || continue
		key=${id#in:supply:}
		key=${key#supply:}
		key=${key%%>*}
		own=0
		[[ $id == supply:* ]] && own=1
		for c in ctr ctr23 ctr24 d29d; do
			ns=supply-$c cc=cons_$c
			case $c in
			d29d)
				cc=cons_ctrd29d ns=moby
				today_clean d29d
				o=$(timeout 120 bash -c 'cons_docker29d load -i "$1"' _ "$a" 2>&1)
				rc=$?
				;;
			ctr)
				ctr_clean cons_ctr native "$ns"
				o=$(timeout 120 bash -c 'cons_ctr -n "$1" images import --snapshotter native "$2"' _ "$ns" "$a" 2>&1)
				rc=$?
				;;
			*)
				ctr_clean "$cc" overlayfs "$ns"
				o=$(timeout 120 bash -c '"$1" -n "$2" images import "$3"' _ "$cc" "$ns" "$a" 2>&1)
				rc=$?
				;;
			esac
			IFS=$'\t' read -r now held < <(supply_content "$cc" "$ns" "$a")
			supply_gc "$cc" "$ns"
			IFS=$'\t' read -r after gcheld < <(supply_content "$cc" "$ns" "$a")
			supply_fact "$id" "referrers: $c" "$rc" "after the import: $now, labels naming them: ${held:-(none)}; after a garbage collection: $after, labels: ${gcheld:-(none)}"
			printf '%s\t%s\t%s\t%s\n' "$id" "$c" "${after%% *}" "${gcheld:--}" >>"$WORK/supply-referrers.tsv"
			if [[ $c == d29d ]] && ((rc == 0)); then
				local linked miss=()
				linked=$(supply_linked "$a")
				for r in $linked; do
					grep -q "<-referrer.sha256.${r:7:12}" <<<"$gcheld" || miss+=("${r:7:12}")
				done
				((own)) && expect_result d29d referrers-kept oci-archive "$id" ok "$((${#miss[@]} == 0))" \
					"after docker load and a garbage collection, each referrer the index links to its subject is kept, by a referrer label on its subject: $(wc -w <<<"$linked") linked${miss[*]:+, unkept: ${miss[*]}}; labels: ${gcheld:-(none)}"
				d=$WORK/supply-d29-save.tar
				o=$(timeout 120 bash -c 'cons_docker29d save -o "$1" "$2"' _ "$d" "${SUPPLY_NAME[$key]}" 2>&1)
				rc=$?
				got=$( ((rc == 0)) && supply_referrers "$d" | sort | paste -sd' ' - | supply_short)
				want=$(supply_referrers "$a" | sort | paste -sd' ' - | supply_short)
				supply_fact "$id" "referrers: docker 29 save (containerd store) of the loaded image" "$rc" "referrers in the save: ${got:-(none)}; in the archive loaded: ${want:-(none)} $(oneline <<<"$o")"
				printf '%s\t%s\t%s\t%s\n' "$id" d29d-save "${got:--}" "${want:--}" >>"$WORK/supply-referrers.tsv"
				miss=()
				for r in $linked; do [[ " $got " == *" ${r:7:12} "* ]] || miss+=("${r:7:12}"); done
				((own)) && expect_result d29d referrers-saved oci-archive "$id" ok "$((rc == 0 && ${#miss[@]} == 0))" \
					"docker save writes back every linked referrer: saved ${got:-(none)}${miss[*]:+; not saved: ${miss[*]}}"
				rm -f "$d"
			fi
			case $c in
			d29d) today_clean d29d ;;
			ctr) ctr_clean cons_ctr native "$ns" ;;
			*) ctr_clean "$cc" overlayfs "$ns" ;;
			esac
		done
	done
	log "supply: ctr 1.6 --all-platforms"
	for id in "${SUPPLY_ALL16[@]}"; do
		a=$(supply_path "$id")
		[[ -n $a && -f $a ]] || continue
		ns=supply-ctr16all
		ctr_clean cons_ctr native "$ns"
		o=$(timeout 120 bash -c 'cons_ctr -n "$1" images import --all-platforms --snapshotter native "$2"' _ "$ns" "$a" 2>&1)
		rc=$?
		got=$(cons_ctr -n "$ns" images ls -q 2>/dev/null | ctr_date_names | LC_ALL=C sort -u | paste -sd, -)
		supply_fact "$id" "ctr images import --all-platforms (containerd 1.6)" "$rc" "registered: ${got:-(none)} $( ((rc)) && oneline <<<"$o")"
		ctr_clean cons_ctr native "$ns"
	done
	supply_extra
	return 0
}

# supply_extra: extra image records for retar's outputs, from what the
# workers recorded: kind's digest references (one is the import's own index;
# each more is an index.json entry made an image) and the names docker 29
# keeps in containerd beyond those docker lists.
supply_extra() {
	local RESULTS_FILE=$RESULTS id layout refs n
	while IFS=$'\t' read -r id layout _; do
		[[ $id == supply:* ]] || continue
		# (only where it loaded)
		refs=$(awk -F'\t' -v i="$id" '$1 == i && $2 == 1 {print $6}' "$WORK/actual-kind.tsv" 2>/dev/null | tail -1)
		if [[ -n $refs ]]; then
			n=$(tr ',' '\n' <<<"${refs/#-/}" | grep -c .)
			expect_result kind extra "$layout" "$id" "$(supply_expect kind-extra "$id")" "$((n == 1))" \
				"$n digest reference(s), one expected (the import's index): $(supply_short <<<"$refs")"
		fi
		refs=$(awk -F'\t' -v i="$id" '$1 == i && $2 == 1 {print $6}' "$WORK/actual-d29d.tsv" 2>/dev/null | tail -1)
		if [[ -n $refs ]]; then
			expect_result d29d extra "$layout" "$id" "$(supply_expect d29d-extra "$id")" "$([[ $refs == - ]] && echo 1 || echo 0)" \
				"names in containerd beyond docker images: ${refs/#-/(none)}"
		fi
	done <"$LOADS2"
}

# ---------------------------------------------------------------- LOADERS.md
SUPPLY_LOADERS=(docker d29c d29d ctr ctr2 ctr23 ctr23all ctr24 ctr24all kind k3s podman)

# supply_ids: every supply id measured, input first, then retar's outputs of it.
supply_ids() {
	local k
	for k in "${SUPPLY_INPUTS[@]}" signed-layout mislabelled-host; do
		{
			awk -F'\t' '{print $1}' "$OBSERVE2" "$LOADS2" "$SUPPLY_FACTS"
		} | awk -v k="$k" '($0 == "in:supply:" k || index($0, "supply:" k ">") == 1) && !seen[$0]++'
	done
}

supply_md() {
	local id c r
	echo
	echo "## Supply-chain inputs"
	echo
	echo "The inputs of golden/testdata/supply (\`go run ./golden/testdata/mksupply\`, README.md there) as they are"
	echo "(\`in:supply:NAME\`), and retar's outputs of them (\`supply:NAME>LAYOUT[:--attestations mode]\`), in every"
	echo "loader: docker 20.10 (\`docker\`), containerd 1.6 (\`ctr\`: ctr images import --snapshotter native), 2.0"
	echo "(\`ctr2\`), podman 4.3.1, beside today's; then skopeo 1.9.3 and umoci 0.4.7, and where the referrers end up."
	echo "Cell: \`yes (N)\` loads with N names (every name registered, extra ones too), \`no\` does not load."
	echo
	md_head archive -- "${SUPPLY_LOADERS[@]}"
	for id in $(supply_ids); do
		grep -q "^$id	" "$WORK/actual-d29c.tsv" 2>/dev/null || continue
		printf '| `%s` |' "$id"
		for c in "${SUPPLY_LOADERS[@]}"; do
			printf ' %s |' "$(awk -F'\t' -v i="$id" '$1 == i {l = $2; n = $3} END {
				if (l == "") { printf "—"; exit }
				if (l != 1) { printf "no"; exit }
				printf "yes (%d)", (n == "-" ? 0 : split(n, x, ",")) }' "$WORK/actual-$c.tsv" 2>/dev/null)"
		done
		echo
	done
	echo
	echo "Where the referrers end up: after the import and a synchronous garbage collection (an image tagged"
	echo "and removed with \`ctr images rm --sync\`), how many of the archive's referrer manifests the content"
	echo "store still holds (index.json entries with \`io.containerd.manifest.subject\` or a cosign tag; BuildKit's"
	echo "attestation manifests in an index), and the labels that keep them (HOLDER<-LABEL, HOLDER's digest cut):"
	echo
	echo "| archive | loader | kept after a GC | held by |"
	echo "|---|---|---|---|"
	awk -F'\t' '$2 != "d29d-save" {printf "| `%s` | %s | %s | %s |\n", $1, $2, $3, ($4 == "-" ? "(nothing)" : $4)}' "$WORK/supply-referrers.tsv"
	echo
	echo "What \`docker save\` (docker 29, containerd store) writes back of the image it loaded:"
	echo
	echo "| archive | referrers in the save | referrers in the archive loaded |"
	echo "|---|---|---|"
	awk -F'\t' '$2 == "d29d-save" {printf "| `%s` | %s | %s |\n", $1, $3, $4}' "$WORK/supply-referrers.tsv"
	for id in $(supply_ids); do
		echo
		echo "### \`$id\`"
		if grep -q "^$id	" "$WORK/actual-d29c.tsv" 2>/dev/null; then
			echo
			echo "| loader | loads | exit | names registered | digest refs / notes | message |"
			echo "|---|---|---|---|---|---|"
			for c in "${SUPPLY_LOADERS[@]}"; do
				awk -F'\t' -v i="$id" -v c="$c" '$1 == i {r = $0} END {
					if (r == "") exit
					n = split(r, f, "\t")
					msg = substr(f[5], 1, 300)
					gsub(/\|/, "\\|", msg); gsub(/,/, ", ", f[3]); gsub(/,/, ", ", f[6])
					printf "| %s | %s | %s | %s | %s | %s |\n", c, (f[2] == 1 ? "yes" : "**no**"), f[4],
						(f[3] == "-" ? "(none)" : f[3]), (n < 6 || f[6] == "-" || f[6] == "" ? "" : f[6]), msg
				}' "$WORK/actual-$c.tsv" 2>/dev/null
			done
		fi
		r=$(awk -F'\t' -v i="$id" '$1 == i' "$SUPPLY_FACTS")
		if [[ -n $r ]]; then
			echo
			echo "| reader | exit | output |"
			echo "|---|---|---|"
			awk -F'\t' -v i="$id" '$1 == i {gsub(/\|/, "\\|", $4); printf "| %s | %s | %s |\n", $2, $3, $4}' "$SUPPLY_FACTS"
		fi
	done
}
