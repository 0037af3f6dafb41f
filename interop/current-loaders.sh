# shellcheck shell=bash disable=SC2016
# current-loaders.sh — sourced by interop/run.sh: today's loaders (docker 29,
# containerd 2.3 and 2.4, kind's and k3s's imports) as real consumers, on
# private sockets, beside the 2022-era ones.
#
#   today_build_start  one background job (its own process group): dockerd
#                      29.8.1 (github.com/moby/moby/v2 v2.0.0-beta.24), containerd
#                      2.3.7 (daemon, ctr, shim: docker 29's and the ctr-2.3
#                      checks'), 2.3.4 (kind's node image and k3s's containerd;
#                      daemon, ctr, shim), 2.4.2 (the same), interop/k3s's importer;
#                      scripts/gomod-build.sh, Go's build cache.
#   today_start        after the build: containerd 2.3.7 x3 (docker 29 classic,
#                      docker 29 containerd store, ctr-2.3), 2.4.2, 2.3.4 x2
#                      (kind, k3s: both import into namespace k8s.io), and the
#                      two dockerd 29 (scripts/consumers.sh)
#   today_inputs       docker 29 `docker save` in both stores (one image, two,
#                      --platform, a multi-platform image, one whose arm64
#                      content is absent as after a pull) as inputs: checked,
#                      converted by retar into every layout ($LOADS2), and the
#                      raw saves observed ($OBSERVE2)
#   today_measure      the archive shapes interop/LOADERS.md needs that the suite
#                      lacks ($MEASURE: new consumers only): pre-1.10, foreign
#                      layers with and without their bytes
#   today_worker C     d29c d29d ctr23 ctr24 kind k3s: load (import), names,
#                      image IDs, run, for every archive of $LOADS,
#                      $LOADS2, $OBSERVE, $OBSERVE2, $MEASURE
#   today_k3s_files    k3s's file-name, compression and zstd-window rules
#   loaders_md         interop/LOADERS.md from the run
#
# Why two dockerd 29 at once, not one after the other: the two stores need
# their own data root and daemon.json anyway, each runs on its own containerd
# (both use the namespace moby), and loading ~130 archives is waiting, not
# computing: in parallel they cost one pass of wall time instead of two.

TODAY_DOCKER_MODULE=github.com/moby/moby/v2@v2.0.0-beta.24 # docker 29.8.1 (its releases/versions.yaml)
TODAY_DOCKER_VERSION=29.8.1
TODAY_C23=v2.3.7   # newest 2.3 on the module proxy; docker 29.8.1's Dockerfile pins 2.3.5
TODAY_C24=v2.4.2   # newest 2.4
TODAY_CKIND=v2.3.4 # kind v0.33.0 images/base/Dockerfile CONTAINERD_VERSION (kindest/node's containerd)
TODAY_KIND=v0.33.0
TODAY_BUILD_PID=""
TODAY_OK=0
LOADS2=$WORK/loads2.tsv OBSERVE2=$WORK/observe2.tsv MEASURE=$WORK/measure.tsv
: >"$LOADS2"
: >"$OBSERVE2"
: >"$MEASURE"
# (the retar check id each is compared with: check-vs-loaders.sh's PREDICTED)
TODAY_CONSUMERS=(d29c d29d ctr23 ctr24 kind k3s)

today_build_start() {
	local B=$WORK/today
	mkdir -p "$B"
	log "building docker $TODAY_DOCKER_VERSION, containerd ${TODAY_C23#v}, ${TODAY_CKIND#v}, ${TODAY_C24#v}, k3s's importer in the background"
	BUILD_RC=$WORK/today-build.rc setsid bash -c "$RECORD_EXIT"'set -e; B=$1 TOP=$2 HERE=$3; shift 3
		gb() { local t0=$SECONDS; bash "$TOP/scripts/gomod-build.sh" "$@"; echo "built $1 in $((SECONDS - t0))s"; }
		ctags="no_cri no_btrfs no_devmapper no_zfs"
		cver() { echo "-X github.com/containerd/containerd/v2/version.Version=$1"; }
		gb "$1" "$B/d29" -tags "netgo osusergo static_build nri_no_wasm exclude_graphdriver_btrfs exclude_graphdriver_zfs exclude_disk_quota no_btrfs no_devmapper no_zfs" \
			-ldflags "-X github.com/moby/moby/v2/dockerversion.Version=$2" ./cmd/dockerd
		gb "github.com/containerd/containerd/v2@$3" "$B/c23" -tags "$ctags" -ldflags "$(cver "$3")" \
			./cmd/containerd ./cmd/ctr ./cmd/containerd-shim-runc-v2
		gb "github.com/containerd/containerd/v2@$4" "$B/ckind" -tags "$ctags" -ldflags "$(cver "$4")" \
			./cmd/containerd ./cmd/ctr ./cmd/containerd-shim-runc-v2
		gb "github.com/containerd/containerd/v2@$5" "$B/c24" -tags "$ctags" -ldflags "$(cver "$5")" \
			./cmd/containerd ./cmd/ctr ./cmd/containerd-shim-runc-v2
		t0=$SECONDS
		(cd "$HERE/k3s" && CGO_ENABLED=0 go build -trimpath -o "$B/k3s-import" .)
		echo "built interop/k3s in $((SECONDS - t0))s"' \
		_ "$B" "$TOP" "$HERE" "$TODAY_DOCKER_MODULE" "$TODAY_DOCKER_VERSION" "$TODAY_C23" "$TODAY_CKIND" "$TODAY_C24" \
		>"$WORK/today-build.log" 2>&1 &
	TODAY_BUILD_PID=$!
}

