# shellcheck shell=bash disable=SC2016
# explain.sh — sourced by interop/run.sh: retar explain on what the loaders
# printed. For each distinct (loader, message retar check quotes) the run
# saw in a loader's output, on the first archive it saw it for:
#
#   explain_messages   runs `retar explain --json OUTPUT ARCHIVE` on the loader's
#                      exact output and a copy of the archive; the loader and
#                      the fact check's verdict gives must be confirmed; then
#                      runs the fixing command explain printed (when a
#                      conversion fixes the fact) and loads the fixed archive
#                      in the same loader: it must do what retar check then
#                      predicts, without the fact, and load where that fact
#                      was the one reason it did not. Recorded as consumer
#                      "explain", check = the worker.
#
# It reuses $PRED (retar check's predictions: id, worker, loads, names,
# message) and $WORK/actual-WORKER.tsv (id, loads, names, rc, output), and
# the daemons the workers used; it stops starting new cases after
# EXPLAIN_SECONDS (90). `bash interop/explain.sh selftest RETAR` runs its
# logic on canned loader outputs, with no loader.

EXPLAIN_SECONDS=${EXPLAIN_SECONDS:-90}
EXPLAIN_NAME=example.com/retar-explain:fixed

# explain_cases: worker, id, archive path and the loader's output, one
# line each, for the first archive of each distinct (worker, message)
# whose output holds the message quoted.
explain_cases() {
	local id c pm out path
	declare -A seen=()
	while IFS=$'\t' read -r id c _ _ pm; do
		[[ $pm == - || -n ${seen[$c|$pm]:-} || ! -f $WORK/actual-$c.tsv ]] && continue
		out=$(awk -F'\t' -v i="$id" '$1 == i {print $5}' "$WORK/actual-$c.tsv" | tail -1)
		[[ -z ${out:-} ]] && continue
		says "$out" "$pm" || continue
		# What a load that worked prints (docker's "Loaded image: NAME")
		# names no fact, and explain leaves it out of what it knows: only
		# outputs it knows are held to it.
		"$WORK/retar" explain "$out" >/dev/null 2>&1 || continue
		path=$(cat "$LOADS" "${LOADS2:-/dev/null}" "$OBSERVE" "${OBSERVE2:-/dev/null}" "${MEASURE:-/dev/null}" 2>/dev/null |
			awk -F'\t' -v i="$id" '$1 == i {print $3; exit}')
		[[ -f $path ]] || continue
		seen[$c|$pm]=1
		printf '%s\t%s\t%s\t%s\n' "$c" "$id" "$path" "$out"
	done <"$PRED"
}

# explain_load WORKER PATH: loads PATH in the worker's loader (a fresh
# namespace or store); prints 1 when it loaded, else 0, then its output.
explain_load() {
	# refs: today_import sets it too
	# shellcheck disable=SC2034
	local c=$1 path=$2 o rc got ns=explain-$RANDOM loads=0 refs
	case $c in
	docker)
		docker_clean
		o=$(timeout 120 bash -c 'cons_docker load -i "$1"' _ "$path" 2>&1) && loads=1
		docker_clean
		;;
	podman)
		podman_clean
		o=$(timeout 120 bash -c 'cons_podman load -i "$1"' _ "$path" 2>&1) && loads=1
		podman_clean
		;;
	ctr | ctr2)
		local cc=cons_ctr snap=native
		[[ $c == ctr2 ]] && cc=cons_ctr2 snap=overlayfs
		ctr_clean "$cc" "$snap" "$ns"
		o=$(timeout 120 bash -c 'c=$1 ns=$2 s=$3 p=$4; $c -n "$ns" images import --snapshotter "$s" "$p"' _ "$cc" "$ns" "$snap" "$path" 2>&1)
		rc=$?
		got=$($cc -n "$ns" images ls -q 2>/dev/null | head -1)
		((rc == 0)) && [[ -n $got ]] && loads=1
		ctr_clean "$cc" "$snap" "$ns"
		;;
	*)
		[[ $c == kind || $c == k3s ]] && ns=k8s.io
		today_clean "$c" "$ns" >/dev/null 2>&1
		today_import "$c" "$ns" "$path"
		today_clean "$c" "$ns" >/dev/null 2>&1
		;;
	esac
	printf '%s\t%s\n' "$loads" "$(oneline 2000 <<<"$o")"
}

