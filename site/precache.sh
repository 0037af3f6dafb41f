#!/usr/bin/env bash
# precache.sh DIST: writes into DIST/sw.js the files the service worker keeps
# (all of DIST but sw.js and the uncompressed retar.wasm, which the Worker
# fetches only where retar.wasm.gz cannot be used) and a version: a hash of
# their bytes, so any change to the site is a new cache.
set -euo pipefail
cd "$1"
mapfile -t files < <(LC_ALL=C ls | grep -vx -e sw.js -e retar.wasm)
version=$(cat "${files[@]}" | sha256sum | cut -c1-16)
list="'./'"
for f in "${files[@]}"; do list+=", '$f'"; done
sed -i -e "s|^const VERSION = 'dev';|const VERSION = '$version';|" -e "s|^const FILES = \['./'\];|const FILES = [$list];|" sw.js
grep -q "const VERSION = '$version';" sw.js || { echo "precache.sh: sw.js has no VERSION marker" >&2; exit 1; }
grep -q "'retar.wasm.gz'" sw.js || { echo "precache.sh: sw.js has no FILES marker, or no retar.wasm.gz" >&2; exit 1; }
