#!/usr/bin/env bash
# make site-bench [SIZE_MB=600]: retar in headless Chromium against the native
# CLI on one generated docker-archive, in one run. Not part of CI.
# Expects `make build site` done (the Makefile's site-bench target does that).
set -euo pipefail
cd "$(dirname "$0")/../.."
GO=${GO:-go}
export PATH=$($GO env GOROOT)/bin:$PATH
size=${1:-600}
[[ -x ${CHROMIUM:-/usr/bin/chromium} ]] || { echo "site-bench: no chromium: run make e2e once (it installs it)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/retar-site-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
echo "site-bench: generating a ${size} MB docker-archive in $tmp" >&2
$GO run ./scripts/genimage -size "$size" -o "$tmp/bench.tar"
$GO build -o "$tmp/serve" ./site/serve
export RETAR_SERVE=$tmp/serve RETAR_BIN=$PWD/retar RETAR_DIST=${RETAR_DIST:-$PWD/site/dist} BENCH_DIR=$tmp
cd site
node e2e/bench.mjs "$tmp/bench.tar"