# explain_one WORKER ID PATH OUTPUT: explain, the fix, the load.
explain_one() {
	local c=$1 id=$2 path=$3 out=$4 dir json facts fit fact cmd fixed pred want got detail
	local cid=${CHECK_ID[$c]:-$c}
	cid=${cid%/all}
	dir=$WORK/explain/$c-$RANDOM && mkdir -p "$dir" && cp -a "$path" "$dir/" || return 1
	path=$dir/$(basename "$path")
	json=$dir/explain.json
	"$WORK/retar" explain --json -t "$EXPLAIN_NAME" "$out" "$path" >"$json" 2>"$dir/explain.err"
	# The facts retar check gives this loader on the archive: those it fails on, else all.
	facts=$("$WORK/retar" check --json "$path" 2>/dev/null | jq -r --arg l "$cid" \
		'.consumers[] | select(.consumer == $l) | ([.facts[] | select(.fails)] | if length > 0 then . else empty end) // .facts | .[].fact' | sort -u)
	fit=$(jq -c --arg l "$cid" --arg f "$(paste -sd, - <<<"$facts")" \
		'[.archive.fits[] | select(.loader == $l and .confirmed and (.fact as $x | $f | split(",") | index($x)))][0] // empty' "$json" 2>/dev/null)
	if [[ -z $fit ]]; then
		expect_result explain "$c" archive "$id" ok 0 "retar explain did not confirm ${facts//$'\n'/,} for $cid: $(jq -c '.archive.fits' "$json" 2>/dev/null | cut -c1-200) $(oneline 300 <"$dir/explain.err")"
		return 0
	fi
	fact=$(jq -r .fact <<<"$fit")
	cmd=$(jq -r '.command // ""' <<<"$fit")
	if [[ -z $cmd ]]; then
		expect_result explain "$c" archive "$id" ok 1 "$cid: $fact confirmed; no conversion fixes it (retar check says so too)"
		return 0
	fi
	explain_fix "$c" "$cid" "$id" "$fact" "$cmd" "$dir"
}

