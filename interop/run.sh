#!/usr/bin/env bash
# interop/run.sh — retar against the real consumers (`make interop`).
#
#   bash interop/run.sh            (root, Debian 12; CI=true makes every skip a failure)
#
# 1. Installs what is missing (apt: skopeo umoci containerd runc docker.io
#    podman busybox-static jq), builds retar and, in the background, the
#    containerd 2 importer test (interop/go.mod).
# 2. Starts containerd 1.6 and dockerd on private sockets in a temp dir
#    (scripts/consumers.sh); podman uses private storage. Stops them by pid.
# 3. Builds images with umoci from a busybox rootfs (interop/images.sh) and
#    writes them with skopeo, docker save, ctr export and podman save.
# 4. Converts every input with retar into every layout (named, renamed, and
#    --format, --compress, --platform, --oci-strict variants), then checks
#    every output: skopeo inspect --config (diff_ids), skopeo inspect --raw
#    (manifest digest, where nothing had to be re-encoded), umoci unpack (the
#    file tree: paths, modes, owners, links, content hashes); archives also:
#    docker load + names + docker run, ctr import + names + ctr run,
#    podman load + names, and containerd 2.0's importer (interop/containerd2_test.go).
# 4b. (interop/check-vs-loaders.sh) retar check --json on every archive the
#    consumers load (retar's outputs, the real tools' archives, a docker
#    25-style archive with absent manifests and its repair, tag-only ref.names,
#    a three-source bundle and images taken back out of it), each prediction
#    (loads, names) against what docker, ctr 1.6, the ctr 2.0 daemon and podman
#    did; writes interop/CHECK.md beside RESULTS.md.
# 4c. (check-vs-loaders.sh ctr21_checks) a containerd 2.1.4 daemon, built from its Go
#    module in the background beside 2.0, on its own socket: the bundle, the
#    docker 25-style broken archive (plain import; --all-platforms fails) and
#    its repair (--all-platforms works), three retar outputs (names, ctr run);
#    retar check's "ctr-2.1" predictions against those outcomes.
# 4d. (interop/current-loaders.sh) today's loaders, built in the background
#    from their Go modules beside 2.0/2.1 (scripts/gomod-build.sh): docker
#    29.8.1 in both image stores (load, names, image IDs, docker run), plain
#    and --all-platforms ctr images import on containerd 2.3.7 and 2.4.2 (and
#    ctr run), kind's exact import (containerd 2.3.4, kind v0.33.0's), k3s's
#    agent/images import (interop/k3s; its file-name and zstd rules too), on
#    every archive; docker 29's own saves (both stores) become inputs that
#    retar converts into every layout and every consumer loads; pre-1.10 and
#    foreign-layer archives are measured, and sparse OCI archives (a layer or
#    the config absent) with retar's oci-archive of each. Writes
#    interop/LOADERS.md. Every verdict retar check calls measured is compared
#    (loads, names, the message it quotes), and every compared id is emitted.
# 4e. (interop/oci-refs-pipes-schema1.sh) once the workers are done: oci:DIR:REF
#    with a bare tag, name:tag, a full name and a digest reference, read back
#    by skopeo, umoci ls/unpack, retar inspect and ctr 2.3; pipes through
#    retar's - (docker save | retar | ctr import -, retar | docker load,
#    retar | podman load); Docker schema 1 converted, then loaded.
# 4f. (interop/supply.sh) golden/testdata/supply's inputs (BuildKit
#    attestations, cosign tags and OCI 1.1 referrers, zstd:chunked and its
#    sentinel variant, mislabelled layers, v2s2 with zstd) as they are, and
#    retar's outputs of them in every layout and --attestations mode: every
#    loader above (loads, exactly the image's name, no extra image record),
#    skopeo copy, umoci unpack, where the referrers end up in ctr 1.6, 2.3,
#    2.4 and docker 29's containerd store; retar check's verdicts compared.
# 4g. (interop/volumes.sh) retar convert --volume-size: each volume loaded
#    alone into an empty store (docker 20.10, ctr 1.6, podman; docker 29's
#    classic store and ctr 2.3 once up), then all into one; retar check's
#    verdicts; the volumes joined are the unsplit bundle byte for byte.
# 4h. (interop/selfimage.sh) retar's own image (scripts/selfimage, as make dist
#    writes retar-image.tar), built in the background: loaded by docker 29 in
#    both stores, ctr 2.3 and podman, then run on a mounted directory:
#    `retar convert in.tar oci-archive:out.tar:REF` as the image's user.
# 4i. (interop/delta.sh) a delta (retar convert --since) loaded where its
#    base is loaded and run, by every loader above (today's before their
#    workers start, the 2022-era ones once theirs are done); into an empty
#    store it fails (or cannot run) as retar check says; the delta applied
#    (--base) loads and runs; --base rebuilds the full archive byte for byte.
# 4j. (interop/explain.sh) retar explain on each loader message the run saw:
#    the fact confirmed on the archive, the fix it prints run, the fixed
#    archive loaded by the same loader.
# 5. Prints PASS/FAIL per check, writes interop/RESULTS.md (INTEROP_RESULTS_MD
#    to put it elsewhere, "-" for none) and closes with "N passed, M failed".
#
# Exit: 0 all passed (known consumer limits are XFAIL), 1 a check failed or a
# tool/daemon is missing under CI=true, 0 with "SKIP" when not root outside CI.
# INTEROP_KEEP=1 keeps the work dir. INTEROP_ONLY=REGEX limits the cases.
set -uo pipefail
export LC_ALL=C.UTF-8 TZ=UTC
export SOURCE_DATE_EPOCH=1704067200

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
export PATH=/usr/local/go/bin:$PATH:/usr/sbin:/sbin
# shellcheck source=../scripts/consumers.sh
source "$TOP/scripts/consumers.sh"
# shellcheck source=images.sh
source "$HERE/images.sh"
# shellcheck source=checks.sh
source "$HERE/checks.sh"

T0=$SECONDS
log() { printf '== [%4ss] %s\n' "$((SECONDS - T0))" "$*" >&2; }
die() {
	printf 'interop: %s\n' "$*" >&2
	exit 1
}
skip_or_die() { # outside CI a missing prerequisite skips the suite
	if [[ ${CI:-} == true ]]; then die "$* (CI=true: this fails the suite)"; fi
	printf 'interop: SKIP: %s\n' "$*" >&2
	exit 0
}

((EUID == 0)) || skip_or_die "needs root (private dockerd/containerd, umoci unpack as root)"
command -v go >/dev/null || skip_or_die "needs go (/usr/local/go/bin)"