# today_wait_build: 0 when the build succeeded (T_TODAY_BUILD: when it ended).
today_wait_build() {
	local rc=1
	if [[ -n $TODAY_BUILD_PID ]]; then
		build_ok "$TODAY_BUILD_PID" "$WORK/today-build.rc" && rc=0
		TODAY_BUILD_PID=""
	fi
	T_TODAY_BUILD=$((SECONDS - T0))
	if ((rc)); then
		result today build - - FAIL "building docker 29 / containerd 2.3, 2.4 / k3s's importer failed: $(tail -5 "$WORK/today-build.log" | oneline)"
		return 1
	fi
	log "today's consumers built: $(grep '^built' "$WORK/today-build.log" | sed 's/^built //' | paste -sd, -)"
	return 0
}

today_start() {
	local B=$WORK/today t
	for t in d29c:c23 d29d:c23 23:c23 24:c24 kind:ckind k3s:ckind; do
		consumers_start_containerd2 "$B/${t#*:}" "${t%%:*}" >&2 || {
			result today start - - FAIL "containerd ${t%%:*} did not start: $(tail -5 "$CONSUMERS_DIR/containerd${t%%:*}.log" 2>/dev/null | oneline)"
			return 1
		}
	done
	for t in c:classic d:containerd; do
		consumers_start_dockerd29 "$B/d29" "${t%%:*}" "${t#*:}" "d29${t%%:*}" >&2 || {
			result today start - - FAIL "dockerd 29 (${t#*:} store) did not start: $(tail -5 "$CONSUMERS_DIR/docker29${t%%:*}.log" 2>/dev/null | oneline)"
			return 1
		}
	done
	TODAY_OK=1
}

# Output of today's tools without containerd 2.2+'s cgroup v1 deprecation
# warning, which every ctr and shim prints on this host.
quiet() { grep -v 'DEPRECATION: The support for cgroup v1'; }

# today_clean C NS: an empty store for consumer C.
today_clean() {
	local c=$1 ns=${2:-} dk ids
	case $c in
	d29c | d29d)
		dk=cons_docker29${c#d29}
		ids=$($dk ps -aq 2>/dev/null)
		[[ -n $ids ]] && $dk rm -f $ids >/dev/null 2>&1
		ids=$($dk images -aq --no-trunc 2>/dev/null | sort -u)
		[[ -n $ids ]] && $dk rmi -f $ids >/dev/null 2>&1
		if [[ $c == d29d ]]; then # what containerd names and docker does not list (a bare cosign tag)
			ids=$(cons_ctrd29d -n moby images ls -q 2>/dev/null)
			[[ -n $ids ]] && cons_ctrd29d -n moby images rm --sync $ids >/dev/null 2>&1
		fi
		;;
	ctr23 | ctr24 | kind | k3s) ctr_clean "cons_ctr${c#ctr}" overlayfs "$ns" ;;
	esac
	return 0
}

# ---------------------------------------------------------------- inputs
# d29_save c|d KEY TRANSPORT SHOWN IMAGES KIND ARGS...: docker save ARGS from
# docker 29 (classic or containerd store) as the input d29c-save-KEY.
d29_save() {
	local n=$1 key=d29$1-save-$2 tr=$3 shown=$4 images=$5 kind=$6
	shift 6
	if "cons_docker29$n" save -o "$IN/$key.tar" "$@" >"$WORK/save.out" 2>&1; then
		add_input "$key" "$tr:$IN/$key.tar" "docker save (29, $([[ $n == c ]] && echo classic || echo containerd) store) -o x.tar $shown" "$images" "$kind"
		return 0
	fi
	result today inputs - "$key" FAIL "docker save $*: $(oneline <"$WORK/save.out")"
	return 1
}

today_inputs() {
	local n nd rc arm idx cfg f k
	log "docker 29 inputs: docker save in both stores"
	for n in c d; do
		"cons_docker29$n" load -i "$WORK/a.tar" >/dev/null && "cons_docker29$n" load -i "$WORK/b.tar" >/dev/null || {
			result today inputs - "docker29$n" FAIL "docker 29 ($n) could not load the skopeo docker-archives of A and B"
			return 1
		}
		d29_save "$n" single docker-archive "retar-interop:a + 2 tags" "A=$NAME_A$(printf '+%s' "${NAME_A_TAGS[@]}")" derived \
			"$NAME_A" "${NAME_A_TAGS[@]}"
		d29_save "$n" multi docker-archive "retar-interop:a retar-interop:b" "A=$NAME_A;B=$NAME_B" derived "$NAME_A" "$NAME_B"
	done
	# The two-platform image: the containerd store only (the classic store
	# refuses an archive without manifest.json, and keeps one platform).
	skopeo copy -q --all "oci:$IMG:multi" "oci-archive:$WORK/m.tar:$NAME_M" &&
		cons_docker29d load -i "$WORK/m.tar" >/dev/null || {
		result today inputs - docker29d FAIL "docker 29 (containerd store) could not load the two-platform oci-archive"
		return 1
	}
	d29_save d multiplatform oci-archive retar-interop:multi "M=$NAME_M" stored "$NAME_M" || return 1
	d29_save d platform oci-archive "--platform linux/amd64 retar-interop:multi" "A=$NAME_M" stored --platform linux/amd64 "$NAME_M"
	# As after a `docker pull` of a multi-platform image: arm64's manifest and
	# config are not in the store (deleted from docker's containerd), the index
	# still lists them; docker save writes the index as it is.
	idx=$(tar -xOf "$IN/d29d-save-multiplatform.tar" index.json | jq -r '.manifests[0].digest')
	arm=$(tar -xOf "$IN/d29d-save-multiplatform.tar" "blobs/sha256/${idx#sha256:}" |
		jq -r '.manifests[] | select(.platform.architecture == "arm64") | .digest')
	cfg=$(tar -xOf "$IN/d29d-save-multiplatform.tar" "blobs/sha256/${arm#sha256:}" | jq -r .config.digest)
	cons_ctrd29d -n moby content rm "$arm" "$cfg" >/dev/null 2>&1
	cons_docker29d save -o "$IN/d29d-save-absent.tar" "$NAME_M" &&
		tar -tf "$IN/d29d-save-absent.tar" | grep -q "${idx#sha256:}" &&
		! tar -tf "$IN/d29d-save-absent.tar" | grep -q "${arm#sha256:}" &&
		add_input d29d-save-absent "oci-archive:$IN/d29d-save-absent.tar" \
			"docker save (29, containerd store) -o x.tar retar-interop:multi, arm64 content absent (ctr content rm)" "A=$NAME_M" stored ||
		result today inputs - d29d-save-absent FAIL "could not make a docker 29 save with absent arm64 content"
	today_clean d29c
	today_clean d29d
	for f in "$IN"/d29?-save-*.tar; do
		OBSERVE=$OBSERVE2 observe_add "in:$(basename "$f" .tar)" "real tool: docker 29" "$f"
	done
	# Each input against the image built with umoci, then retar into every layout.
	for k in "${IN_KEYS[@]}"; do
		[[ $k == d29* ]] || continue
		input_checks "$k"
	done
	local sel
	for k in "${IN_KEYS[@]}"; do
		[[ $k == d29* ]] || continue
		sel=""
		[[ ${IN_IMAGES[$k]} == *';'* ]] && sel=$NAME_B
		LOADS=$LOADS2 case_add "$k" docker-archive
		LOADS=$LOADS2 case_add "$k" oci-archive
		LOADS=$LOADS2 case_add "$k" oci
		LOADS=$LOADS2 case_add "$k" dir ${sel:+--select "$sel"}
	done
}

