#!/usr/bin/env bash
# scripts/package-check.sh [DIST]: retar's native packages, as a user meets
# them (root, Debian; installs man-db, bash-completion and rpm with apt if
# missing).
#
# DIST holds make dist's retar-linux-{amd64,arm64}.{deb,rpm,apk}; without it
# they are built into a temporary directory (make dist for the two Linux
# platforms alone).
#
#   .deb (both)     its file list and control fields
#   .deb (here)     dpkg -i; retar version (the installed binary says what
#                   the release binary says); man -w retar and each
#                   subcommand's page; bash completes "retar conv" to
#                   "convert" from the installed completion file, loaded
#                   by bash-completion as any command's is; dpkg -r, then
#                   no file or directory it brought is left
#   .rpm            rpm -qlp (the file list) and rpm -qp --queryformat
#                   (name, version, arch, license, URL, summary, packager)
#   .apk            its data segment's file list and .PKGINFO
#                   (tar --ignore-zeros -tzf; apk's segments are gzip streams)
#
# Prints "package-check: N passed, M failed"; exit 1 when any failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
export PATH=/usr/local/go/bin:$PATH:/usr/sbin:/sbin LC_ALL=C
((EUID == 0)) || {
	echo "package-check: needs root (dpkg -i)" >&2
	exit 1
}
PASS=0 FAIL=0
ok() { # ok COND-STATUS WHAT
	if (($1 == 0)); then
		PASS=$((PASS + 1))
		echo "PASS  $2"
	else
		FAIL=$((FAIL + 1))
		echo "FAIL  $2"
	fi
}
same() { # same WHAT GOT WANT
	if [[ $2 == "$3" ]]; then ok 0 "$1"; else
		ok 1 "$1"
		diff <(echo "$3") <(echo "$2") | sed 's/^/      /'
	fi
}

