#!/usr/bin/env bash
# Installs everything codefer needs to build and test, from Debian's archive only.
# Idempotent: quiet and quick when everything is already there.
set -euo pipefail

BACKPORTS_PKGS="libbpf-dev bpftool golang-1.21-go golang-1.22-go golang-1.23-go"
MAIN_PKGS="clang llvm make gcc pkg-config libelf-dev libdw-dev zlib1g-dev gdb python3
  golang-go lua5.4 liblua5.4-dev liblua5.4-0-dbg lua5.3 liblua5.3-dev liblua5.3-0-dbg
  lua5.1 liblua5.1-0-dev liblua5.1-0-dbg luajit libluajit-5.1-dev php8.2-cli
  libpcre3 procps util-linux binutils libcapstone-dev jq time libncurses-dev
  libmicrohttpd-dev tmux prometheus coreutils dpkg-dev"

# --luajit2 DIR: unpacks Debian's luajit2 and libluajit2-5.1-2 (OpenResty's LuaJIT) into
# DIR for the tests. They conflict with luajit and libluajit-5.1-2, which stay installed:
# so both layouts are tested on every run, and no package is ever switched.
# --openresty DIR: the same for nginx with libnginx-mod-http-lua (which needs luajit2,
# its lua-resty-core and lrucache, and the ndk module), run from DIR by the tests.
unpack() {
  local dir=$1 tmp
  shift
  [ -e "$dir/.done" ] && exit 0
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download -qq "$@" >/dev/null 2>&1) ||
    { echo "install-deps: cannot download $* from the Debian archive" >&2; exit 1; }
  mkdir -p "$dir"
  for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$dir"; done
  touch "$dir/.done"
  exit 0
}
case ${1:-} in
--luajit2) unpack "$2" luajit2 libluajit2-5.1-2 ;;
--openresty) unpack "$2" nginx libnginx-mod-http-lua libnginx-mod-http-ndk lua-resty-core \
  lua-resty-lrucache libluajit2-5.1-2 ;;
esac

missing() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
      echo "$p"
  done
}

libbpf_new_enough() {
  dpkg --compare-versions "$(dpkg-query -W -f='${Version}' libbpf-dev 2>/dev/null || echo 0)" \
    ge 1:1.4
}

# The archive URI this machine already uses for bookworm (a mirror or a proxy on a fleet):
# backports come from the same place, never from a fixed host. APT_ETC: for tests.
APT_ETC=${APT_ETC:-/etc/apt}
# The first one found: one-line sources first, then deb822 ones.
debian_uri() {
  local f u
  for f in "$APT_ETC"/sources.list "$APT_ETC"/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    u=$(awk '$1 == "deb" { for (i = 2; i < NF; i++) if ($i !~ /^\[/ && $i ~ /:\/\//) {
         if ($(i + 1) == "bookworm") { print $i; exit } break } }' "$f")
    [ -z "$u" ] || { echo "$u"; return; }
  done
  for f in "$APT_ETC"/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    # deb822: paragraphs; the one whose Suites has bookworm gives its URIs (first one).
    u=$(awk 'BEGIN { RS = ""; FS = "\n" }
         { uri = ""; ok = 0
           for (i = 1; i <= NF; i++) {
             if ($i ~ /^URIs:/) { split($i, a, /[ \t]+/); uri = a[2] }
             if ($i ~ /^Suites:/ && $i ~ /[ \t]bookworm([ \t]|$)/) ok = 1
             if ($i ~ /^Types:/ && $i !~ /[ \t]deb([ \t]|$)/) { ok = 0; break } }
           if (ok && uri != "") { print uri; exit } }' "$f")
    [ -z "$u" ] || { echo "$u"; return; }
  done
}

add_backports() {
  local uri
  grep -rqs 'bookworm-backports' "$APT_ETC"/sources.list "$APT_ETC"/sources.list.d/ && return
  uri=$(debian_uri)
  if [ -z "$uri" ]; then
    echo "install-deps: no bookworm source in $APT_ETC/sources.list*: cannot add backports" >&2
    exit 1
  fi
  cat > "$APT_ETC"/sources.list.d/codefer-backports.sources <<SRC
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
}

# --sources-only: add the backports source (if missing) and stop; what a fleet's
# configuration management runs before its own apt-get.
if [ "${1:-}" = --sources-only ]; then
  add_backports
  exit 0
fi

# shellcheck disable=SC2086
need_main=$(missing $MAIN_PKGS)
# shellcheck disable=SC2086
need_bp=$(missing $BACKPORTS_PKGS)
libbpf_new_enough || need_bp="$need_bp libbpf-dev libbpf1"
[ -z "$need_main$need_bp" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages ($need_main $need_bp); run as root" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
add_backports
echo "install-deps: installing:" $need_main $need_bp >&2
# Third-party sources configured on the machine may be unreachable: that is not our failure.
apt-get update -qq >/dev/null 2>&1 || true
# shellcheck disable=SC2086
[ -z "$need_main" ] || apt-get install -y -qq --no-install-recommends $need_main >/dev/null
# shellcheck disable=SC2086
[ -z "$need_bp" ] || apt-get install -y -qq --no-install-recommends -t bookworm-backports \
  $need_bp >/dev/null
libbpf_new_enough || { echo "install-deps: libbpf-dev >= 1.4 not installed" >&2; exit 1; }
