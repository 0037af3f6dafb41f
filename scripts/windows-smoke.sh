#!/usr/bin/env bash
# The Windows release binary, run: retar-windows-amd64.exe under Wine (Debian
# 12's wine64, 8.0) converts, inspects, verifies and checks on drive-letter
# (Z:\...) and relative paths, standard input and output, onto a source's own
# name, into dir: and oci: layouts, and refuses what the destination policy
# refuses. Each command runs on the same inputs with the Linux binary too:
# the exit status, standard output, messages (paths aside) and every file
# written must be the same, byte for byte.
#
# Go 1.22+ Windows binaries take their random bytes from bcryptprimitives.dll
# (ProcessPrng), which Wine 8 lacks; scripts/wine/bcryptprimitives.c is one
# on top of RtlGenRandom, built here with mingw-w64 into the private prefix.
#
# Run as root on Debian (installs wine64 and gcc-mingw-w64-x86-64 when they
# are missing), or anywhere both are. RETAR_EXE=path tests that binary (for
# example dist/retar-windows-amd64.exe, relative to the repository) instead
# of building it as make dist does.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
goroot=$($GO env GOROOT)
export PATH=$goroot/bin:$PATH

wine_bin() {
	command -v wine64 || { [[ -x /usr/lib/wine/wine64 ]] && echo /usr/lib/wine/wine64; } || command -v wine
}
start=$SECONDS
if ! wine_bin >/dev/null || ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
	if [[ $(id -u) != 0 ]]; then
		echo "windows-smoke: needs wine64 and gcc-mingw-w64-x86-64 (apt-get install wine64 gcc-mingw-w64-x86-64)" >&2
		exit 1
	fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wine64 gcc-mingw-w64-x86-64 >/dev/null
	echo "windows-smoke: installed wine64 and gcc-mingw-w64-x86-64 in $((SECONDS - start))s"
fi
wine=$(wine_bin)
wineserver=$(command -v wineserver || echo "$(dirname "$(readlink -f "$wine")")/wineserver")