# ---------------------------------------------------------------- measure
# tar_dir DIR OUT: a reproducible tar of DIR's content.
tar_dir() {
	pin_mtimes "$1"
	(cd "$1" && tar --sort=name --owner=0 --group=0 --numeric-owner -cf "$2" .)
}

today_measure() {
	local X=$WORK/measure d cfg ncfg lay gz diff dg sz
	rm -rf "$X" && mkdir -p "$X"
	log "measure: pre-1.10 and foreign-layer archives"
	# pre-1.10: docker 20.10's save without manifest.json (and its config
	# file): repositories and the v1 layer directories chained by parent.
	d=$X/pre110 && mkdir -p "$d" && tar -C "$d" -xf "$IN/docker-save-single.tar" || return 1
	cfg=$(jq -r '.[0].Config' "$d/manifest.json")
	rm -f "$d/manifest.json" "$d/$cfg"
	tar_dir "$d" "$X/pre110.tar" && measure_add pre110 "pre-1.10 (repositories + v1 dirs, no manifest.json; from docker 20.10's save)" "$X/pre110.tar"

	# Foreign layers: image A plus a third layer declared foreign (docker's
	# LayerSources, with urls), its bytes in the archive or not.
	local L=$X/foreign-layer
	mkdir -p "$L/etc" && printf 'foreign layer\n' >"$L/etc/foreign.txt" && pin_mtimes "$L"
	(cd "$L" && tar --sort=name --owner=0 --group=0 --numeric-owner -cf "$X/foreign-layer.tar" etc) || return 1
	diff=sha256:$(sha256sum <"$X/foreign-layer.tar" | cut -d' ' -f1)
	gzip -n -c "$X/foreign-layer.tar" >"$X/foreign-layer.tar.gz"
	dg=sha256:$(sha256sum <"$X/foreign-layer.tar.gz" | cut -d' ' -f1)
	sz=$(stat -c %s "$X/foreign-layer.tar.gz")
	d=$X/foreign && mkdir -p "$d" && tar -C "$d" -xf "$IN/skopeo-docker-archive-named.tar" || return 1
	cfg=$(jq -r '.[0].Config' "$d/manifest.json")
	jq -c --arg d "$diff" '.rootfs.diff_ids += [$d] | .history += [{created: "2024-01-01T00:00:00Z", created_by: "foreign layer"}]' \
		"$d/$cfg" >"$X/cfg.json" || return 1
	ncfg=$(sha256sum <"$X/cfg.json" | cut -d' ' -f1)
	rm -f "$d/$cfg" && mv "$X/cfg.json" "$d/$ncfg.json"
	cp "$X/foreign-layer.tar.gz" "$d/${dg#sha256:}.tar.gz"
	jq -c --arg c "$ncfg.json" --arg l "${dg#sha256:}.tar.gz" --arg diff "$diff" --arg dg "$dg" --argjson sz "$sz" \
		'[.[0] | .Config = $c | .RepoTags = ["docker.io/library/retar-interop:foreign"] | .Layers += [$l]
		| .LayerSources = {($diff): {mediaType: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
		  size: $sz, digest: $dg, urls: ["https://example.com/retar-interop/foreign-layer.tar.gz"]}}]' \
		"$d/manifest.json" >"$X/m.json" && mv "$X/m.json" "$d/manifest.json"
	rm -f "$d/repositories"
	tar_dir "$d" "$X/foreign.tar" && measure_add foreign "foreign layer (LayerSources, urls), bytes in the archive" "$X/foreign.tar"
	rm -f "$d/${dg#sha256:}.tar.gz"
	tar_dir "$d" "$X/foreign-sparse.tar" && measure_add foreign-sparse "foreign layer (LayerSources, urls), bytes absent" "$X/foreign-sparse.tar"

	# The same in an OCI archive: a nondistributable layer with urls, absent.
	d=$X/foreign-oci && mkdir -p "$d" && tar -C "$d" -xf "$IN/skopeo-oci-archive-named.tar" || return 1
	local mf mfd
	mfd=$(jq -r '.manifests[0].digest' "$d/index.json")
	mf=$d/blobs/sha256/${mfd#sha256:}
	cfg=$(jq -r .config.digest "$mf")
	jq -c --arg d "$diff" '.rootfs.diff_ids += [$d] | .history += [{created: "2024-01-01T00:00:00Z", created_by: "foreign layer"}]' \
		"$d/blobs/sha256/${cfg#sha256:}" >"$X/cfg.json" || return 1
	ncfg=sha256:$(sha256sum <"$X/cfg.json" | cut -d' ' -f1)
	mv "$X/cfg.json" "$d/blobs/sha256/${ncfg#sha256:}"
	jq -c --arg c "$ncfg" --argjson cs "$(stat -c %s "$d/blobs/sha256/${ncfg#sha256:}")" --arg dg "$dg" --argjson sz "$sz" \
		'.config.digest = $c | .config.size = $cs | .layers += [{mediaType: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		digest: $dg, size: $sz, urls: ["https://example.com/retar-interop/foreign-layer.tar.gz"]}]' "$mf" >"$X/mf.json" || return 1
	rm -f "$mf" "$d/blobs/sha256/${cfg#sha256:}"
	mfd=sha256:$(sha256sum <"$X/mf.json" | cut -d' ' -f1)
	mv "$X/mf.json" "$d/blobs/sha256/${mfd#sha256:}"
	jq -c --arg d "$mfd" --argjson s "$(stat -c %s "$d/blobs/sha256/${mfd#sha256:}")" \
		'.manifests[0].digest = $d | .manifests[0].size = $s | .manifests[0].annotations = {"io.containerd.image.name": "docker.io/library/retar-interop:foreign-oci", "org.opencontainers.image.ref.name": "docker.io/library/retar-interop:foreign-oci"}' \
		"$d/index.json" >"$X/i.json" && mv "$X/i.json" "$d/index.json"
	tar_dir "$d" "$X/foreign-oci-sparse.tar" &&
		measure_add foreign-oci-sparse "foreign layer (OCI nondistributable, urls), bytes absent, no manifest.json" "$X/foreign-oci-sparse.tar"
	today_sparse "$X"
	return 0
}

# Sparse OCI layouts: skopeo's named oci-archive of A with
# its last layer's blob, or its config's, left out (a plain layer, not a
# foreign one), as buildpacks write them; and retar's oci-archive of each,
# which stays sparse (and has no manifest.json entry for the image).
today_sparse() {
	local X=$1 what d mfd mf dg rc ok
	for what in layer config; do
		d=$X/sparse-$what && rm -rf "$d" && mkdir -p "$d" && tar -C "$d" -xf "$IN/skopeo-oci-archive-named.tar" || return 1
		mfd=$(jq -r '.manifests[0].digest' "$d/index.json")
		mf=$d/blobs/sha256/${mfd#sha256:}
		if [[ $what == layer ]]; then dg=$(jq -r '.layers[-1].digest' "$mf"); else dg=$(jq -r .config.digest "$mf"); fi
		rm -f "$d/blobs/sha256/${dg#sha256:}"
		tar_dir "$d" "$X/sparse-$what.tar" &&
			measure_add "sparse-$what" "sparse OCI archive: the $what blob absent (not foreign), no manifest.json" "$X/sparse-$what.tar"
		"$WORK/retar" convert "$X/sparse-$what.tar" "oci-archive:$X/sparse-$what-retar.tar" >"$X/sparse-$what.out" 2>&1
		rc=$?
		((rc == 0)) && grep -q "${dg#sha256:}" "$X/sparse-$what.out" && ok=1 || ok=0
		expect_result retar convert-sparse oci-archive "sparse-$what" ok "$ok" \
			"retar convert sparse-$what.tar oci-archive:sparse-$what-retar.tar: exit $rc, a notice naming $dg: $(oneline <"$X/sparse-$what.out")"
		((rc == 0)) && measure_add "sparse-$what>oci-archive" "retar's oci-archive of a sparse layout ($what absent): stays sparse" "$X/sparse-$what-retar.tar"
		"$WORK/retar" convert -q "$X/sparse-$what.tar" "docker-archive:$X/sparse-$what-d.tar" >"$X/sparse-$what-d.out" 2>&1
		rc=$?
		((rc != 0)) && grep -q "${dg#sha256:}" "$X/sparse-$what-d.out" && ok=1 || ok=0
		expect_result retar convert-sparse-refused docker-archive "sparse-$what" ok "$ok" \
			"into a docker-archive: exit $rc (expected 1, naming $dg): $(oneline <"$X/sparse-$what-d.out")"
	done
	return 0
}

measure_add() {
	if [[ -n ${INTEROP_ONLY:-} && ! $1 =~ $INTEROP_ONLY ]]; then return 0; fi
	printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$MEASURE"
}

# ---------------------------------------------------------------- worker
# today_actual C ID LOADS NAMES RC OUT [EXTRA]: what the consumer did, in
# check-vs-loaders.sh's actual-C.tsv format (plus EXTRA: digest refs, image IDs).
today_actual() {
	local names=$4
	[[ $1 == ctr* || $1 == kind || $1 == k3s ]] &&
		names=$(tr ',' '\n' <<<"$names" | ctr_date_names | LC_ALL=C sort -u | paste -sd, -)
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$2" "$3" "${names:--}" "$5" "$(quiet <<<"$6" | full_line)" "${7:--}" \
		>>"$WORK/actual-$1.tsv"
}

# today_expect C ID: the expectation for a case of $LOADS/$LOADS2.
today_expect() {
	case $1:$2 in
	d29c:*:oci-strict) echo "xfail:docker 29's classic store loads no archive without manifest.json" ;;
	*:supply:*) supply_expect "$1" "$2" ;;
	*) echo ok ;;
	esac
}

