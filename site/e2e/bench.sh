#!/usr/bin/env bash
# make site-bench [SIZE_MB=630]: retar in headless Chromium against the
# floor (the File hashed in parallel Workers, in the same page and run), with
# the renderer's peak RSS and the native CLI, on one generated docker-archive.
# SIZE_MB is genimage's -size (MiB of layers); BENCH_LAYERS its -layers:
# real (the default: a dozen layers of 1-60 MiB and two big ones, as real
# images mostly are) or a number of equal layers. BENCH_RUNS (default 3, 1 at
# 2000 and more) and BENCH_CHECK=0 (skip comparing the outputs with the
# CLI's bytes) shorten it; BENCH_ARCHIVE=FILE uses an archive generated before.
# BENCH_JOBS=retag,oci,save,path picks the jobs (all by default);
# BENCH_WHOLE_KIB=N has the hashing Workers hash ranges of up to N KiB whole
# with WebCrypto (retar.create's wholeKiB), for comparing.
# Not part of CI.
# Expects `make build site` done (the Makefile's site-bench target does that).
set -euo pipefail
cd "$(dirname "$0")/../.."
GO=${GO:-go}
export PATH=$($GO env GOROOT)/bin:$PATH
size=${1:-630}
[[ -x ${CHROMIUM:-/usr/bin/chromium} ]] || { echo "site-bench: no chromium: run make e2e once (it installs it)" >&2; exit 1; }
((size < 2000)) || export BENCH_RUNS=${BENCH_RUNS:-1}
tmp=$(mktemp -d /tmp/retar-site-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
archive=$tmp/bench.tar
export BENCH_LAYERS=${BENCH_LAYERS:-real}
if [[ -n ${BENCH_ARCHIVE:-} ]]; then # one generated before (genimage -size SIZE_MB -layers BENCH_LAYERS)
	archive=$BENCH_ARCHIVE
else
	echo "site-bench: generating a ${size} MiB docker-archive (layers: $BENCH_LAYERS) in $tmp" >&2
	$GO run ./scripts/genimage -size "$size" -layers "$BENCH_LAYERS" -o "$archive"
fi
$GO build -o "$tmp/serve" ./site/serve
export RETAR_SERVE=$tmp/serve RETAR_BIN=$PWD/retar RETAR_DIST=${RETAR_DIST:-$PWD/site/dist} BENCH_DIR=$tmp
cd site
node e2e/bench.mjs "$archive"