need=()
command -v man >/dev/null || need+=(man-db)
[[ -r /usr/share/bash-completion/bash_completion ]] || need+=(bash-completion)
command -v rpm >/dev/null || need+=(rpm)
if ((${#need[@]})); then
	if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }; then
		echo "package-check: apt-get install ${need[*]} failed" >&2
		exit 1
	fi
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
DIST=${1:-}
if [[ -z $DIST ]]; then
	DIST=$work/dist
	make --no-print-directory dist DIST="$DIST" PLATFORMS="linux/amd64 linux/arm64" >"$work/dist.log" 2>&1 ||
		{
			tail -20 "$work/dist.log" >&2
			exit 1
		}
fi
DIST=$(cd "$DIST" && pwd)
ver=$(sed -n 's/^Version: //p' <(dpkg-deb -f "$DIST/retar-linux-amd64.deb")) # one version for all
ver_norel=${ver%-1}

# The files every package holds; $1 is where zsh's completion goes.
want_files() {
	{
		echo /usr/bin/retar
		echo /usr/share/bash-completion/completions/retar
		echo /usr/share/fish/vendor_completions.d/retar.fish
		echo "$1/_retar"
		for m in docs/man/*.1; do echo "/usr/share/man/man1/${m##*/}.gz"; done
	} | sort
}
WANT_DEB=$(want_files /usr/share/zsh/vendor-completions)
WANT_OTHER=$(want_files /usr/share/zsh/site-functions)

for arch in amd64 arm64; do
	deb=$DIST/retar-linux-$arch.deb
	got=$(dpkg-deb --fsys-tarfile "$deb" | tar -t | sed -n 's#^\./#/#; /[^/]$/p' | sort)
	same "deb $arch: files" "$got" "$WANT_DEB"
	got=$(dpkg-deb -f "$deb" Package Version Architecture Maintainer Homepage Section | sed 's/^Maintainer: .*<.*@.*>$/Maintainer: (name <email>)/')
	same "deb $arch: control" "$got" "Package: retar
Version: $ver
Architecture: $arch
Maintainer: (name <email>)
Homepage: https://github.com/retar-dev/retar
Section: utils"
	got=$(dpkg-deb -f "$deb" Description) # (not piped into grep -q: pipefail would see dpkg-deb's SIGPIPE)
	[[ $got == "Rewrite container image archives between layouts"$'\n'* ]]
	ok $? "deb $arch: description"

	rarch=$([[ $arch == amd64 ]] && echo x86_64 || echo aarch64)
	rpmf=$DIST/retar-linux-$arch.rpm
	got=$(rpm -qlp "$rpmf" 2>&1 | sort)
	same "rpm $arch: files (rpm -qlp)" "$got" "$WANT_OTHER"
	got=$(rpm -qp --queryformat '%{NAME} %{VERSION}-%{RELEASE} %{ARCH} %{LICENSE} %{URL}\n%{SUMMARY}\n%{PACKAGER}\n' "$rpmf" 2>&1)
	same "rpm $arch: metadata (rpm -qp)" "$(sed '3s/^.*<.*@.*>$/(name <email>)/' <<<"$got")" \
		"retar $ver_norel-1 $rarch NOASSERTION https://github.com/retar-dev/retar
Rewrite container image archives between layouts
(name <email>)"

	apk=$DIST/retar-linux-$arch.apk
	got=$(tar --ignore-zeros -tzf "$apk" 2>/dev/null | grep -v '^\.' | sed 's#^#/#; /[^/]$/!d' | sort)
	same "apk $arch: data files (tar -tzf)" "$got" "$WANT_OTHER"
	got=$(tar --ignore-zeros -xzOf "$apk" .PKGINFO 2>/dev/null | grep -E '^(pkgname|pkgver|arch|license|url) = ')
	same "apk $arch: .PKGINFO" "$got" "pkgname = retar
pkgver = ${ver_norel//\~/_}-r1
arch = $rarch
url = https://github.com/retar-dev/retar
license = NOASSERTION"
done

# bash_complete LINE: what bash completes the last word of LINE to, with
# retar's completion loaded by bash-completion from where it keeps them.
bash_complete() {
	PATH=/usr/bin:/bin bash --norc --noprofile -c '
		source /usr/share/bash-completion/bash_completion
		__load_completion retar || { echo "(bash-completion found no completion for retar)"; exit 1; }
		f=$(complete -p retar | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
		COMP_LINE=$1 COMP_POINT=${#1}
		read -r -a COMP_WORDS <<<"$1"
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		"$f" retar "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"' _ "$1" 2>/dev/null # compopt says, outside a completion, that it cannot
}

# check_installed DEB: install it, use it, remove it, nothing left.
check_installed() {
	local deb=$1 paths p left=() inc=() got m
	local -A before=()
	mapfile -t paths < <(dpkg-deb --fsys-tarfile "$deb" | tar -t | sed 's#^\./#/#; s#/$##' | grep .)
	for p in "${paths[@]}"; do [[ -e $p ]] && before[$p]=1; done
	# A container's dpkg may be told to drop man pages (path-exclude): not ours.
	grep -rqs '^path-exclude.*/usr/share/man' /etc/dpkg/dpkg.cfg.d && inc=(--path-include='/usr/share/man/man1/retar*')
	dpkg "${inc[@]}" -i "$deb" >"$work/dpkg.log" 2>&1
	ok $? "dpkg -i retar-linux-$arch.deb$(sed 's/^/: /' "$work/dpkg.log" | grep -i 'error\|warning' | head -2 | tr '\n' ' ')"
	got=$(PATH=/usr/bin:/bin retar version 2>&1)
	same "retar version (installed, on PATH)" "$got" "$("$DIST/retar-linux-$arch" version 2>&1)"
	got=$(man -w retar 2>&1)
	same "man -w retar" "$got" /usr/share/man/man1/retar.1.gz
	for m in docs/man/*.1; do
		m=${m##*/}
		got=$(man -w "${m%.1}" 2>&1)
		[[ $got == "/usr/share/man/man1/$m.gz" ]]
		ok $? "man -w ${m%.1}: $got"
	done
	got=$(bash_complete "retar conv")
	same "bash completion: retar conv" "$got" convert
	got=$(bash_complete "retar convert --comp")
	same "bash completion: retar convert --comp" "$got" "--compress
--compress-level"
	dpkg -r retar >"$work/dpkg.log" 2>&1
	ok $? "dpkg -r retar $(tr '\n' ' ' <"$work/dpkg.log" | cut -c1-120)"
	for p in "${paths[@]}"; do
		[[ -e $p ]] || continue
		[[ -v before[$p] ]] || left+=("$p")
	done
	same "nothing left after dpkg -r" "${left[*]}" ""
	got=$(dpkg-query -W -f='${Status}' retar 2>/dev/null)
	[[ $got != *installed* || $got == *not-installed* ]]
	ok $? "dpkg-query: retar ${got:-unknown}"
}

# ------------------------------------------------------------ install here
arch=$(dpkg --print-architecture)
deb=$DIST/retar-linux-$arch.deb
if [[ ! -f $deb ]]; then
	ok 1 "dpkg -i: no package for this machine's architecture $arch"
elif dpkg-query -W -f='${Status}' retar 2>/dev/null | grep -q 'ok installed'; then
	ok 1 "dpkg -i: a retar package is installed already: dpkg -r retar first"
else
	check_installed "$deb"
fi
echo "package-check: $PASS passed, $FAIL failed"
((FAIL == 0))
