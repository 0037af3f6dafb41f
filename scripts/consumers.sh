# shellcheck shell=bash
# consumers.sh — a bash library (source it) that installs and runs the real
# container tools retar's output is checked against, on PRIVATE sockets:
#
#   consumers_install   apt-get install the tools that are missing
#                       (CI=true: a failure exits the shell; otherwise returns 1)
#   consumers_start     start containerd 1.6 + dockerd in a fresh `mktemp -d`
#                       directory, wait until both answer, and set up:
#                         arrays     CTR=(ctr --address SOCK)
#                                    DOCKER=(/usr/bin/docker -H unix://SOCK)
#                                    PODMAN=(podman --root .. --runroot .. ...)
#                         functions  cons_ctr, cons_docker, cons_podman (exported)
#                         variables  CONSUMERS_DIR, CONSUMERS_CONTAINERD_SOCK,
#                                    CONSUMERS_DOCKER_HOST (exported)
#                       Prints a clear message (and the daemon log tails) and
#                       returns non-zero on failure.
#   consumers_stop      kill exactly the pids consumers_start started (and the
#                       shims of tasks left in the private containerd), unmount
#                       anything left under the temp dir, remove it. Safe to call
#                       twice; `consumers_start` does NOT set a trap itself — do
#                       `trap consumers_stop EXIT` in the calling script.
#   consumers_versions  one line per tool with its version
#   consumers_start_containerd2 BINDIR [TAG]
#                       after consumers_start: a containerd 2.x daemon built by
#                       the caller (BINDIR/containerd, BINDIR/ctr; Debian's
#                       runc and containerd-shim-runc-v2) on its own socket in
#                       the same temp dir, config version 3, default snapshotter
#                       (overlayfs), CRI and NRI off. Sets CTR2=(BINDIR/ctr
#                       --address SOCK), cons_ctr2 (exported),
#                       CONSUMERS_CONTAINERD2_SOCK. consumers_stop stops it too.
#                       TAG ([0-9a-z]+, e.g. 21) starts another one beside it:
#                       containerd21.sock/.toml/.log, containerd21/{root,state},
#                       CTR21, cons_ctr21, CONSUMERS_CONTAINERD21_{SOCK,BIN,PID}.
#                       consumers_stop stops every TAG started. BINDIR may hold
#                       its own containerd-shim-runc-v2: it comes first in the
#                       daemon's PATH (else Debian's 1.6 shim is used).
#   consumers_start_dockerd29 BINDIR TAG classic|containerd CTAG
#                       after consumers_start_containerd2 BINDIR2 CTAG: a
#                       dockerd built by the caller (BINDIR/dockerd, docker 29)
#                       on containerd CTAG, its own data root, exec root and
#                       socket (docker29TAG.sock). classic: the vfs graph
#                       driver, containerd-snapshotter off (the store upgraded
#                       hosts keep); containerd: the default (containerd's
#                       image store, overlayfs). Both with time-namespaces off
#                       (docker run with Debian's runc 1.1.5). Sets
#                       cons_docker29TAG (exported; the docker 28 client at
#                       /usr/local/bin/docker, else /usr/bin/docker), and
#                       CONSUMERS_DOCKER29TAG_{HOST,PID}. consumers_stop stops it.
#
# Never touches the system's default sockets or state (/run/containerd/containerd.sock,
# /var/run/docker.sock, /var/lib/{docker,containerd,containers}, /etc/docker/daemon.json).
# Debian 12 packages: containerd 1.6.20, docker.io 20.10.24, podman 4.3.1, skopeo 1.9.3,
# umoci 0.4.7. /usr/local/bin/docker (if present) is a newer CLI: we always use /usr/bin/docker.

# shellcheck disable=SC2034,SC2317 # CTR/DOCKER/PODMAN and cons_* are for callers
CONSUMERS_DOCKER_BIN=/usr/bin/docker
# The daemons built from source that consumers_stop must stop (by tag).
[[ -v CONSUMERS_C2_TAGS ]] || CONSUMERS_C2_TAGS=()
[[ -v CONSUMERS_D29_TAGS ]] || CONSUMERS_D29_TAGS=()

_consumers_msg() { printf 'consumers: %s\n' "$*" >&2; }