# today_import C NS PATH: load PATH into consumer C; sets o rc got (names,
# comma-separated, digest refs apart in refs) and loads.
today_import() {
	local c=$1 ns=$2 path=$3 all line dir
	refs="" loads=0
	case $c in
	d29c | d29d)
		o=$(timeout 120 bash -c '"$1" load -i "$2"' _ "cons_docker29${c#d29}" "$path" 2>&1)
		rc=$?
		got=$("cons_docker29${c#d29}" images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | names_set)
		((rc == 0)) && loads=1
		if [[ $c == d29d ]]; then # the names in docker's containerd, where docker does not list them
			all=$(cons_ctrd29d -n moby images ls -q 2>/dev/null | LC_ALL=C sort -u | paste -sd, -)
			[[ $(tr ',' '\n' <<<"$all" | names_set) == "$got" ]] || refs="in containerd (namespace moby): ${all:-(none)}"
		fi
		;;
	ctr23 | ctr24 | ctr23all | ctr24all)
		local cc=cons_ctr${c:3:2} flag=()
		[[ $c == *all ]] && flag=(--all-platforms)
		o=$(timeout 120 bash -c 'c=$1 ns=$2 p=$3; shift 3; $c -n "$ns" images import "$@" "$p"' _ "$cc" "$ns" "$path" "${flag[@]}" 2>&1)
		rc=$?
		got=$($cc -n "$ns" images ls -q 2>/dev/null | LC_ALL=C sort -u | paste -sd, -)
		((rc == 0)) && [[ -n $got ]] && loads=1
		;;
	kind)
		# kind load image-archive: the file on ctr's stdin (pkg/cluster/nodeutils).
		o=$(timeout 120 bash -c 'cons_ctrkind --namespace=k8s.io images import --all-platforms --digests --snapshotter=overlayfs - <"$1"' _ "$path" 2>&1)
		rc=$?
		all=$(cons_ctrkind -n k8s.io images ls -q 2>/dev/null | LC_ALL=C sort -u)
		got=$(grep -v '@sha256:' <<<"$all" | grep . | paste -sd, -)
		refs=$(grep '@sha256:' <<<"$all" | ctr_date_names | paste -sd, -)
		((rc == 0)) && [[ -n $all ]] && loads=1
		;;
	k3s)
		# The file alone in a fresh agent/images directory, its extension kept.
		dir=$WORK/k3s-images/$ns && rm -rf "$dir" && mkdir -p "$dir"
		local base=image.tar
		[[ $path == *.tar.gz ]] && base=image.tar.gz
		ln "$path" "$dir/$base" 2>/dev/null || cp "$path" "$dir/$base"
		line=$(timeout 120 "$WORK/today/k3s-import" -address "$CONSUMERS_CONTAINERDk3s_SOCK" -images "$dir" 2>&1)
		rc=$?
		o=$(jq -r '.error // ""' <<<"$line" 2>/dev/null)
		[[ $rc != 0 || -z $line ]] && o=$line
		[[ $(jq -r .action <<<"$line" 2>/dev/null) == imported ]] || rc=1
		got=$(jq -r '.images[]' <<<"$line" 2>/dev/null | LC_ALL=C sort -u | paste -sd, -)
		refs=$(jq -r '.refs[]' <<<"$line" 2>/dev/null | LC_ALL=C sort -u | paste -sd, -)
		((rc == 0)) && [[ -n $got ]] && loads=1
		rm -rf "$dir"
		;;
	esac
	o=$(quiet <<<"$o")
}

