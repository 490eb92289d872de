#!/usr/bin/env bash
# scripts/install-deps.sh adds bookworm-backports from the Debian source the machine
# already uses (a mirror, a proxy), never from a fixed host: run on scratch apt
# configurations (APT_ETC) in both formats, it must write the URI each one names.
. "$(dirname "$0")/../lib.sh"
DEPS="$TESTS/../scripts/install-deps.sh"

# sources_only NAME: install-deps --sources-only on $WORK/NAME; prints its exit code and
# the URIs line it wrote ("none" when it wrote nothing).
sources_only() {
	APT_ETC="$WORK/$1" "$DEPS" --sources-only 2>"$WORK/$1.err"
	echo "$? $(sed -n 's/^URIs: //p' "$WORK/$1/sources.list.d/codefer-backports.sources" 2>/dev/null || true)" |
		sed 's/ $/ none/'
}
mkdir -p "$WORK"/{deb822,oneline,both,has,security}/sources.list.d

cat >"$WORK/deb822/sources.list.d/debian.sources" <<'SRC'
Types: deb
# a comment, as Debian's installer writes them
URIs: http://mirror.invalid/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.invalid/debian-security
Suites: bookworm-security
Components: main
SRC
expect "deb822: the mirror's URI" "$(sources_only deb822)" "0 http://mirror.invalid/debian"
expect "deb822: in deb822 form" "$(grep -c '^Suites: bookworm-backports$' "$WORK/deb822/sources.list.d/codefer-backports.sources")" 1

printf '# deb http://commented.invalid/debian bookworm main\ndeb-src http://src.invalid/debian bookworm main\ndeb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://proxy.invalid:3142/debian bookworm main\n' \
	>"$WORK/oneline/sources.list"
expect "one-line: the proxy's URI, options and comments skipped" "$(sources_only oneline)" \
	"0 http://proxy.invalid:3142/debian"

cp "$WORK/oneline/sources.list" "$WORK/both/"
cp "$WORK/deb822/sources.list.d/debian.sources" "$WORK/both/sources.list.d/"
expect "both forms: the sources.list one" "$(sources_only both)" "0 http://proxy.invalid:3142/debian"

cp "$WORK/deb822/sources.list.d/debian.sources" "$WORK/has/sources.list.d/"
printf 'deb http://mirror.invalid/debian bookworm-backports main\n' >"$WORK/has/sources.list.d/bp.list"
expect "backports already there: nothing written" "$(sources_only has)" "0 none"

printf 'deb http://mirror.invalid/debian-security bookworm-security main\n' >"$WORK/security/sources.list"
expect "no bookworm source: exit 1, nothing written" "$(sources_only security)" "1 none"
expect "no bookworm source: one line saying so" \
	"$(grep -c 'no bookworm source' "$WORK/security.err") $(wc -l <"$WORK/security.err")" "1 1"
finish