# Which packages are missing (by the command each one provides).
_consumers_missing() {
	local -A need=(
		[skopeo]=skopeo [umoci]=umoci [containerd]=containerd [ctr]=containerd
		[runc]=runc [dockerd]=docker.io [podman]=podman [jq]=jq
		[containerd-shim-runc-v2]=containerd
	)
	local cmd missing=()
	for cmd in "${!need[@]}"; do
		command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
	done
	[[ -x $CONSUMERS_DOCKER_BIN ]] || missing+=(docker.io)
	((${#missing[@]})) && printf '%s\n' "${missing[@]}" | sort -u
	return 0
}

consumers_install() {
	local -a missing sudo=()
	mapfile -t missing < <(_consumers_missing)
	((${#missing[@]})) || return 0
	_consumers_msg "installing missing packages: ${missing[*]}"
	((EUID == 0)) || sudo=(sudo)
	if ! { "${sudo[@]}" apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
			--no-install-recommends "${missing[@]}" >/dev/null; }; then
		_consumers_msg "apt-get install failed for: ${missing[*]}"
		if [[ ${CI:-} == true ]]; then exit 1; fi
		return 1
	fi
	mapfile -t missing < <(_consumers_missing)
	if ((${#missing[@]})); then
		_consumers_msg "still missing after install: ${missing[*]}"
		if [[ ${CI:-} == true ]]; then exit 1; fi
		return 1
	fi
	# Debian's postinst may start/enable the system units; we never use them.
	return 0
}

consumers_versions() {
	local c
	printf 'skopeo      %s\n' "$(skopeo --version 2>/dev/null | awk '{print $3}')"
	printf 'umoci       %s\n' "$(umoci --version 2>/dev/null | awk '{print $3}')"
	printf 'containerd  %s\n' "$(containerd --version 2>/dev/null | awk '{print $3}')"
	printf 'ctr         %s\n' "$(ctr --version 2>/dev/null | awk '{print $3}')"
	printf 'runc        %s\n' "$(runc --version 2>/dev/null | awk 'NR==1{print $3}')"
	c=$("$CONSUMERS_DOCKER_BIN" --version 2>/dev/null)
	c=${c#Docker version }
	printf 'docker      %s\n' "${c%%,*}"
	c=$(dockerd --version 2>/dev/null)
	c=${c#Docker version }
	printf 'dockerd     %s\n' "${c%%,*}"
	printf 'podman      %s\n' "$(podman --version 2>/dev/null | awk '{print $3}')"
}

# Print the last 30 lines of each daemon log.
consumers_logs() {
	local f n=30
	[[ -n ${CONSUMERS_DIR:-} && -d $CONSUMERS_DIR ]] || return 0
	for f in "$CONSUMERS_DIR"/containerd.log "$CONSUMERS_DIR"/dockerd.log; do
		[[ -f $f ]] || continue
		printf -- '----- last %s lines of %s -----\n' "$n" "$f" >&2
		tail -n "$n" "$f" >&2
	done
}

# _consumers_wait NAME PID SECONDS CMD... : poll CMD until it succeeds.
_consumers_wait() {
	local name=$1 pid=$2 secs=$3 i
	shift 3
	for ((i = 0; i < secs * 4; i++)); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		if ! kill -0 "$pid" 2>/dev/null; then
			_consumers_msg "$name (pid $pid) exited before it answered"
			return 1
		fi
		sleep 0.25
	done
	_consumers_msg "$name (pid $pid) did not answer within ${secs}s"
	return 1
}

consumers_start() {
	if [[ -n ${CONSUMERS_DIR:-} && -d $CONSUMERS_DIR ]]; then
		_consumers_msg "already started in $CONSUMERS_DIR"
		return 0
	fi
	local missing
	missing=$(_consumers_missing)
	if [[ -n $missing ]]; then
		_consumers_msg "missing packages (run consumers_install):" $missing
		return 1
	fi
	if ((EUID != 0)); then
		_consumers_msg "containerd/dockerd need root"
		return 1
	fi
	# Short base path: unix socket paths are limited to 108 bytes.
	CONSUMERS_DIR=$(mktemp -d /tmp/retar-consumers.XXXXXX) || return 1
	chmod 711 "$CONSUMERS_DIR"
	export CONSUMERS_DIR
	CONSUMERS_PIDS=() CONSUMERS_C2_TAGS=() CONSUMERS_D29_TAGS=()
	local d=$CONSUMERS_DIR
	mkdir -p "$d"/containerd/{root,state,opt} "$d"/docker/{data,exec,cli} \
		"$d"/podman/{root,runroot,tmp,net}
	export CONSUMERS_CONTAINERD_SOCK=$d/containerd.sock
	export CONSUMERS_DOCKER_HOST=unix://$d/docker.sock

	cat >"$d/containerd.toml" <<EOF
version = 2
root = "$d/containerd/root"
state = "$d/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]

[grpc]
  address = "$d/containerd.sock"

[ttrpc]
  address = "$d/containerd.sock.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.grpc.v1.cri"]
  disable = true

[plugins."io.containerd.internal.v1.opt"]
  path = "$d/containerd/opt"
EOF
	containerd --config "$d/containerd.toml" >"$d/containerd.log" 2>&1 &
	CONSUMERS_CONTAINERD_PID=$!
	CONSUMERS_PIDS+=("$CONSUMERS_CONTAINERD_PID")
	echo "$CONSUMERS_CONTAINERD_PID" >"$d/containerd.pid"
	if ! _consumers_wait containerd "$CONSUMERS_CONTAINERD_PID" 30 \
		ctr --address "$CONSUMERS_CONTAINERD_SOCK" version; then
		consumers_logs
		consumers_stop
		return 1
	fi

	# deprecated-key-path: else dockerd 20.10 writes its trust key to /etc/docker/key.json.
	printf '{"deprecated-key-path": "%s"}\n' "$d/docker/key.json" >"$d/docker/daemon.json"
	dockerd --config-file "$d/docker/daemon.json" \
		--data-root "$d/docker/data" --exec-root "$d/docker/exec" \
		--pidfile "$d/docker/dockerd.pid" -H "$CONSUMERS_DOCKER_HOST" \
		--iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
		--bridge=none --storage-driver=vfs \
		--containerd "$CONSUMERS_CONTAINERD_SOCK" >"$d/dockerd.log" 2>&1 &
	CONSUMERS_DOCKERD_PID=$!
	CONSUMERS_PIDS+=("$CONSUMERS_DOCKERD_PID")
	# The docker CLI reads $DOCKER_CONFIG (config.json, contexts): keep it private too.
	if ! _consumers_wait dockerd "$CONSUMERS_DOCKERD_PID" 60 \
		env DOCKER_CONFIG="$d/docker/cli" "$CONSUMERS_DOCKER_BIN" -H "$CONSUMERS_DOCKER_HOST" version; then
		consumers_logs
		consumers_stop
		return 1
	fi

	CTR=(ctr --address "$CONSUMERS_CONTAINERD_SOCK")
	DOCKER=(env DOCKER_CONFIG="$d/docker/cli" "$CONSUMERS_DOCKER_BIN" -H "$CONSUMERS_DOCKER_HOST")
	PODMAN=(podman --root "$d/podman/root" --runroot "$d/podman/runroot"
		--tmpdir "$d/podman/tmp" --network-config-dir "$d/podman/net"
		--storage-driver vfs --events-backend none --cgroup-manager cgroupfs)
	cons_ctr() { ctr --address "$CONSUMERS_CONTAINERD_SOCK" "$@"; }
	cons_docker() { DOCKER_CONFIG="$CONSUMERS_DIR/docker/cli" "$CONSUMERS_DOCKER_BIN" -H "$CONSUMERS_DOCKER_HOST" "$@"; }
	cons_podman() {
		podman --root "$CONSUMERS_DIR/podman/root" --runroot "$CONSUMERS_DIR/podman/runroot" \
			--tmpdir "$CONSUMERS_DIR/podman/tmp" --network-config-dir "$CONSUMERS_DIR/podman/net" \
			--storage-driver vfs --events-backend none --cgroup-manager cgroupfs "$@"
	}
	export -f cons_ctr cons_docker cons_podman
	export CONSUMERS_DOCKER_BIN
	if ! cons_podman images >/dev/null 2>"$d/podman-check.log"; then
		_consumers_msg "podman does not work with private storage in $d/podman:"
		cat "$d/podman-check.log" >&2
		consumers_stop
		return 1
	fi
	_consumers_msg "containerd pid $CONSUMERS_CONTAINERD_PID, dockerd pid $CONSUMERS_DOCKERD_PID, in $d"
	return 0
}

consumers_start_containerd2() {
	local bin=$1 tag=${2:-} d=${CONSUMERS_DIR:-}
	if [[ -z $d || ! -d $d ]]; then
		_consumers_msg "consumers_start_containerd2: run consumers_start first"
		return 1
	fi
	if [[ ! -x $bin/containerd || ! -x $bin/ctr ]]; then
		_consumers_msg "consumers_start_containerd2: no $bin/containerd or $bin/ctr"
		return 1
	fi
	if [[ -n $tag && ! $tag =~ ^[0-9a-z]+$ ]]; then
		_consumers_msg "consumers_start_containerd2: TAG must be digits and lower-case letters (got $tag)"
		return 1
	fi
	# TAG "" -> containerd2, CTR2, cons_ctr2, CONSUMERS_CONTAINERD2_*;
	# TAG 21 -> containerd21, CTR21, cons_ctr21, CONSUMERS_CONTAINERD21_*.
	local n=containerd${tag:-2} V=CONSUMERS_CONTAINERD${tag:-2} pid
	mkdir -p "$d/$n"/{root,state,opt}
	export "${V}_SOCK=$d/$n.sock" "${V}_BIN=$bin"
	cat >"$d/$n.toml" <<EOF
version = 3
root = "$d/$n/root"
state = "$d/$n/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime", "io.containerd.cri.v1.images", "io.containerd.nri.v1.nri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]

[grpc]
  address = "$d/$n.sock"

[ttrpc]
  address = "$d/$n.sock.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$d/$n/opt"
EOF
	PATH="$bin:$PATH" "$bin/containerd" --config "$d/$n.toml" >"$d/$n.log" 2>&1 &
	pid=$!
	printf -v "${V}_PID" '%s' "$pid"
	CONSUMERS_PIDS+=("$pid")
	CONSUMERS_C2_TAGS+=("${tag:-2}")
	if ! _consumers_wait "$n" "$pid" 30 \
		"$bin/ctr" --address "$d/$n.sock" version; then
		tail -n 30 "$d/$n.log" >&2
		return 1
	fi
	eval "CTR${tag:-2}=(\"\$bin/ctr\" --address \"\$d/\$n.sock\")"
	eval "cons_ctr${tag:-2}() { \"\$${V}_BIN/ctr\" --address \"\$${V}_SOCK\" \"\$@\"; }"
	export -f "cons_ctr${tag:-2}"
	_consumers_msg "$n pid $pid ($("$bin/containerd" --version | awk '{print $3}'))"
	return 0
}

consumers_start_dockerd29() {
	local bin=$1 tag=$2 store=$3 ctag=$4 d=${CONSUMERS_DIR:-} n pid feat cli
	n=docker29$tag
	if [[ -z $d || ! -d $d ]]; then
		_consumers_msg "consumers_start_dockerd29: run consumers_start first"
		return 1
	fi
	if [[ ! $tag =~ ^[0-9a-z]+$ || ! -x $bin/dockerd || ! -S $d/containerd$ctag.sock ]]; then
		_consumers_msg "consumers_start_dockerd29: need TAG [0-9a-z]+ ($tag), $bin/dockerd, containerd $ctag running"
		return 1
	fi
	case $store in
	classic) feat='"storage-driver": "vfs", "features": {"containerd-snapshotter": false, "time-namespaces": false}' ;;
	containerd) feat='"features": {"time-namespaces": false}' ;;
	*)
		_consumers_msg "consumers_start_dockerd29: store is classic or containerd (got $store)"
		return 1
		;;
	esac
	mkdir -p "$d/$n"/{data,exec,cli}
	printf '{%s}\n' "$feat" >"$d/$n/daemon.json"
	"$bin/dockerd" --config-file "$d/$n/daemon.json" \
		--data-root "$d/$n/data" --exec-root "$d/$n/exec" --pidfile "$d/$n/dockerd.pid" \
		-H "unix://$d/$n.sock" --iptables=false --ip6tables=false --bridge=none \
		--userland-proxy=false --containerd "$d/containerd$ctag.sock" >"$d/$n.log" 2>&1 &
	pid=$!
	CONSUMERS_PIDS+=("$pid")
	CONSUMERS_D29_TAGS+=("$tag")
	printf -v "CONSUMERS_DOCKER29${tag}_PID" '%s' "$pid"
	export "CONSUMERS_DOCKER29${tag}_HOST=unix://$d/$n.sock"
	# The docker 28 client the machine image ships speaks docker 29's API.
	cli=/usr/local/bin/docker
	[[ -x $cli ]] || cli=$CONSUMERS_DOCKER_BIN
	export CONSUMERS_DOCKER29_CLI=$cli
	if ! _consumers_wait "$n" "$pid" 60 env DOCKER_CONFIG="$d/$n/cli" "$cli" -H "unix://$d/$n.sock" version; then
		tail -n 30 "$d/$n.log" >&2
		return 1
	fi
	eval "cons_$n() { DOCKER_CONFIG=\"\$CONSUMERS_DIR/$n/cli\" \"\$CONSUMERS_DOCKER29_CLI\" -H \"\$CONSUMERS_DOCKER29${tag}_HOST\" \"\$@\"; }"
	export -f "cons_$n"
	_consumers_msg "$n pid $pid ($store store, on containerd$ctag): $("cons_$n" info --format '{{.ServerVersion}} {{.Driver}}' 2>/dev/null)"
	return 0
}

# _consumers_stop_containerd SOCK CTR STATE PID: tasks, shims, daemon.
_consumers_stop_containerd() {
	local sock=$1 ctr=$2 state=$3 dpid=$4 ns t f pid
	if [[ -S $sock ]] && "$ctr" --address "$sock" version >/dev/null 2>&1; then
		for ns in $("$ctr" --address "$sock" namespaces ls -q 2>/dev/null); do
			for t in $("$ctr" --address "$sock" -n "$ns" tasks ls -q 2>/dev/null); do
				"$ctr" --address "$sock" -n "$ns" tasks kill -s SIGKILL "$t" >/dev/null 2>&1
				"$ctr" --address "$sock" -n "$ns" tasks delete -f "$t" >/dev/null 2>&1
			done
		done
	fi
	# Shims record their pid in our private state dir.
	if [[ -d $state ]]; then
		while IFS= read -r -d '' f; do
			pid=$(<"$f")
			[[ $pid =~ ^[0-9]+$ ]] && _consumers_kill "$pid" "shim" 5
		done < <(find "$state" -name shim.pid -print0 2>/dev/null)
	fi
	if [[ -n $dpid ]]; then
		_consumers_kill "$dpid" containerd 20
	fi
	return 0
}

# _consumers_kill PID NAME SECONDS: TERM, wait, then KILL.
_consumers_kill() {
	local pid=$1 name=$2 secs=${3:-20} i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < secs * 4; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.25
	done
	if kill -0 "$pid" 2>/dev/null; then
		_consumers_msg "$name (pid $pid) ignored TERM for ${secs}s: KILL"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}

consumers_stop() {
	local d=${CONSUMERS_DIR:-}
	[[ -n $d ]] || return 0
	local f
	# 1. Tasks left in our containerds (any namespace: default, moby, ...),
	#    their shims, the daemons.
	if [[ -n ${CONSUMERS_DOCKERD_PID:-} ]]; then
		_consumers_kill "$CONSUMERS_DOCKERD_PID" dockerd 20
	fi
	local t v
	for t in "${CONSUMERS_D29_TAGS[@]}"; do
		v=CONSUMERS_DOCKER29${t}_PID
		[[ -n ${!v:-} ]] && _consumers_kill "${!v}" "dockerd 29 ($t)" 20
		unset "$v"
	done
	for t in "${CONSUMERS_C2_TAGS[@]}"; do
		v=CONSUMERS_CONTAINERD${t}_PID
		local b=CONSUMERS_CONTAINERD${t}_BIN
		[[ -n ${!v:-} ]] && _consumers_stop_containerd "$d/containerd$t.sock" "${!b}/ctr" \
			"$d/containerd$t/state" "${!v}"
		unset "$v"
	done
	_consumers_stop_containerd "$d/containerd.sock" ctr "$d/containerd/state" "${CONSUMERS_CONTAINERD_PID:-}"
	# 2. Anything still mounted under our dir (deepest first), then remove it
	#    without ever crossing into another filesystem.
	if [[ -d $d ]]; then
		local mnts
		mnts=$(awk -v p="$d/" 'index($2, p) == 1 {print $2}' /proc/self/mounts | sort -r)
		for f in $mnts; do umount -l "$f" 2>/dev/null; done
		rm -rf --one-file-system "$d" 2>/dev/null ||
			_consumers_msg "could not remove all of $d"
	fi
	unset CONSUMERS_DIR CONSUMERS_CONTAINERD_PID CONSUMERS_DOCKERD_PID
	CONSUMERS_PIDS=() CONSUMERS_C2_TAGS=() CONSUMERS_D29_TAGS=()
	return 0
}

# normalize NAME: docker's reference normalization (docker.io/library/, :latest).
normalize() {
	local n=$1 first rest
	if [[ $n == */* ]]; then
		first=${n%%/*}
		if [[ $first != *.* && $first != *:* && $first != localhost ]]; then
			n=docker.io/$n
		fi
	else
		n=docker.io/library/$n
	fi
	first=${n%%/*}
	rest=${n#*/}
	[[ $first == index.docker.io ]] && n=docker.io/$rest
	rest=${n##*/}
	[[ $rest == *:* || $rest == *@* ]] || n=$n:latest
	printf '%s\n' "$n"
}