# today_run C NS REF WANT LAYOUT ID: the image's command prints WANT.
today_run() {
	local c=$1 ns=$2 r=$3 want=$4 o rc ok i
	if ran_before "$c" "$ns" "$r" "$want"; then
		expect_result "$c" run "$5" "$6" ok 1 "$r: ${RAN[$RAN_KEY]}"
		return 0
	fi
	for i in 1 2; do # ctr run can lose a short-lived task's output: once more
		case $c in
		d29c | d29d) o=$(timeout 60 bash -c '"$1" run --rm --network none "$2"' _ "cons_docker29${c#d29}" "$r" 2>&1) ;;
		*) o=$(timeout 60 bash -c '"$1" -n "$2" run --rm "$3" "$4"' _ "cons_ctr${c#ctr}" "$ns" "$r" "run-$c-$RANDOM" 2>&1) ;;
		esac
		rc=$?
		o=$(quiet <<<"$o")
		((rc == 0)) && [[ -z $o ]] || break
		o="(second try) $o"
	done
	((rc == 0)) && [[ $o == *"$want"* ]] && ok=1 || ok=0
	((ok)) && [[ -n $RAN_KEY ]] && RAN[$RAN_KEY]="the same image ran in case $6: exit $rc: $(oneline 120 <<<"$o")"
	expect_result "$c" run "$5" "$6" ok "$ok" "$r: exit $rc: $(oneline <<<"$o")"
}

# today_ids C NS LAYOUT ID OUT IDS: the image IDs. docker's classic store:
# the config digest. docker's containerd store, ctr, kind, k3s: the digest of
# the manifest or index the archive's index.json names (nothing to compare
# with in an archive without index.json: its importer derives a manifest).
today_ids() {
	local c=$1 ns=$2 layout=$3 id=$4 out=$5 ids=$6 e n want got ok
	local -a list
	IFS=';' read -r -a list <<<"$ids"
	for e in "${list[@]}"; do
		n=${e%%=*} want=${e#*=}
		[[ -n $n && -n $want ]] || continue
		if [[ $c != d29c ]]; then
			[[ $n == @ ]] && continue
			want=$(tar -xOf "$out" index.json 2>/dev/null | jq -r --arg n "$n" \
				'[.manifests[] | select(.annotations["io.containerd.image.name"] == $n or .annotations["org.opencontainers.image.ref.name"] == $n)][0].digest // empty' 2>/dev/null)
			[[ -n $want ]] || continue
		fi
		[[ $n == @ ]] && n=$want
		case $c in
		d29?) got=$("cons_docker29${c#d29}" image inspect --format '{{.Id}}' "$n" 2>&1 | head -1) ;;
		*) got=$("cons_ctr${c#ctr}" -n "$ns" images ls 2>/dev/null | awk -v n="$n" '$1 == n {print $3}') ;;
		esac
		[[ $got == "$want" ]] && ok=1 || ok=0
		expect_result "$c" image-id "$layout" "$id" ok "$ok" "$n: image ID ${got:-(none)}, want $want"
	done
}

