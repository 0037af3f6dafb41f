#!/usr/bin/env bash
# make dist-check: release builds are reproducible. make dist runs twice:
# here, and in a copy of the tree at another path with an empty build cache
# (the same VERSION, COMMIT and SOURCE_DATE_EPOCH, which come from git here);
# every file and SHA256SUMS must be byte for byte the same: the binaries, the
# page, the packages and retar's own image. nfpm (scripts/tools) is built
# once for both: it is a build tool, not a release file, and its build from
# an empty cache would only add minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
export PATH=$($GO env GOROOT)/bin:$PATH
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo devel)}
COMMIT=${COMMIT:-$(git rev-parse HEAD 2>/dev/null || true)}
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
export NFPM=${NFPM:-$work/nfpm} SOURCE_DATE_EPOCH
[[ -x $NFPM ]] || $GO -C scripts/tools build -trimpath -o "$NFPM" github.com/goreleaser/nfpm/v2/cmd/nfpm

start=$SECONDS
make --no-print-directory dist DIST="$work/a" VERSION="$VERSION" COMMIT="$COMMIT" SOURCE_DATE_EPOCH="$SOURCE_DATE_EPOCH" >/dev/null
echo "dist-check: first build $((SECONDS - start))s"

# The tree as it is (tracked and untracked files, not ignored ones), and the
# page's npm packages, which make site would otherwise fetch again.
mkdir -p "$work/tree"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
	[[ -e $f ]] && printf '%s\0' "$f"
done | xargs -0 cp -p --parents -t "$work/tree"
cp -a site/node_modules "$work/tree/site/"

start=$SECONDS
(cd "$work/tree" && GOCACHE="$work/cache" make --no-print-directory dist DIST="$work/b" VERSION="$VERSION" COMMIT="$COMMIT" SOURCE_DATE_EPOCH="$SOURCE_DATE_EPOCH" >/dev/null)
echo "dist-check: second build (another path, empty cache) $((SECONDS - start))s"

if ! diff -r "$work/a" "$work/b"; then
	echo "dist-check: the two builds differ" >&2
	exit 1
fi
cat "$work/a/SHA256SUMS"
echo "dist-check: identical: $(ls "$work/a" | wc -l) files"