# ---------------------------------------------------------------- install
missing_pkgs() {
	local p
	_consumers_missing
	for p in busybox-static jq; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' || echo "$p"
	done
}
mapfile -t MISSING < <(missing_pkgs | sort -u)
if ((${#MISSING[@]})); then
	log "apt-get install ${MISSING[*]}"
	if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${MISSING[@]}" >/dev/null; }; then
		skip_or_die "apt-get install ${MISSING[*]} failed"
	fi
	mapfile -t MISSING < <(missing_pkgs | sort -u)
	((${#MISSING[@]} == 0)) || skip_or_die "still missing after apt-get install: ${MISSING[*]}"
fi
T_INSTALL=$((SECONDS - T0))

WORK=$(mktemp -d /tmp/retar-interop.XXXXXX)
chmod 755 "$WORK"
IMG=$WORK/umoci IN=$WORK/in OUT=$WORK/out RESULTS=$WORK/results.tsv
mkdir -p "$IN" "$OUT"
: >"$RESULTS"
# shellcheck source=check-vs-loaders.sh
source "$HERE/check-vs-loaders.sh" # retar check vs the consumers, repairs, bundles, containerd 2.1
# shellcheck source=current-loaders.sh
source "$HERE/current-loaders.sh" # docker 29, containerd 2.3/2.4, kind, k3s
# shellcheck source=oci-refs-pipes-schema1.sh
source "$HERE/oci-refs-pipes-schema1.sh" # oci:DIR:REF read back, pipes, schema 1
# shellcheck source=supply.sh
source "$HERE/supply.sh" # attestations, referrers, signatures, chunked and mislabelled layers
# shellcheck source=volumes.sh
source "$HERE/volumes.sh" # --volume-size: each volume loaded alone
# shellcheck source=delta.sh
source "$HERE/delta.sh" # a delta loaded where its base is, by every loader
# shellcheck source=explain.sh
source "$HERE/explain.sh" # retar explain on the loaders' messages, their fixes loaded
# shellcheck source=selfimage.sh
source "$HERE/selfimage.sh" # retar's own image, loaded and run
declare -A REF_DIFFIDS=() REF_TREE=()
C2_PID="" C21_PID=""
C21_VERSION=v2.1.4
STOPPED=0
cleanup() {
	local w
	if ((STOPPED)); then # the workers first: none goes on against stopped daemons
		for w in ${P1:-} ${P2:-} ${P3:-} ${P4:-} ${P5:-} ${TP[@]+"${TP[@]}"}; do kill "$w" 2>/dev/null; done
	fi
	[[ -n $C2_PID ]] && kill -- -"$C2_PID" 2>/dev/null # the build's process group
	[[ -n $C21_PID ]] && kill -- -"$C21_PID" 2>/dev/null
	[[ -n ${TODAY_BUILD_PID:-} ]] && kill -- -"$TODAY_BUILD_PID" 2>/dev/null
	[[ -n ${SELF_PID:-} ]] && kill -- -"$SELF_PID" 2>/dev/null
	consumers_stop
	if [[ ${INTEROP_KEEP:-} == 1 ]]; then
		echo "interop: kept $WORK" >&2
	else
		rm -rf --one-file-system "$WORK"
	fi
}
trap cleanup EXIT
trap 'STOPPED=1; exit 130' INT TERM

# ---------------------------------------------------------------- builds
# The builds run in the background while images are made. Each records its
# exit status in $BUILD_RC as it exits (RECORD_EXIT, at the head of its
# script): bash forgets the status of a job that ended long before it is
# waited for once many other jobs have come and gone, and a build from a
# warm cache ends early.
RECORD_EXIT='trap "echo \$? >\"\$BUILD_RC\"" EXIT; '
# build_ok PID RC_FILE: waits for a background build, 0 if it succeeded.
build_ok() {
	wait "$1" 2>/dev/null
	[[ $(cat "$2" 2>/dev/null) == 0 ]]
}
log "go build retar"
(cd "$TOP" && go build -o "$WORK/retar" ./cli/retar) || die "go build ./cli/retar failed"
# The containerd 2 test binary builds while the images are made.
log "building containerd 2.0 (daemon, ctr, importer test) in the background"
# Both build from interop/go.mod (containerd v2.0.0) and share one build
# cache: the importer test, then containerd 2.0 and its ctr (no CRI).
BUILD_RC=$WORK/containerd2-build.rc setsid bash -c "$RECORD_EXIT"'cd "$1" && export CGO_ENABLED=0 &&
	go test -c -o "$2/containerd2.test" . &&
	go build -tags "no_cri no_btrfs no_devmapper no_zfs" -o "$2/c2bin/" \
		github.com/containerd/containerd/v2/cmd/containerd github.com/containerd/containerd/v2/cmd/ctr' \
	_ "$HERE" "$WORK" >"$WORK/containerd2-build.log" 2>&1 &
C2_PID=$!
# containerd 2.1.4 (daemon + ctr), for retar check's ctr-2.1 verdicts: its own
# module (not interop/go.mod), copied out of the module cache, built with
# -mod=mod (the module zip has no vendor/), no CRI.
log "building containerd 2.1.4 (daemon, ctr) in the background"
BUILD_RC=$WORK/containerd21-build.rc setsid bash -c "$RECORD_EXIT"'set -e; cd "$2"
	dir=$(go mod download -json github.com/containerd/containerd/v2@$1 | jq -r .Dir)
	rm -rf c21src && cp -r "$dir" c21src && chmod -R u+w c21src && cd c21src
	CGO_ENABLED=0 go build -mod=mod -tags "no_cri no_btrfs no_devmapper no_zfs" -o "$2/c21bin/" ./cmd/containerd ./cmd/ctr
	rm -rf "$2/c21src"' _ "$C21_VERSION" "$WORK" >"$WORK/containerd21-build.log" 2>&1 &
C21_PID=$!
today_build_start
selfimage_build_start

log "starting private containerd + dockerd"
consumers_start >&2 || die "could not start the private daemons (see above)"
T_DAEMONS=$((SECONDS - T0))

build_images || die "building the images failed"
write_inputs || die "writing the inputs with the real tools failed"
T_INPUTS=$((SECONDS - T0))

# ---------------------------------------------------------------- inputs
# Each input, as the real tool wrote it, must hold what was built.
declare -A IN_DIGEST=() IN_INDEX_DIGEST=() IN_ZSTD=()
# input_checks KEY: the input's diff_ids and trees (and manifest digests).
input_checks() {
	local k=$1 src0 imgs e key src tag n archs a ikey got ok
	src0=${IN_SRC[$k]}
	if [[ $src0 != *:* ]]; then # skopeo reads no compressed docker-archive: decompress it
		gzip -dc "$src0" >"$WORK/$k.tar" || die "gzip -d $src0"
		src0=docker-archive:$WORK/$k.tar
	fi
	IFS=';' read -r -a imgs <<<"${IN_IMAGES[$k]}"
	for e in "${imgs[@]}"; do
		key=${e%%=*} src=$src0 tag=""
		if ((${#imgs[@]} > 1)); then # several images: each by its first name
			n=${e#*=}
			src=$src0:${n%%+*} tag=/$key
		fi
		archs=amd64
		[[ $key == M ]] && archs="amd64 arm64"
		for a in $archs; do
			ikey=$key
			[[ $key == M ]] && { [[ $a == amd64 ]] && ikey=A || ikey=Aarm; }
			got=$(diffids_of "$src" "$a")
			if [[ $got == "${REF_DIFFIDS[$ikey]}" ]]; then ok=1; else ok=0; fi
			expect_result input diff_ids input "$k$tag/$a" ok "$ok" "${IN_CMD[$k]}: $got"
			if tree_of "$src" "$a" >"$WORK/in-tree" 2>"$WORK/in-tree.err" &&
				cmp -s "$WORK/in-tree" "${REF_TREE[$ikey]}"; then ok=1; else ok=0; fi
			expect_result input tree input "$k$tag/$a" ok "$ok" \
				"$(diff "${REF_TREE[$ikey]}" "$WORK/in-tree" | head -5 | oneline) $(oneline <"$WORK/in-tree.err")"
			if [[ ${IN_MANIFEST[$k]} == stored ]]; then
				IN_DIGEST[$k/$a]=$(manifest_digest "$src" "$a")
			fi
		done
	done
	[[ ${IN_MANIFEST[$k]} == stored ]] && IN_INDEX_DIGEST[$k]=$(index_digest "$src0")
	instance_manifest "$src0" amd64 | grep -q 'tar+zstd' && IN_ZSTD[$k]=1
	return 0
}
log "checking the ${#IN_KEYS[@]} inputs (diff_ids, trees)"
for k in "${IN_KEYS[@]}"; do input_checks "$k"; done

# ---------------------------------------------------------------- cases
# case_add INPUT LAYOUT [--name REF] [-t REF]... [--select NAME] [--flag --F=V]...
#          [--docker|--ctr|--podman|--c2 xfail:REASON] [--suffix S]
# Converts INPUT into LAYOUT and queues the checks of the output.
RENAME=quay.io/retar/interop:renamed
EXTRA=retar-interop:extra
LOADS=$WORK/loads.tsv
: >"$LOADS"
NCASE=0
case_add() {
	local input=$1 layout=$2
	shift 2
	local name="" sel="" suffix="" tags=() flags=() xd=ok xc=ok xp=ok x2=ok
	while (($#)); do
		case $1 in
		--name) name=$2; shift 2 ;;
		-t) tags+=("$2"); shift 2 ;;
		--select) sel=$2; shift 2 ;;
		--flag) flags+=("$2"); shift 2 ;;
		--docker) xd=$2; shift 2 ;;
		--ctr) xc=$2; shift 2 ;;
		--podman) xp=$2; shift 2 ;;
		--c2) x2=$2; shift 2 ;;
		--suffix) suffix=$2; shift 2 ;;
		*) die "case_add: unknown option $1" ;;
		esac
	done
	local id="$input>$layout${suffix:+:$suffix}"
	if [[ -n ${INTEROP_ONLY:-} && ! $id =~ $INTEROP_ONLY ]]; then return 0; fi
	NCASE=$((NCASE + 1))
	local src=${IN_SRC[$input]} out=$OUT/c$NCASE dst t platform="" format="" compress="" strict=0 allp=0 i
	[[ $src == *:* ]] || src=docker-archive:$src
	[[ -n $sel ]] && src=$src:$sel
	[[ $layout == *-archive ]] && out=$out.tar
	dst=$layout:$out${name:+:$name}
	local args=(convert -q)
	for t in "${tags[@]}"; do args+=(-t "$t"); done
	for t in "${flags[@]}"; do
		args+=("$t")
		case $t in
		--platform=*) platform=${t#--platform=linux/} ;;
		--format=*) format=${t#--format=} ;;
		--compress=*) compress=${t#--compress=} ;;
		--oci-strict) strict=1 ;;
		--all-platforms) allp=1 ;;
		esac
	done
	args+=("$src" "$dst")
	# retar itself: convert, then verify its own output.
	local cmdline="retar ${args[*]}"
	cmdline=${cmdline//$WORK\//}
	printf '%s\t%s\n' "$id" "$cmdline" >>"$WORK/commands.tsv"
	if ! "$WORK/retar" "${args[@]}" >"$WORK/conv.out" 2>&1; then
		result retar convert "$layout" "$id" FAIL "$cmdline: $(oneline <"$WORK/conv.out")"
		return 0
	fi
	result retar convert "$layout" "$id" PASS "$cmdline"
	if "$WORK/retar" verify -q "$out" >"$WORK/verify.out" 2>&1; then
		result retar verify "$layout" "$id" PASS ""
	else
		result retar verify "$layout" "$id" FAIL "$(oneline <"$WORK/verify.out")"
	fi

	# The images the output must hold: KEY ARCH NAMES.
	local spec e key names imgs=() ikey a n
	IFS=';' read -r -a spec <<<"${IN_IMAGES[$input]}"
	for e in "${spec[@]}"; do
		key=${e%%=*} names=${e#*=}
		if [[ -n $sel ]]; then [[ +$names+ == *"+$sel+"* ]] || continue; fi
		if [[ -n $name ]]; then names=$name; fi
		for t in "${tags[@]}"; do names+=+$(normalize "$t"); done
		names=${names#+}
		if [[ $key == M ]]; then
			if [[ -n $platform ]]; then
				imgs+=("$([[ $platform == amd64 ]] && echo A || echo Aarm) $platform $names")
			elif [[ $layout == docker-archive ]]; then
				# (--all-platforms: index.json holds both, manifest.json the host's)
				imgs+=("A amd64 $names")
			elif [[ $layout == dir ]] && ((!allp)); then
				imgs+=("A amd64 $names")
			else
				imgs+=("M amd64 $names" "M arm64 $names")
			fi
		else
			imgs+=("$key amd64 $names")
		fi
	done
	((${#imgs[@]})) || die "case $id: no image selected"

	# Static checks on every image of the output.
	local ref rn got exp ok keep=0 first all_names=() runs=() ids=() cfg zstd=0
	[[ ${IN_MANIFEST[$input]} == stored && -z $format && -z $compress && $layout != docker-archive ]] && keep=1
	# (a docker-archive gets gzip for zstd layers unless --compress says otherwise)
	[[ $compress == zstd || (-z $compress && ${IN_ZSTD[$input]:-0} == 1 && $layout != docker-archive) ]] && zstd=1
	for e in "${imgs[@]}"; do
		read -r key a names <<<"$e"
		ikey=$key
		[[ $key == M ]] && { [[ $a == amd64 ]] && ikey=A || ikey=Aarm; }
		first=${names%%+*}
		ref=$layout:$out
		case $layout in
		docker-archive) [[ ${#imgs[@]} -gt 1 && $key != M ]] && ref=$ref:$first ;;
		oci*) # skopeo finds an image by its ref.name as written: the name as typed,
			# or the tag alone beside a full containerd name (ctr export, docker 29)
			if [[ -n $first ]]; then
				rn=$(oci_ref_of "$layout" "$out" "$first")
				rn=${rn:-$first} ref=$ref:$rn
			fi ;;
		esac
		if [[ $layout == oci* && -n $first ]] && [[ $(entry_media_type "$layout" "$out" "$rn") == application/vnd.docker.* ]]; then
			# skopeo 1.9 looks names up among OCI media types only: check its
			# lookup, then go on with a copy of the layout holding just this entry.
			skopeo inspect --raw "$ref" >/dev/null 2>&1 && ok=1 || ok=0
			expect_result skopeo select "$layout" "$id/$a" \
				"xfail:skopeo 1.9.3 (containers/image 5.23) finds a name in an OCI index only on OCI media types, not on a Docker v2s2 manifest" \
				"$ok" "skopeo inspect $ref"
			ref=$(single_entry_layout "$layout" "$out" "$rn") || die "single_entry_layout $out"
		fi
		got=$(diffids_of "$ref" "$a")
		[[ $got == "${REF_DIFFIDS[$ikey]}" ]] && ok=1 || ok=0
		expect_result skopeo diff_ids "$layout" "$id/$a" ok "$ok" "$got"
		if tree_of "$ref" "$a" >"$WORK/tree" 2>"$WORK/tree.err" && cmp -s "$WORK/tree" "${REF_TREE[$ikey]}"; then
			ok=1
		else
			ok=0
		fi
		expect_result umoci tree "$layout" "$id/$a" ok "$ok" \
			"$TREE_METHOD$( ((ok)) || echo ": $(diff "${REF_TREE[$ikey]}" "$WORK/tree" | head -6 | oneline) $(oneline <"$WORK/tree.err")")"
		if ((keep)); then
			got=$(manifest_digest "$ref" "$a")
			exp=${IN_DIGEST[$input/$a]:-}
			[[ -n $got && $got == "$exp" ]] && ok=1 || ok=0
			expect_result skopeo digest "$layout" "$id/$a" ok "$ok" "manifest $got (source $exp)"
			if [[ $key == M && -z $platform ]]; then
				got=$(index_digest "$ref")
				exp=${IN_INDEX_DIGEST[$input]}
				[[ $got == "$exp" ]] && ok=1 || ok=0
				expect_result skopeo digest "$layout" "$id/index" ok "$ok" "index $got (source $exp)"
			fi
		fi
		if [[ $a == amd64 ]]; then
			local want=$RUN_A
			[[ $ikey == B ]] && want=$RUN_B
			IFS=+ read -r -a n <<<"$names"
			all_names+=("${n[@]}")
			# The image ID docker's classic store gives it: its config's digest.
			cfg=sha256:$(skopeo --override-arch amd64 --override-os linux inspect --config --raw "$ref" 2>/dev/null | sha256sum | cut -d' ' -f1)
			if [[ -n $first ]]; then
				runs+=("$(normalize "$first")=$want")
				ids+=("$(normalize "$first")=$cfg")
			else
				runs+=("@$cfg=$want")
				ids+=("@=$cfg")
			fi
		fi
	done

	# Archives go to the consumers.
	[[ $layout == docker-archive || $layout == oci-archive ]] || return 0
	if ((zstd)) && [[ $xd == ok ]]; then xd="xfail:docker 20.10 cannot load zstd layers (docker >= 23 can)"; fi
	if ((strict)) && [[ $xd == ok ]]; then xd="xfail:docker 20.10 loads no archive without manifest.json (--oci-strict)"; fi
	# Fields are never empty ("-"): read with IFS=tab would merge them.
	local nl=- rl=- il=-
	((${#all_names[@]})) && nl=$(printf '%s\n' "${all_names[@]}" | names_set)
	((${#ids[@]})) && il=$(
		IFS=';'
		echo "${ids[*]}"
	)
	((${#runs[@]})) && rl=$(
		IFS=';'
		echo "${runs[*]}"
	)
	local plats
	plats=$(
		for e in "${imgs[@]}"; do
			read -r key a names <<<"$e"
			echo "linux/$a"
		done
		((allp)) && [[ ${IN_IMAGES[$input]} == M=* && -z $platform ]] && echo linux/arm64
	)
	plats=$(sort -u <<<"$plats" | paste -sd, -)
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$layout" "$out" "$nl" "$rl" \
		"$xd" "$xc" "$xp" "$x2" "${platform:--}" "$plats" "$il" >>"$LOADS"
}

# Emptying a consumer's store (extra_build uses ctr_clean too).
docker_clean() {
	local ids
	ids=$(cons_docker ps -aq 2>/dev/null)
	[[ -n $ids ]] && cons_docker rm -f $ids >/dev/null 2>&1
	ids=$(cons_docker images -aq --no-trunc 2>/dev/null | sort -u)
	[[ -n $ids ]] && cons_docker rmi -f $ids >/dev/null 2>&1
	return 0
}
podman_clean() { cons_podman rmi -af >/dev/null 2>&1; return 0; }
ctr_clean() { # ctr_clean CTR SNAPSHOTTER NS: images, content, snapshots, the namespace
	local c=$1 sn=$2 ns=$3 x i
	for x in $($c -n "$ns" containers ls -q 2>/dev/null); do
		$c -n "$ns" tasks kill -s SIGKILL "$x" >/dev/null 2>&1
		$c -n "$ns" tasks delete -f "$x" >/dev/null 2>&1
		$c -n "$ns" containers rm "$x" >/dev/null 2>&1
	done
	x=$($c -n "$ns" images ls -q 2>/dev/null)
	[[ -n $x ]] && $c -n "$ns" images rm --sync $x >/dev/null 2>&1
	x=$($c -n "$ns" content ls -q 2>/dev/null)
	[[ -n $x ]] && $c -n "$ns" content rm $x >/dev/null 2>&1
	for i in 1 2 3 4 5 6 7 8; do
		x=$($c -n "$ns" snapshots --snapshotter "$sn" ls 2>/dev/null | awk 'NR>1{print $1}')
		[[ -z $x ]] && break
		$c -n "$ns" snapshots --snapshotter "$sn" rm $x >/dev/null 2>&1
	done
	$c namespaces rm "$ns" >/dev/null 2>&1
	# runc-v2 shims keep runc state in /run/containerd/runc/<namespace>.
	rmdir "/run/containerd/runc/$ns" 2>/dev/null
	return 0
}

log "converting with retar and checking every output (skopeo, umoci)"
for k in "${IN_KEYS[@]}"; do
	sel=""
	[[ ${IN_IMAGES[$k]} == *';'* ]] && sel=$NAME_B
	if [[ $k != umoci-layout ]]; then # its names are tag-only ("a"): see the renamed cases
		case_add "$k" docker-archive
		case_add "$k" oci-archive
	fi
	case_add "$k" docker-archive --suffix renamed --name "$RENAME" -t "$EXTRA" ${sel:+--select "$sel"}
	case_add "$k" oci-archive --suffix renamed --name "$RENAME" -t "$EXTRA" ${sel:+--select "$sel"}
	case_add "$k" oci
	case_add "$k" dir ${sel:+--select "$sel"}
done
# Variants: --format, --compress, --platform, --oci-strict, -t alone.
case_add skopeo-oci-archive-named oci-archive --suffix format-v2s2 --flag --format=v2s2
case_add skopeo-dir-v2s2 oci-archive --suffix format-oci --flag --format=oci --name "$RENAME"
case_add docker-save-single dir --suffix format-oci --flag --format=oci
case_add skopeo-oci dir --suffix format-v2s2-gzip --flag --format=v2s2 --flag --compress=gzip
case_add skopeo-oci-zstd docker-archive --suffix compress-gzip --flag --compress=gzip
case_add docker-save-single oci-archive --suffix compress-zstd --flag --compress=zstd
case_add docker-save-gzip oci-archive --suffix compress-none --flag --compress=none
# gzip layers decoded into an uncompressed archive, each straight into its place
case_add umoci-layout docker-archive --suffix compress-none --flag --compress=none
case_add skopeo-oci oci-archive --suffix compress-none --flag --compress=none
case_add skopeo-docker-archive-named docker-archive --suffix compress-gzip --flag --compress=gzip
case_add skopeo-multi oci-archive --suffix platform-amd64 --flag --platform=linux/amd64
case_add ctr-export-multi oci-archive --suffix platform-amd64 --flag --platform=linux/amd64
case_add ctr-export-multi docker-archive --suffix platform-amd64 --flag --platform=linux/amd64
case_add skopeo-multi oci --suffix platform-arm64 --flag --platform=linux/arm64
case_add skopeo-multi dir --suffix platform-arm64 --flag --platform=linux/arm64
case_add skopeo-oci-archive-named oci-archive --suffix oci-strict --flag --oci-strict
case_add skopeo-multi docker-archive --suffix all-platforms --flag --all-platforms
case_add ctr-export-multi dir --suffix all-platforms --flag --all-platforms
case_add podman-oci-archive docker-archive --suffix gzip-9 --flag --compress=gzip --flag --compress-level=9
case_add skopeo-docker-archive-unnamed oci-archive --suffix tag-only -t "$EXTRA"
case_add skopeo-oci-archive-unnamed docker-archive --suffix tag-only -t "$EXTRA"
extra_build || result retar extra-build - - FAIL "building the broken archives / bundle failed"
supply_build || result supply build - - FAIL "converting the supply-chain inputs failed"
predict_all
T_CONVERT=$((SECONDS - T0))

# ---------------------------------------------------------------- consumers
# Each consumer goes through $LOADS on its own, in parallel with the others,
# starting every archive from an empty store: each case cleans up after
# itself, the first also before (docker holds the inputs' images).
# consumer_worker docker|ctr|ctr2|podman: load, names, run for every archive.
# ctr is containerd 1.6 (--snapshotter native, as docs/FORMATS.md runs it);
# ctr2 is containerd 2.0: a plain `ctr images import` through its transfer
# service, default snapshotter; for multi-platform and --platform outputs also
# --all-platforms, which containerd 2.0.0's ctr breaks on every archive.
# PASS=2 runs it again on the docker 29 inputs' cases ($LOADS2, $OBSERVE2).
consumer_worker() {
	local c=$1 RESULTS_FILE=$WORK/results-$1${PASS:+-$PASS}.tsv loads=$LOADS observe=$OBSERVE
	local id layout out names runs xd xc xp x2 plat plats exp o rc got r want nm i=0 ns=""
	[[ ${PASS:-} == 2 ]] && loads=$LOADS2 observe=$OBSERVE2
	: >"$RESULTS_FILE"
	while IFS=$'\t' read -r -u 3 id layout out names runs xd xc xp x2 plat plats _; do
		i=$((i + 1))
		case $c in docker) exp=$xd ;; ctr) exp=$xc ;; ctr2) exp=$x2 ;; podman) exp=$xp ;; esac
		case $c in
		docker)
			((i == 1)) && docker_clean
			o=$(timeout 120 bash -c 'cons_docker load -i "$1"' _ "$out" 2>&1)
			rc=$?
			got=$(cons_docker images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | names_set)
			;;
		ctr)
			ns=interop-$i
			o=$(timeout 120 bash -c 'cons_ctr -n "$1" images import --snapshotter native "$2"' _ "$ns" "$out" 2>&1)
			rc=$?
			# ctr keeps names verbatim: they must already be in full form.
			got=$(cons_ctr -n "$ns" images ls -q 2>/dev/null | LC_ALL=C sort -u | paste -sd, -)
			;;
		ctr2)
			ns=interop2-$i
			if [[ $plat != - || $plats == *,* ]]; then
				o=$(timeout 120 bash -c 'cons_ctr2 -n "$1" images import --all-platforms "$2"' _ "$ns-all" "$out" 2>&1)
				rc=$?
				expect_result "$c" all-platforms "$layout" "$id" \
					"xfail:containerd 2.0.0's ctr images import --all-platforms fails on every archive (fixed in ctr 2.0.x later, 2.1)" \
					"$((rc == 0))" "exit $rc: $(oneline <<<"$o")"
				ctr_clean cons_ctr2 overlayfs "$ns-all"
			fi
			o=$(timeout 120 bash -c 'cons_ctr2 -n "$1" images import "$2"' _ "$ns" "$out" 2>&1)
			rc=$?
			got=$(cons_ctr2 -n "$ns" images ls -q 2>/dev/null | LC_ALL=C sort -u | paste -sd, -)
			;;
		podman)
			((i == 1)) && podman_clean
			o=$(timeout 120 bash -c 'cons_podman load -i "$1"' _ "$out" 2>&1)
			rc=$?
			got=$(cons_podman images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | names_set)
			;;
		esac
		record_actual "$c" "$id" "$rc" "$got" "$o"
		if [[ $names == '?' ]]; then
			: # observed only: retar check's prediction is the expectation (compare_predictions)
		elif ((rc != 0)); then
			expect_result "$c" load "$layout" "$id" "$exp" 0 "exit $rc: $(oneline <<<"$o")"
		else
			expect_result "$c" load "$layout" "$id" "$exp" 1 "$(oneline <<<"$o" | cut -c1-120)"
			[[ $got == "${names/#-/}" ]] && nm=1 || nm=0
			expect_result "$c" names "$layout" "$id" "$(supply_expect "$c-names" "$id")" "$nm" "registered: ${got:-(none)}; expected: $names"
			if [[ $c != podman ]]; then # podman run needs cgroups this sandbox lacks
				local -a runlist
				IFS=';' read -r -a runlist <<<"$runs"
				[[ $runs == - ]] && runlist=()
				for r in "${runlist[@]}"; do
					want=${r#*=} r=${r%%=*}
					if [[ $r != @* || $c == docker ]] && ran_before "$c" "$ns" "${r#@}" "$want"; then
						expect_result "$c" run "$layout" "$id" ok 1 "$r: ${RAN[$RAN_KEY]}"
						continue
					fi
					if [[ $c == docker ]]; then
						o=$(timeout 60 bash -c 'cons_docker run --rm --network none "${1#@}"' _ "$r" 2>&1)
						rc=$?
					elif [[ $r == @* ]]; then
						continue # ctr registers no nameless image
					elif [[ $c == ctr ]]; then
						o=$(timeout 60 bash -c 'cons_ctr -n "$1" run --snapshotter native --rm "$2" "$3"' \
							_ "$ns" "$r" "run-$i" 2>&1)
						rc=$?
					else
						o=$(timeout 60 bash -c 'cons_ctr2 -n "$1" run --rm "$2" "$3"' _ "$ns" "$r" "run-$i" 2>&1)
						rc=$?
					fi
					if ((rc == 0)) && [[ -z $o && $c == ctr* ]]; then
						# ctr run can lose a short-lived task's output (exit 0, nothing
						# printed: the task's checks passed); one more try.
						o=$(timeout 60 bash -c 'c=$1; shift; $c "$@"' _ "cons_$c" -n "$ns" run \
							$([[ $c == ctr ]] && echo --snapshotter native) --rm "$r" "run-$i-again" 2>&1)
						rc=$?
						o="(second try) $o"
					fi
					((rc == 0)) && [[ $o == *"$want"* ]] && nm=1 || nm=0
					((nm)) && [[ -n $RAN_KEY ]] && RAN[$RAN_KEY]="the same image ran in case $id: exit $rc: $(oneline 120 <<<"$o")"
					expect_result "$c" run "$layout" "$id" ok "$nm" "$r: exit $rc: $(oneline <<<"$o")"
				done
			fi
		fi
		case $c in
		docker) docker_clean ;;
		ctr) ctr_clean cons_ctr native "$ns" ;;
		ctr2) ctr_clean cons_ctr2 overlayfs "$ns" ;;
		podman) podman_clean ;;
		esac
	done 3< <(
		cat "$loads"
		# observed archives (check-vs-loaders.sh): loaded, no expectation of their own
		awk -F'\t' '{printf "%s\tarchive\t%s\t?\t-\tok\tok\tok\tok\t-\t-\n", $1, $3}' "$observe"
	) </dev/null
	: >"$WORK/done-$c${PASS:+-$PASS}"
	log "$c: done${PASS:+ (pass $PASS)}"
}

# containerd 2.0's importer library: the test binary built in the background.
containerd2_library() {
	local RESULTS_FILE=$WORK/results-containerd2.tsv
	: >"$RESULTS_FILE"
	(cd "$WORK" && INTEROP_LOADS=$LOADS INTEROP_RESULTS=$RESULTS_FILE \
		"$WORK/containerd2.test" -test.count=1 -test.timeout=10m >"$WORK/containerd2.log" 2>&1)
	local rc=$?
	if ((rc != 0)) && ! grep -q $'\tFAIL\t\|\tXPASS\t' "$RESULTS_FILE"; then
		result containerd2 test - - FAIL "the containerd 2 test failed (exit $rc): $(tail -5 "$WORK/containerd2.log" | oneline)"
	fi
	log "containerd 2.0 library: done"
	return 0
}

# then_docker29_inputs C: once docker 29's saves are written (the marker
# below), consumer C's pass over their cases, as soon as C is free rather
# than when the slowest 2022-era consumer is.
READY2=$WORK/docker29-inputs.ready
then_docker29_inputs() {
	while [[ ! -e $READY2 ]]; do
		kill -0 $$ 2>/dev/null || return 0
		sleep 2
	done
	[[ -s $LOADS2 || -s $OBSERVE2 ]] || return 0
	PASS=2 consumer_worker "$1"
}

log "$(wc -l <"$LOADS") archives x docker, ctr, podman (in parallel), then docker 29's inputs"
{ consumer_worker docker; then_docker29_inputs docker; } &
P1=$!
{ consumer_worker ctr; then_docker29_inputs ctr; } &
P2=$!
{ consumer_worker podman; then_docker29_inputs podman; } &
P3=$!
log "waiting for the containerd 2.0 build"
P4="" P5="" C2_OK=0
if build_ok "$C2_PID" "$WORK/containerd2-build.rc"; then
	C2_PID="" C2_OK=1
	T_C2BUILD=$((SECONDS - T0))
	consumers_start_containerd2 "$WORK/c2bin" >&2 ||
		die "containerd 2.0 did not start (see above)"
	log "archives x containerd 2.0 (daemon; importer library)"
	{ consumer_worker ctr2; then_docker29_inputs ctr2; } &
	P4=$!
	log "waiting for the containerd 2.1 build"
	if build_ok "$C21_PID" "$WORK/containerd21-build.rc"; then
		C21_PID=""
		T_C21BUILD=$((SECONDS - T0))
		if consumers_start_containerd2 "$WORK/c21bin" 21 >&2; then
			log "a few archives x containerd ${C21_VERSION#v} (daemon)"
			ctr21_checks &
			P5=$!
		else
			result ctr21 start - - FAIL "containerd ${C21_VERSION#v} did not start: $(tail -5 "$CONSUMERS_DIR/containerd21.log" 2>/dev/null | oneline)"
		fi
	else
		C21_PID=""
		T_C21BUILD=$((SECONDS - T0))
		result ctr21 build - - FAIL "building containerd ${C21_VERSION#v} failed: $(tail -5 "$WORK/containerd21-build.log" | oneline)"
	fi
else
	C2_PID=""
	T_C2BUILD=$((SECONDS - T0))
	result containerd2 build - - FAIL "building containerd 2.0 in interop/ failed: $(tail -5 "$WORK/containerd2-build.log" | oneline)"
fi
# Today's loaders (current-loaders.sh): docker 29 in both stores, containerd 2.3 and
# 2.4, kind's and k3s's imports, on every archive; docker 29's saves as inputs.
TP=()
log "waiting for today's consumers' build (docker 29, containerd 2.3/2.4, k3s's importer)"
if today_wait_build && today_start; then
	T_TODAY_UP=$((SECONDS - T0))
	today_inputs || result today inputs - - FAIL "writing the docker 29 inputs failed"
	today_measure || result today measure - - FAIL "making the pre-1.10 / foreign-layer archives failed"
	delta_loaders || result delta make - - FAIL "making the base, update and delta archives failed"
	LOADS=$LOADS2 OBSERVE=$OBSERVE2 predict_all
	LOADS=/dev/null OBSERVE=$MEASURE predict_all
	log "$(cat "$LOADS" "$LOADS2" "$OBSERVE" "$OBSERVE2" "$MEASURE" | wc -l) archives x ${TODAY_CONSUMERS[*]} (in parallel)"
	for c in "${TODAY_CONSUMERS[@]}"; do
		if [[ $c == k3s ]]; then # k3s's file rules use the same daemon and namespace
			{ today_worker k3s; today_k3s_files; } &
		else
			today_worker "$c" &
		fi
		TP+=($!)
	done
fi
: >"$READY2"
((C2_OK)) && containerd2_library
# Only the workers started: a bare wait would also wait for the daemons.
C2_WORKERS=(${P4:+"$P4"} ${P5:+"$P5"})
((${#C2_WORKERS[@]})) && wait "${C2_WORKERS[@]}"
wait "$P1" "$P2" "$P3"
((${#TP[@]})) && wait "${TP[@]}"
# A worker that stopped before its end (a shell error, a kill) leaves its
# results short with no check failed: each must have said it was done.
workers_done() {
	local w
	for w in docker ctr podman $( ((C2_OK)) && echo ctr2); do
		expect_done "$w"
		[[ -s $LOADS2 || -s $OBSERVE2 ]] && expect_done "$w-2"
	done
	if ((TODAY_OK)); then
		for w in "${TODAY_CONSUMERS[@]}"; do expect_done "$w"; done
	fi
}
expect_done() {
	local w=$1 pass=""
	[[ $w == *-2 ]] && pass=" (docker 29's inputs)"
	[[ -e $WORK/done-$w ]] || result "${w%-2}" worker - - FAIL "the ${w%-2} worker$pass stopped before its end: its checks are missing (see the log above)"
}
workers_done
cat "$WORK"/results-*.tsv >>"$RESULTS"
# The delta on the 2022-era loaders, their workers (which empty the stores) done.
delta_2022 || result delta make - - FAIL "making the base, update and delta archives failed"
# Then, on the daemons the workers used (now idle): oci:DIR:REF read back,
# pipes through retar's - and schema 1 (oci-refs-pipes-schema1.sh), and where
# the referrers end up (supply.sh).
if ((TODAY_OK)); then
	oci_refs
	stdio_pipes
	schema1_loads
	supply_after
	SELF_INPUT=$WORK/a.tar selfimage_checks d29c d29d ctr23 podman
fi
volume_loads # docker 20.10, ctr 1.6, podman; docker 29 and ctr 2.3 when up
# On the same idle daemons: retar explain on each message the loaders
# printed, its fix run and loaded (explain.sh).
explain_messages
T_CONSUMERS=$((SECONDS - T0))
C2_VERSION=$(cd "$HERE" && go list -m -f '{{.Version}}' github.com/containerd/containerd/v2 2>/dev/null)
consumers_stop
log "retar check's predictions against what the consumers did"
compare_predictions
write_kinds

# ---------------------------------------------------------------- report
ver() { consumers_versions | awk -v t="$1" '$1 == t {print $2}'; }
declare -A CONSUMER_LABEL=(
	[retar]="retar (convert, verify)"
	[docker]="docker $(ver docker) (load, docker run)"
	[ctr]="containerd $(ver containerd) (ctr images import, ctr run)"
	[ctr2]="containerd ${C2_VERSION:-2.0} (daemon built from source; plain ctr images import, ctr run)"
	[ctr21]="containerd ${C21_VERSION#v} (daemon built from source; ctr images import [--all-platforms], ctr run; a few archives)"
	[containerd2]="containerd ${C2_VERSION:-2.0} library: archive importer, transfer service in process"
	[podman]="podman $(ver podman) (load only)"
	[skopeo]="skopeo $(ver skopeo) (inspect --config, --raw; copy)"
	[umoci]="umoci $(ver umoci) (unpack)"
)
CONSUMER_LABEL[check]="retar check --json: prediction = outcome (loads, names, messages; interop/CHECK.md)"
CONSUMER_LABEL[d29c]="docker $TODAY_DOCKER_VERSION, classic store (built from source; load, image IDs, docker run)"
CONSUMER_LABEL[d29d]="docker $TODAY_DOCKER_VERSION, containerd store (built from source; load, image IDs, docker run)"
CONSUMER_LABEL[ctr23]="containerd ${TODAY_C23#v} (built from source; ctr images import, --all-platforms, image IDs, ctr run)"
CONSUMER_LABEL[ctr24]="containerd ${TODAY_C24#v} (built from source; ctr images import, --all-platforms, image IDs, ctr run)"
CONSUMER_LABEL[kind]="kind $TODAY_KIND's import (its ctr command on containerd ${TODAY_CKIND#v}; image IDs, ctr run)"
CONSUMER_LABEL[k3s]="k3s's agent/images import (interop/k3s on containerd ${TODAY_CKIND#v}; image IDs, ctr run; file rules)"
CONSUMER_ORDER=(docker d29c d29d ctr ctr2 ctr21 ctr23 ctr24 kind k3s containerd2 podman skopeo umoci retar check)
LAYOUTS=(docker-archive oci-archive oci dir)
# cell CONSUMER LAYOUT: "check pass/total" for each check, xfails apart.
cell() {
	awk -F'\t' -v c="$1" -v l="$2" '
		$1 == c && $3 == l {
			if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 }
			if ($5 == "XFAIL") x[$2]++; else { t[$2]++; if ($5 == "PASS") p[$2]++ }
		}
		END {
			if (n == 0) { printf "—"; exit }
			for (i = 1; i <= n; i++) {
				k = order[i]
				if (t[k] == 0) s = sprintf("%s: %d xfail", k, x[k])
				else s = sprintf("%s %d/%d", k, p[k], t[k])
				if (t[k] && x[k]) s = s sprintf(" (+%d xfail)", x[k])
				printf "%s%s", (i > 1 ? " · " : ""), s
			}
		}' "$RESULTS"
}
PASSED=$(awk -F'\t' '$5 == "PASS"' "$RESULTS" | wc -l)
FAILED=$(awk -F'\t' '$5 == "FAIL" || $5 == "XPASS"' "$RESULTS" | wc -l)
XFAILED=$(awk -F'\t' '$5 == "XFAIL"' "$RESULTS" | wc -l)
NARCH=$(cat "$LOADS" "$LOADS2" | wc -l)
T_TOTAL=$((SECONDS - T0))

report() {
	echo "# retar against real consumers"
	echo
	echo "Written by \`make interop\` (interop/run.sh) on $(date -u +%Y-%m-%d): ${#IN_KEYS[@]} inputs written"
	echo "by the real tools, $NCASE retar conversions, $NARCH archives loaded by each consumer;"
	echo "$PASSED checks passed, $FAILED failed, $XFAILED failed as expected (a consumer's known limit, or a known retar bug its reason names)."
	echo "Run time ${T_TOTAL}s (install ${T_INSTALL}s, daemons up at ${T_DAEMONS}s, inputs written at ${T_INPUTS}s,"
	echo "conversions + skopeo/umoci checks done at ${T_CONVERT}s, containerd 2.0 built at ${T_C2BUILD:-?}s, 2.1 at ${T_C21BUILD:-?}s,"
	echo "docker 29 / containerd 2.3, 2.4 / k3s's importer built at ${T_TODAY_BUILD:-?}s, their daemons up at ${T_TODAY_UP:-?}s,"
	echo "consumers done at ${T_CONSUMERS}s)."
	echo
	echo "Each cell: check passed/checked for the outputs retar wrote in that layout."
	echo "load = docker load / ctr images import / podman load / containerd 2 import; names = exactly the"
	echo "expected names registered; run = the image's command printed its expected line (docker run,"
	echo "ctr run); unpack = containerd 2 unpacked it and its root filesystem shows the layers applied;"
	echo "importer = containerd 2's archive importer (core/images/archive) read the expected names and platforms;"
	echo "image-id = the image ID docker shows (classic store: the config digest; containerd store, ctr, kind, k3s:"
	echo "the digest the archive's index.json gives that name); all-platforms = ctr images import --all-platforms"
	echo "loads with the expected names; file = k3s picks up (or ignores) a file by its name and decompresses it;"
	echo "diff_ids = skopeo inspect --config; digest = skopeo inspect --raw gives the source's manifest"
	echo "digest (no --format/--compress, source with a manifest); tree = umoci unpack gives the built"
	echo "image's tree (paths, types, modes, owners, link counts, link targets, content hashes)."
	echo
	md_head consumer -- "${LAYOUTS[@]}"
	local c l
	for c in "${CONSUMER_ORDER[@]}"; do
		printf '| %s |' "${CONSUMER_LABEL[$c]}"
		for l in "${LAYOUTS[@]}"; do printf ' %s |' "$(cell "$c" "$l")"; done
		echo
	done
	echo
	echo "The inputs themselves (as the real tools wrote them) against the image built with umoci: $(cell input input)."
	echo
	echo "## containerd 2.0 and --platform"
	echo
	echo "A two-platform archive (skopeo copy --all, ctr export --all-platforms) converted with"
	echo "\`retar convert --platform linux/amd64\` and imported with a plain \`ctr images import\` (no"
	echo "--all-platforms, no --platform, no --local) on a containerd 2.0.0 daemon, and through the 2.0.0"
	echo "transfer service in process:"
	echo
	echo "| consumer | check | case | status | detail |"
	echo "|---|---|---|---|---|"
	awk -F'\t' '($1 == "ctr2" || $1 == "containerd2") && $4 ~ /platform-amd64/ {gsub(/\|/, "\\|", $6); printf "| %s | %s | `%s` | %s | %s |\n", $1, $2, $4, $5, substr($6, 1, 160)}' "$RESULTS"
	echo
	echo "## Failures"
	echo
	if ((FAILED == 0)); then
		echo "None."
	else
		echo "| consumer | check | case | status | detail |"
		echo "|---|---|---|---|---|"
		awk -F'\t' '$5 == "FAIL" || $5 == "XPASS" {gsub(/\|/, "\\|", $6); printf "| %s | %s | `%s` | %s | %s |\n", $1, $2, $4, $5, $6}' "$RESULTS"
		echo
		echo "Commands of the failing cases:"
		echo
		awk -F'\t' 'NR == FNR {if ($5 == "FAIL" || $5 == "XPASS") {k = $4; sub(/\/(amd64|arm64|index)$/, "", k); bad[k] = 1}; next}
			($1 in bad) {printf "    %s    # %s\n", $2, $1}' "$RESULTS" "$WORK/commands.tsv"
	fi
	echo
	echo "## Expected failures (consumers' known limits; a reason that starts \"retar's own\" is a known retar bug, reported)"
	echo
	awk -F'\t' '$5 == "XFAIL" {r = $6; sub(/: .*/, "", r); k = $1 " " $2 ": " r; if (!(k in n)) o[++m] = k; n[k]++; ids[k] = ids[k] (n[k] <= 3 ? " `" $4 "`" : "")}
		END {for (i = 1; i <= m; i++) printf "- %s — %d case(s):%s%s\n", o[i], n[o[i]], ids[o[i]], (n[o[i]] > 3 ? " ..." : "")}' "$RESULTS"
	echo
	echo "## Inputs"
	echo
	echo "| input | written by | images |"
	echo "|---|---|---|"
	local k
	for k in "${IN_KEYS[@]}"; do
		printf '| %s | `%s` | %s |\n' "$k" "${IN_CMD[$k]//|/\\|}" "${IN_IMAGES[$k]}"
	done
	echo
	echo "Images (interop/images.sh): A = busybox layer + whiteout layer (a file and a directory deleted),"
	echo "hardlink, relative and absolute symlinks, a path of more than 100 bytes, a non-ASCII name, env and"
	echo "cmd; B = A + a layer; M = two-platform index of A (linux/amd64) and an arm64 sibling."
	echo
	echo "## Tools"
	echo
	consumers_versions | sed 's/^/    /'
	echo "    containerd v2 library ${C2_VERSION:-?} (interop/go.mod)"
	echo "    containerd 2.1 daemon + ctr ${C21_VERSION} (built from its module)"
	echo "    dockerd $TODAY_DOCKER_VERSION ($TODAY_DOCKER_MODULE), with containerd ${TODAY_C23#v}; client $("${CONSUMERS_DOCKER29_CLI:-/usr/local/bin/docker}" --version 2>/dev/null | sed 's/^Docker version //; s/,.*//')"
	echo "    containerd ${TODAY_C23#v}, ${TODAY_C24#v} (daemon, ctr, shim), ${TODAY_CKIND#v} (kind $TODAY_KIND's, k3s's; daemon, ctr), built from their module"
	echo "    interop/k3s: containerd client $(cd "$HERE/k3s" && go list -m -f '{{.Version}}' github.com/containerd/containerd/v2 2>/dev/null), wharfie $(cd "$HERE/k3s" && go list -m -f '{{.Version}}' github.com/rancher/wharfie 2>/dev/null)"
	echo
	echo "## Cases"
	echo
	echo "| case | retar command |"
	echo "|---|---|"
	awk -F'\t' '{gsub(/\|/, "\\|", $2); printf "| `%s` | `%s` |\n", $1, $2}' "$WORK/commands.tsv"
}

# Every record, then the table.
awk -F'\t' '{printf "%-5s %-11s %-9s %-14s %s  %s\n", $5, $1, $2, $3, $4, $6}' "$RESULTS" |
	cut -c1-240
MD=${INTEROP_RESULTS_MD:-$HERE/RESULTS.md}
if [[ $MD != - ]]; then
	if [[ -n ${INTEROP_ONLY:-} && -z ${INTEROP_RESULTS_MD:-} ]]; then
		MD=$WORK/RESULTS.md # a partial run leaves interop/RESULTS.md alone
	fi
	report >"$MD"
	log "wrote $MD"
	CMD=$(dirname "$MD")/CHECK.md
	[[ $MD == "$HERE/RESULTS.md" ]] && CMD=$HERE/CHECK.md
	check_md | sed "s#$WORK/##g" >"$CMD"
	log "wrote $CMD"
	if ((TODAY_OK)); then
		{ loaders_md; supply_md; } | sed "s#$WORK/##g; s#/tmp/retar-consumers\.[A-Za-z0-9]*/#CONSUMERS_DIR/#g" >"$(dirname "$CMD")/LOADERS.md"
		log "wrote $(dirname "$CMD")/LOADERS.md"
	fi
fi
echo
report | sed -n '/^| consumer |/,/^$/p'
if ((FAILED)); then
	echo "Failures:"
	awk -F'\t' '$5 == "FAIL" || $5 == "XPASS" {printf "  %s %s %s: %s\n", $1, $2, $4, $6}' "$RESULTS" | cut -c1-300
fi
log "done in ${T_TOTAL}s"
echo "interop: $PASSED passed, $FAILED failed, $XFAILED skipped"
((FAILED == 0))