# timed STEP CMD...: CMD in this shell, its wall time added to STEP's total
# (each worker is a subshell with totals of its own, said when it is done).
# Its locals are named so that CMD's assignments (rc, o, got…) are not
# caught by them.
declare -A STEP_MS=()
timed() {
	local __timed_step=$1 __timed_t0=${EPOCHREALTIME/./} __timed_rc
	shift
	"$@"
	__timed_rc=$?
	STEP_MS[$__timed_step]=$((${STEP_MS[$__timed_step]:-0} + (${EPOCHREALTIME/./} - __timed_t0) / 1000))
	return $__timed_rc
}
step_totals() {
	local s out=""
	for s in "${!STEP_MS[@]}"; do out+=", $s $((STEP_MS[$s] / 1000))s"; done
	echo "${out#, }"
}

today_worker() {
	local c=$1 RESULTS_FILE=$WORK/results-$1.tsv
	local id layout out names runs xd xc xp x2 plat plats ids exp o rc got refs loads i=0 ns r want nm x
	local -a runlist
	: >"$RESULTS_FILE"
	while IFS=$'\t' read -r -u 3 id layout out names runs xd xc xp x2 plat plats ids; do
		i=$((i + 1))
		ns=interop-$c-$i
		[[ $c == kind || $c == k3s ]] && ns=k8s.io
		exp=$(today_expect "$c" "$id")
		if [[ $c == ctr23 || $c == ctr24 ]]; then
			local expall
			expall=$(today_expect "${c}all" "$id")
			# --all-platforms first, in its own namespace: recorded as ctrNNall.
			timed import today_import "${c}all" "$ns-all" "$out"
			today_actual "${c}all" "$id" "$loads" "$got" "$rc" "$o"
			if [[ $names != '?' ]]; then
				[[ $loads == 1 || -z ${names/#-/} ]] && ((rc == 0)) && [[ $got == "${names/#-/}" ]] && nm=1 || nm=0
				expect_result "$c" all-platforms "$layout" "$id" "$expall" "$nm" \
					"exit $rc, registered ${got:-(none)} (expected ${names/#-/(none)}): $(oneline <<<"$o" | cut -c1-150)"
			fi
			timed clean today_clean "$c" "$ns-all"
		fi
		# Every case cleans up after itself: the store is empty before
		# each one but the first (docker 29's hold the inputs' images).
		((i == 1)) && timed clean today_clean "$c" "$ns"
		timed import today_import "$c" "$ns" "$out"
		today_actual "$c" "$id" "$loads" "$got" "$rc" "$o" "${refs:--}"
		if [[ $names == '?' ]]; then
			: # observed only: LOADERS.md and retar check's prediction
		elif ((rc != 0)); then
			expect_result "$c" load "$layout" "$id" "$exp" 0 "exit $rc: $(oneline <<<"$o")"
		else
			expect_result "$c" load "$layout" "$id" "$exp" 1 "$(oneline <<<"$o" | cut -c1-120)"
			[[ $got == "${names/#-/}" ]] && nm=1 || nm=0
			expect_result "$c" names "$layout" "$id" "$(today_expect "$c-names" "$id")" "$nm" "registered: ${got:-(none)}${refs:+ (+ $refs)}; expected: $names"
			[[ -n ${ids:-} && $ids != - ]] && timed ids today_ids "$c" "$ns" "$layout" "$id" "$out" "$ids"
			runlist=()
			[[ $runs != - ]] && IFS=';' read -r -a runlist <<<"$runs"
			for r in "${runlist[@]}"; do
				want=${r#*=} r=${r%%=*}
				if [[ $r == @* ]]; then
					case $c in
					d29c) r=${r#@} ;;
					d29d) r=$("cons_docker29d" images -q --no-trunc 2>/dev/null | head -1) ;;
					*) continue ;; # no name registered to run
					esac
				fi
				timed run today_run "$c" "$ns" "$r" "$want" "$layout" "$id"
			done
		fi
		timed clean today_clean "$c" "$ns"
	done 3< <(
		cat "$LOADS" "$LOADS2"
		for x in "$OBSERVE" "$OBSERVE2" "$MEASURE"; do
			awk -F'\t' '{printf "%s\tarchive\t%s\t?\t-\tok\tok\tok\tok\t-\t-\t-\n", $1, $3}' "$x"
		done
	) </dev/null
	: >"$WORK/done-$c"
	log "$c: done ($(step_totals))"
}

# ---------------------------------------------------------------- k3s files
# k3s's file rules: which names it picks up in agent/images/, how it
# decompresses them, the zstd window cap. One directory, one import run.
today_k3s_files() {
	local RESULTS_FILE=$WORK/results-k3s-files.tsv src dir=$WORK/k3s-files f want got line ok
	: >"$RESULTS_FILE"
	src=$(awk -F'\t' '$1 == "skopeo-oci-archive-named>oci-archive" {print $3}' "$LOADS")
	[[ -n $src ]] || return 0
	rm -rf "$dir" && mkdir -p "$dir/sub"
	cp "$src" "$dir/a.tar"
	gzip -n -c "$src" >"$dir/a.tar.gz" && cp "$dir/a.tar.gz" "$dir/a.tgz"
	zstd -q -c "$src" >"$dir/a.tar.zst" && cp "$dir/a.tar.zst" "$dir/a.tzst"
	# A stream (size unknown) compressed with --long=27 declares a 128 MiB window.
	zstd -q --long=27 -c <"$src" >"$dir/a-long27.tar.zst"
	lz4 -q -c "$src" >"$dir/a.tar.lz4"
	bzip2 -c "$src" >"$dir/a.tar.bz2" && cp "$dir/a.tar.bz2" "$dir/a.tbz"
	cp "$src" "$dir/sub/in-subdir.tar"
	cp "$src" "$dir/A.TAR"
	xz -c "$src" >"$dir/a.tar.xz"
	cp "$src" "$dir/a.oci"
	printf 'docker.io/library/busybox:latest\n' >"$dir/list.txt"
	ctr_clean cons_ctrk3s overlayfs k8s.io
	"$WORK/today/k3s-import" -address "$CONSUMERS_CONTAINERDk3s_SOCK" -images "$dir" >"$WORK/k3s-files.json" 2>&1
	for f in a.tar:imported a.tar.gz:imported a.tgz:imported a.tar.zst:imported a.tzst:imported \
		a-long27.tar.zst:failed a.tar.lz4:imported a.tar.bz2:imported a.tbz:imported sub/in-subdir.tar:imported \
		A.TAR:ignored a.tar.xz:ignored a.oci:ignored list.txt:not-run; do
		want=${f#*:} f=${f%%:*}
		line=$(jq -c --arg f "$f" 'select(.file == $f)' "$WORK/k3s-files.json" 2>/dev/null)
		got=$(jq -r .action <<<"$line" 2>/dev/null)
		ok=0
		[[ $got == "$want" ]] && ok=1
		[[ $want == imported ]] && [[ $(jq -r '.images | join(",")' <<<"$line") != "$NAME_A" ]] && ok=0
		[[ $f == a-long27.tar.zst ]] && [[ $(jq -r .error <<<"$line") != *"window size exceeded"* ]] && ok=0
		expect_result k3s file oci-archive "k3s-files:$f" ok "$ok" "$got, want $want: $(jq -r '[.images[]] + [.error // empty] | join(" ")' <<<"$line" 2>/dev/null | sed "s#$WORK/##g")"
		printf '%s\t%s\t%s\t%s\n' "$f" "${got:-?}" "$(jq -r '.images | join(",")' <<<"$line" 2>/dev/null)" \
			"$(jq -r '.error // ""' <<<"$line" 2>/dev/null | sed "s#$WORK/##g")" >>"$WORK/k3s-files.tsv"
	done
	ctr_clean cons_ctrk3s overlayfs k8s.io
	rm -rf "$dir"
}

# ---------------------------------------------------------------- LOADERS.md
# The archive shapes LOADERS.md describes, in order: ID|shape.
TODAY_SHAPES=(
	'skopeo-oci-archive-named>oci-archive|hybrid (retar oci-archive: OCI layout + manifest.json), named'
	'skopeo-oci-archive-named>docker-archive|docker-archive (retar), named'
	'in:docker-save-single|docker-archive as docker 20.10 saves it (v1 dirs), three names'
	'in:skopeo-oci-archive-named|pure OCI archive, no manifest.json, full ref.name'
	'skopeo-oci-archive-named>oci-archive:oci-strict|pure OCI archive (retar --oci-strict), full names'
	'in:skopeo-oci-archive-unnamed|pure OCI archive, no name'
	'skopeo-oci-archive-unnamed>oci-archive|hybrid, no name'
	'skopeo-docker-archive-unnamed>docker-archive|docker-archive, RepoTags null'
	'tagonly|bare-tag ref.name `1.0`, no io.containerd.image.name (skopeo oci-archive:x.tar:1.0)'
	'tagonly-kept|bare-tag ref.name kept by retar (hybrid, manifest.json without RepoTags)'
	'attest-broken|absent index manifests: docker 25-style (arm64 and an attestation listed, absent)'
	'attest-fixed|the same repaired by retar convert (absent entries dropped)'
	'in:d29d-save-absent|docker 29 containerd-store save of a pulled-like image: arm64 listed, absent'
	'skopeo-oci-zstd>oci-archive|zstd layers, hybrid'
	'skopeo-oci-zstd>docker-archive|zstd layers, docker-archive'
	'pre110|pre-1.10 docker save (repositories + v1 dirs, no manifest.json)'
	'in:docker-save-multi|several images: docker 20.10 save of two'
	'bundle|several images: retar bundle of three (hybrid, one with two platforms)'
	'skopeo-multi>oci-archive|two platforms (index), hybrid'
	'foreign|foreign layer declared in LayerSources, bytes present'
	'foreign-sparse|foreign layer declared in LayerSources, bytes absent'
	'foreign-oci-sparse|foreign layer (OCI nondistributable + urls), bytes absent'
	'sparse-layer|sparse OCI archive: a layer blob absent (not foreign)'
	'sparse-layer>oci-archive|retar oci-archive of it (stays sparse, no manifest.json entry)'
	'sparse-config|sparse OCI archive: the config blob absent'
	'sparse-config>oci-archive|retar oci-archive of it (stays sparse, no manifest.json entry)'
	'in:d29c-save-single|docker 29 classic-store save, one image, three names'
	'in:d29d-save-single|docker 29 containerd-store save, one image, three names'
	'in:d29d-save-multi|docker 29 containerd-store save, two images'
	'in:d29d-save-multiplatform|docker 29 containerd-store save, two platforms'
)
TODAY_LOADER_LABEL=(
	"d29c|docker 29.8.1, classic store (vfs): docker load"
	"d29d|docker 29.8.1, containerd store (overlayfs): docker load"
	"ctr23|containerd ${TODAY_C23#v}: ctr images import"
	"ctr23all|containerd ${TODAY_C23#v}: ctr images import --all-platforms"
	"ctr24|containerd ${TODAY_C24#v}: ctr images import"
	"ctr24all|containerd ${TODAY_C24#v}: ctr images import --all-platforms"
	"kind|kind $TODAY_KIND on containerd ${TODAY_CKIND#v}: ctr --namespace=k8s.io images import --all-platforms --digests --snapshotter=overlayfs - <FILE"
	"k3s|k3s agent/images import (interop/k3s) on containerd ${TODAY_CKIND#v}"
)

loaders_md() {
	local e id shape c label row n total
	echo "# What today's loaders do with each archive shape"
	echo
	echo "Written by \`make interop\` (interop/run.sh, interop/current-loaders.sh) on $(date -u +%Y-%m-%d); every row is a"
	echo "measurement of that run, on private daemons. The facts \`retar check\`'s rules for these loaders"
	echo "are to be written from. loads: the command exited 0 and registered something (ctr, kind, k3s:"
	echo "at least one reference; docker: exit 0). names: exactly as registered (ctr's import-DATE prefix"
	echo "written import-YYYY-MM-DD); kind's and k3s's NAME@sha256 digest references are listed apart."
	echo "message: the command's output, first 240 characters, temp paths cut (docker: always; ctr, kind,"
	echo "k3s: when it failed)."
	echo
	echo "Loaders:"
	echo
	for e in "${TODAY_LOADER_LABEL[@]}"; do echo "- \`${e%%|*}\`: ${e#*|}"; done
	echo
	echo "How they were run: docker 29 and containerd built from their Go modules (docker"
	echo "\`$TODAY_DOCKER_MODULE\`, containerd \`github.com/containerd/containerd/v2\` at each version, no CRI),"
	echo "runc 1.1.5 (Debian); containerd ${TODAY_CKIND#v} is the version kind $TODAY_KIND's node image builds"
	echo "(\`images/base/Dockerfile\`, \`CONTAINERD_VERSION\`), and the version k3s's go.mod points its containerd"
	echo "at (a fork of upstream ${TODAY_CKIND#v}; its importer code is upstream's). kind's command is"
	echo "\`pkg/cluster/nodeutils.LoadImageArchive\`'s, the archive on ctr's stdin; the node's snapshotter is"
	echo "overlayfs (kind's config). k3s: interop/k3s (containerd's client Import with WithAllPlatforms(true)"
	echo "and WithSkipMissing(), namespace k8s.io, then k3s's pinning and NAME@DIGEST retag), see its doc comment."
	echo
	echo "## Overview"
	echo
	echo "Cell: \`yes (N)\` loads with N names, \`yes (0)\` loads with no name, \`no\` does not load, — not run."
	echo
	md_head shape archive -- "${TODAY_LOADER_LABEL[@]%%|*}"
	for row in "${TODAY_SHAPES[@]}"; do
		id=${row%%|*} shape=${row#*|}
		printf '| %s | `%s` |' "$shape" "$id"
		for e in "${TODAY_LOADER_LABEL[@]}"; do
			c=${e%%|*}
			printf ' %s |' "$(awk -F'\t' -v i="$id" '$1 == i {l = $2; n = $3} END {
				if (l == "") { printf "—"; exit }
				if (l != 1) { printf "no"; exit }
				if (n == "-") { printf "yes (0)"; exit }
				printf "yes (%d)", split(n, x, ",") }' "$WORK/actual-$c.tsv" 2>/dev/null)"
		done
		echo
	done
	echo
	echo "## Each shape"
	for row in "${TODAY_SHAPES[@]}"; do
		id=${row%%|*} shape=${row#*|}
		echo
		echo "### $shape"
		echo
		echo "\`$id\`"
		echo
		echo "| loader | loads | exit | names registered | digest refs / notes | message |"
		echo "|---|---|---|---|---|---|"
		for e in "${TODAY_LOADER_LABEL[@]}"; do
			c=${e%%|*}
			awk -F'\t' -v i="$id" -v c="$c" '$1 == i {r = $0} END {
				if (r == "") exit
				split(r, f, "\t")
				msg = substr(f[5], 1, 240)
				if (c !~ /^d29/ && f[2] == 1 && f[4] == 0) msg = ""
				gsub(/\|/, "\\|", msg); gsub(/,/, ", ", f[3]); gsub(/,/, ", ", f[6])
				printf "| %s | %s | %s | %s | %s | %s |\n", c, (f[2] == 1 ? "yes" : "**no**"), f[4],
					(f[3] == "-" ? "(none)" : f[3]), (f[6] == "-" || f[6] == "" ? "" : f[6]), msg
			}' "$WORK/actual-$c.tsv" 2>/dev/null
		done
	done
	echo
	echo "## k3s: which files, which compression"
	echo
	echo "One agent/images directory holding the same archive (\`skopeo-oci-archive-named>oci-archive\`) under"
	echo "each name; k3s's watcher picks files by a case-sensitive suffix (wharfie's SupportedExtensions, and"
	echo ".txt for pull lists), subdirectories included; zstd is decoded with a 32 MiB memory cap, so a"
	echo "stream that declares a larger window (zstd --long=27 from a pipe: 128 MiB) fails."
	echo
	echo "| file | k3s did | names | error |"
	echo "|---|---|---|---|"
	awk -F'\t' '{gsub(/\|/, "\\|", $4); printf "| `%s` | %s | %s | %s |\n", $1, $2, $3, $4}' "$WORK/k3s-files.tsv" 2>/dev/null
	echo
	echo "## Every archive"
	echo
	echo "Cell: loads (names) per loader, for every archive the new consumers loaded (retar's outputs, the"
	echo "real tools' archives, the broken and measured ones)."
	echo
	md_head archive -- "${TODAY_LOADER_LABEL[@]%%|*}"
	cut -f1 "$WORK/actual-d29c.tsv" 2>/dev/null | while IFS= read -r id; do
		printf '| `%s` |' "$id"
		for e in "${TODAY_LOADER_LABEL[@]}"; do
			c=${e%%|*}
			printf ' %s |' "$(awk -F'\t' -v i="$id" '$1 == i {l = $2; n = $3} END {
				if (l == "") { printf "—"; exit }
				if (l != 1) { printf "no"; exit }
				printf "yes (%d)", (n == "-" ? 0 : split(n, x, ",")) }' "$WORK/actual-$c.tsv" 2>/dev/null)"
		done
		echo
	done
}