# explain_fix WORKER CHECK-ID ID FACT COMMAND DIR: runs the command explain
# printed, then loads what it wrote.
explain_fix() {
	local c=$1 cid=$2 id=$3 fact=$4 cmd=$5 dir=$6 args pred want loads o
	mapfile -t args < <(xargs -n1 printf '%s\n' <<<"${cmd//:@N/:@0}")
	[[ ${args[0]} == retar && ${args[1]} == convert ]] || {
		expect_result explain "$c" archive "$id" ok 0 "$cid: $fact: a fix that is no retar convert: $cmd"
		return 0
	}
	fixed=${args[-1]#*-archive:}
	(cd "$dir" && "$WORK/retar" "${args[@]:1}" -q) >"$dir/fix.out" 2>&1 || {
		expect_result explain "$c" archive "$id" ok 0 "$cmd: $(oneline 300 <"$dir/fix.out")"
		return 0
	}
	pred=$("$WORK/retar" check --json "$fixed" 2>/dev/null | jq -c --arg l "$cid" '.consumers[] | select(.consumer == $l) | {loads, facts: [.facts[].fact]}')
	want=$(jq -r 'if .loads then 1 else 0 end' <<<"$pred")
	IFS=$'\t' read -r loads o < <(explain_load "$c" "$fixed")
	local ok=0
	[[ $loads == "$want" ]] && ! jq -e --arg f "$fact" '.facts | index($f)' <<<"$pred" >/dev/null && ok=1
	expect_result explain "$c" archive "$id" ok "$ok" \
		"$cid: $fact confirmed; $cmd; check then predicts $pred, the loader: loads=$loads ${o:0:150}"
}

# explain_messages: every case, within EXPLAIN_SECONDS.
explain_messages() {
	local start=$SECONDS c id path out n=0 left=0
	log "retar explain on each message the loaders printed (at most ${EXPLAIN_SECONDS}s)"
	while IFS=$'\t' read -r c id path out; do
		if ((SECONDS - start >= EXPLAIN_SECONDS)); then
			left=$((left + 1))
			continue
		fi
		n=$((n + 1))
		explain_one "$c" "$id" "$path" "$out"
	done < <(explain_cases)
	((left == 0)) || result explain time - - FAIL "$left cases left after ${EXPLAIN_SECONDS}s ($n run)"
}

# explain_md: CHECK.md's section on retar explain, from the results.
explain_md() {
	echo
	echo "## retar explain on the loaders' messages"
	echo
	echo "For each distinct (loader, message) above, on the first archive it was found for:"
	echo "\`retar explain --json OUTPUT ARCHIVE\` on the loader's exact output confirms the fact check gives;"
	echo "the fixing command it prints is run and the fixed archive loaded in the same loader (interop/explain.sh)."
	echo
	echo "| loader | case | status | detail |"
	echo "|---|---|---|---|"
	awk -F'\t' '$1 == "explain" {gsub(/\|/, "\\|", $6); printf "| %s | `%s` | %s | %s |\n", $2, $4, $5, substr($6, 1, 300)}' "$RESULTS"
}

# explain_selftest RETAR: the logic on canned loader outputs (golden inputs
# and the messages the loaders printed for such archives, as the run
# records them), every loader simulated by retar check's own prediction.
explain_selftest() {
	local top
	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	WORK=$(mktemp -d) RESULTS=$WORK/results.tsv
	trap 'rm -rf "$WORK"' EXIT
	cp "$1" "$WORK/retar"
	log() { printf '== %s\n' "$*" >&2; }
	# shellcheck source=interop/checks.sh disable=SC1091
	source "$top/interop/checks.sh"
	# says, as check-vs-loaders.sh has it (sourcing it whole starts a run)
	eval "$(sed -n '/^says() {/,/^}/p' "$top/interop/check-vs-loaders.sh")"
	declare -gA CHECK_ID=([d29c]=docker-29-classic [d29d]=docker-29-containerd [ctr23]=ctr-2.3 [kind]=kind [podman]=podman)
	explain_load() { # the loader is retar check's prediction for it
		"$WORK/retar" check --json "$2" | jq -r --arg l "${CHECK_ID[$1]}" '.consumers[] | select(.consumer == $l) | if .loads then "1\tsimulated" else "0\tsimulated" end'
	}
	local in=$top/golden/testdata real=$top/golden/testdata/real
	LOADS=$WORK/loads.tsv OBSERVE=/dev/null PRED=$WORK/pred.tsv
	printf '%s\t%s\t%s\n' pure-oci oci-archive "$real/skopeo-oci-archive-named.tar" unnamed docker-archive "$real/skopeo-docker-archive-unnamed.tar" \
		sentinel supply "$in/supply/zstd-chunked-sentinel.tar" absent real-docker29 "$in/real-docker29/d29d-save-absent.tar" \
		v2s2zstd supply "$in/supply/v2s2-oci-zstd.tar" >"$LOADS"
	printf '%s\t%s\t0\t-\t%s\n' pure-oci d29c "invalid archive: does not contain a manifest.json" \
		sentinel ctr23 "number of layers and diffIDs don't match" absent kind "content digest sha256:...: not found" \
		v2s2zstd podman "unsupported docker v2s2 media type" >"$PRED"
	printf 'unnamed\td29d\t1\t-\tLoaded image ID: sha256:\n' >>"$PRED"
	printf '%s\t0\t-\t1\t%s\n' pure-oci 'Error response from daemon: invalid archive: does not contain a manifest.json' >"$WORK/actual-d29c.tsv"
	printf '%s\t0\t-\t1\t%s\n' sentinel 'ctr: failed to extract layer sha256:8d1e4b: number of layers and diffIDs don'"'"'t match: 1 != 2' >"$WORK/actual-ctr23.tsv"
	printf '%s\t0\t-\t1\t%s\n' absent 'ctr: content digest sha256:bf2a790b79ff29f35791d56c9e6893523f92f11cf3e8dfbaa1299e6aae6238e3: not found' >"$WORK/actual-kind.tsv"
	printf '%s\t0\t-\t125\t%s\n' v2s2zstd 'Error: payload does not match any of the supported image formats: * oci: unsupported docker v2s2 media type: "application/vnd.oci.image.layer.v1.tar+zstd"' >"$WORK/actual-podman.tsv"
	printf '%s\t1\t-\t0\t%s\n' unnamed 'Loaded image ID: sha256:3f1e0c7a9b2d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f' >"$WORK/actual-d29d.tsv"
	explain_messages
	cat "$RESULTS"
	explain_md | grep -c '| PASS |' >/dev/null || return 1
	! grep -qv $'\tPASS\t' "$RESULTS" && [[ $(wc -l <"$RESULTS") -eq 5 ]]
}

if [[ ${BASH_SOURCE[0]} == "$0" && ${1:-} == selftest ]]; then
	set -uo pipefail
	explain_selftest "${2:?selftest RETAR: the retar binary}"
fi
