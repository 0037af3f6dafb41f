#!/usr/bin/env bash
# make e2e: the wasm package's Go tests under Node, then the page and the JS
# API end to end in headless Chromium (Debian's chromium, driven by
# playwright-core from site/node_modules; no browser is ever downloaded).
# Expects `make build site` done (the Makefile's e2e target does that).
#
# If containerd and ctr are installed and we are root, a private containerd
# (its own socket and state under a temp dir; the system's is never touched)
# lets the page test `ctr images import` the page's download; otherwise that
# check is left to the interop suite and the test checks index.json's names.
set -euo pipefail
cd "$(dirname "$0")/../.."
GO=${GO:-go}
GOROOT=$($GO env GOROOT)
export PATH=$GOROOT/bin:$PATH

say() { printf 'e2e: %s\n' "$*" >&2; }

# 1. Chromium from Debian (never a browser build from the network).
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x $CHROMIUM ]]; then
	say "installing Debian's chromium"
	sudo=()
	((EUID == 0)) || sudo=(sudo)
	if ! { "${sudo[@]}" apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null; }; then
		say "could not install chromium"
		[[ ${CI:-} == true ]] && exit 1
		say "skipping the browser tests (CI=true makes this a failure)"
		SKIP_BROWSER=1
	fi
fi
export CHROMIUM

# 2. The wasm package under Node.
say "wasm package tests under node"
GOOS=js GOARCH=wasm $GO test -count=1 -exec="$GOROOT/lib/wasm/go_js_wasm_exec" ./wasm

[[ -n ${SKIP_BROWSER:-} ]] && exit 0

tmp=$(mktemp -d /tmp/retar-e2e.XXXXXX)
CTRD_PID=
cleanup() {
	if [[ -n $CTRD_PID ]]; then
		kill -TERM "$CTRD_PID" 2>/dev/null || true
		for _ in $(seq 40); do kill -0 "$CTRD_PID" 2>/dev/null || break; sleep 0.25; done
		kill -KILL "$CTRD_PID" 2>/dev/null || true
		wait "$CTRD_PID" 2>/dev/null || true
		awk -v p="$tmp/" 'index($2, p) == 1 {print $2}' /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
	fi
	rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT

# 3. The static server (each test file starts its own on a free port) and the
# archive generator, built once.
$GO build -o "$tmp/serve" ./site/serve
$GO build -o "$tmp/genimage" ./scripts/genimage
export RETAR_SERVE=$tmp/serve RETAR_BIN=$PWD/retar RETAR_DIST=$PWD/site/dist RETAR_GENIMAGE=$tmp/genimage

# 4. A private containerd for the ctr check, when there is one to run.
if ((EUID == 0)) && command -v containerd >/dev/null && command -v ctr >/dev/null; then
	d=$tmp/ctrd
	mkdir -p "$d/root" "$d/state"
	cat >"$d/config.toml" <<EOF
version = 2
root = "$d/root"
state = "$d/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "$d/c.sock"
[ttrpc]
  address = "$d/c.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
EOF
	containerd --config "$d/config.toml" >"$d/log" 2>&1 &
	CTRD_PID=$!
	for _ in $(seq 120); do
		ctr --address "$d/c.sock" version >/dev/null 2>&1 && break
		kill -0 "$CTRD_PID" 2>/dev/null || break
		sleep 0.25
	done
	if ctr --address "$d/c.sock" version >/dev/null 2>&1; then
		export RETAR_CTR_ADDRESS=$d/c.sock
		say "private containerd $(containerd --version | awk '{print $3}') (pid $CTRD_PID): ctr import is checked"
	else
		say "private containerd did not start (log below): ctr import is left to the interop suite"
		tail -20 "$d/log" >&2 || true
	fi
else
	say "no containerd here (or not root): ctr import is left to the interop suite"
fi

# 5. The browser tests.
say "browser tests: $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
cd site
node --test --test-concurrency=1 --test-timeout=120000 e2e/