start=$SECONDS
work=$(mktemp -d)
export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml='
unset DISPLAY WAYLAND_DISPLAY
cleanup() {
	"$wineserver" -k 2>/dev/null || true
	"$wineserver" -w 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# The binaries: the Windows one as make dist builds it, unless given.
exe=${RETAR_EXE:-}
if [[ -z $exe ]]; then
	exe=$work/retar-windows-amd64.exe
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 $GO build -trimpath -buildvcs=false -ldflags '-s -w' -o "$exe" ./cli/retar
fi
exe=$(readlink -f "$exe")
linux=$work/retar
$GO build -o "$linux" ./cli/retar
x86_64-w64-mingw32-gcc -O2 -s -shared -o "$work/bcryptprimitives.dll" scripts/wine/bcryptprimitives.c -ladvapi32

# A private prefix, its server kept up between the runs below.
mkdir "$WINEPREFIX"
"$wineserver" -p
"$wine" wineboot -i >"$work/wineboot.log" 2>&1 || { cat "$work/wineboot.log" >&2; exit 1; }
cp "$work/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"
ver=$("$wine" "$exe" version)
[[ $ver == *windows/amd64* ]] || { echo "windows-smoke: version says: $ver" >&2; exit 1; }
echo "windows-smoke: prefix and binaries ready in $((SECONDS - start))s"

# The same inputs in two working directories, one for each binary.
L=$work/l W=$work/w R=$work/results
WZ="Z:${W//\//\\}" # W as the Windows binary names it
mkdir -p "$L" "$W" "$R"
for d in "$L" "$W"; do
	cp examples/skopeo-unnamed.tar "$d/a.tar"                               # docker-archive, no name
	cp -r golden/testdata/real/podman-save-oci-dir "$d/b"                   # an OCI layout
	cp golden/testdata/real-docker29/d29d-save-multiplatform.tar "$d/c.tar" # an index, two platforms
done

fail() {
	echo "windows-smoke: FAIL: $*" >&2
	exit 1
}

# both NAME ARG...: retar ARG... in L (Linux) and in W (Windows, under Wine),
# standard input $stdin (a file in each directory) or none. "@/" in an
# argument is the directory's absolute path: /… on Linux, Z:\… on Windows.
# The exit statuses and standard outputs must be the same, and so must the
# messages once each side's directory is @/ and \ is /. Sets rc.
both() {
	local name=$1 a lrc=0 wrc=0
	shift
	local la=() wa=()
	for a in "$@"; do
		la+=("${a//@\//$L/}")
		wa+=("${a//@\//$WZ\\}")
	done
	(cd "$L" && "$linux" "${la[@]}" <"${stdin:-/dev/null}" >"$R/$name.l.out" 2>"$R/$name.l.err") || lrc=$?
	(cd "$W" && "$wine" "$exe" "${wa[@]}" <"${stdin:-/dev/null}" >"$R/$name.w.out" 2>"$R/$name.w.err") || wrc=$?
	[[ $lrc == "$wrc" ]] || fail "$name: exit $wrc on Windows, $lrc on Linux: $(cat "$R/$name.w.err")"
	P="$L/" perl -pe 's/\Q$ENV{P}\E/@\//g' "$R/$name.l.out" >"$R/$name.l.outn"
	P="$WZ\\" perl -pe '($j = $ENV{P}) =~ s/\\/\\\\/g; s/\Q$ENV{P}\E/@\//g; s/\Q$j\E/@\//g' "$R/$name.w.out" >"$R/$name.w.outn"
	cmp -s "$R/$name.l.outn" "$R/$name.w.outn" || fail "$name: standard output differs: $(diff "$R/$name.l.outn" "$R/$name.w.outn" | head -20)"
	P="$L/" perl -pe 's/\Q$ENV{P}\E/@\//g' "$R/$name.l.err" >"$R/$name.l.errn"
	P="$WZ\\" perl -pe 's/\Q$ENV{P}\E/@\//g; s/\\/\//g' "$R/$name.w.err" >"$R/$name.w.errn"
	cmp -s "$R/$name.l.errn" "$R/$name.w.errn" || fail "$name: messages differ: $(diff "$R/$name.l.errn" "$R/$name.w.errn" | head -20)"
	rc=$wrc last=$name
	ran=$((ran + 1))
}
ran=0

# same PATH...: the files or trees written at PATH are the same on both.
same() {
	local p
	for p in "$@"; do
		[[ -e $W/$p ]] || fail "$p: not written on Windows"
		diff -r "$L/$p" "$W/$p" >/dev/null || fail "$p: differs: $(diff -r "$L/$p" "$W/$p" | head -5)"
	done
}
# status N WORDS: the last both exited N, saying WORDS on standard error.
status() {
	[[ $rc == "$1" ]] || fail "$last: exit $rc, want $1: $(cat "$R/$last.w.err")"
	grep -q -- "$2" "$R/$last.w.err" || fail "$last: the message does not say \"$2\": $(cat "$R/$last.w.err")"
}

start=$SECONDS
# Relative and drive-letter paths, the default destination, a bundle, a
# compressed archive.
both rel convert a.tar docker-archive:rel.tar:example.com/app:1 && same rel.tar
both abs convert @/a.tar oci-archive:@/abs.tar:example.com/app:1 && same abs.tar
both bare convert @/c.tar bare.tar && same bare.tar
both bundle convert a.tar c.tar @/bundle.tar && same bundle.tar
both gz convert -t example.com/app:gz a.tar gz.tar.gz && same gz.tar.gz
both platform convert --platform linux/arm64 c.tar docker-archive:@/arm64.tar && same arm64.tar
# Standard input and output: one pass, and through TMPDIR.
stdin=a.tar both stream convert - -
stdin=c.tar both stdin convert - oci:@/from-stdin:app:1 && same from-stdin
both stdout convert oci:b docker-archive:-
# Layout directories: oci: and dir:, as sources and destinations.
both oci convert @/a.tar oci:@/lay:app:1 && same lay
both dir convert oci:@/b dir:dd && same dd
both dir2oci convert dir:@/dd oci:lay2 && same lay2
# inspect, verify, check.
both inspect inspect oci-archive:@/abs.tar
both inspect-raw inspect --raw oci:lay
both inspect-config inspect --config dir:@/dd
both verify verify @/bundle.tar
both verify-dir verify dir:dd
stdin=gz.tar.gz both verify-stdin verify -
both check check c.tar
both check-json check --json abs.tar
# Onto the source's own name: an archive (relative, drive letter,
# compressed) and a layout directory.
for d in "$L" "$W"; do cp "$d/a.tar" "$d/self.tar" && cp "$d/gz.tar.gz" "$d/selfgz.tar.gz"; done
both self convert self.tar docker-archive:self.tar:example.com/self:1 && same self.tar
both self-abs convert @/self.tar oci-archive:@/self.tar && same self.tar
both self-gz convert -t example.com/app:2 selfgz.tar.gz selfgz.tar.gz && same selfgz.tar.gz
both self-oci convert oci:lay oci:@/lay:app:2 && same lay
both self-verify verify oci-archive:self.tar
# The destination policy's refusals, and --force.
for d in "$L" "$W"; do mkdir "$d/foreign" && echo keep >"$d/foreign/keep.txt"; done
both foreign convert a.tar oci:@/foreign && status 1 "is not empty and not an oci layout" && same foreign
both archive-on-dir convert a.tar oci-archive:foreign && status 1 "is a directory" && same foreign
both dir-on-file convert a.tar dir:@/a.tar && status 1 "exists and is a file" && same a.tar
both inside convert oci:lay oci:@/lay/sub && status 1 "inside the source" && same lay
both no-parent convert a.tar @/no/such/out.tar && status 1 "does not exist"
both usage convert a.tar && status 2 "convert takes SRC"
both missing convert nosuch.tar out.tar && status 1 "nosuch.tar"
both force convert --force a.tar oci:@/foreign && same foreign
[[ ! -e $W/foreign/keep.txt ]] || fail "--force left foreign/keep.txt"
# Nothing left beside the outputs or in the prefix's TEMP.
left=$(cd "$W" && find . "$WINEPREFIX/drive_c/users" -name '.*.retar-*' -o -name 'retar-*' | head -5)
[[ -z $left ]] || fail "left behind: $left"
echo "windows-smoke: ok: $ran commands the same on Windows (Wine $("$wine" --version 2>/dev/null || echo '?')) and Linux in $((SECONDS - start))s"
