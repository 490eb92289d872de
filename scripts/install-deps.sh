#!/usr/bin/env bash
# Installs everything codefer needs to build and test, from Debian's archive only.
# Idempotent: quiet and quick when everything is already there.
set -euo pipefail

BACKPORTS_PKGS="libbpf-dev bpftool golang-1.21-go golang-1.22-go golang-1.23-go"
MAIN_PKGS="clang llvm make gcc pkg-config libelf-dev libdw-dev zlib1g-dev gdb python3
  golang-go lua5.4 liblua5.4-dev liblua5.4-0-dbg luajit libluajit-5.1-dev php8.2-cli
  procps util-linux binutils libcapstone-dev jq time libncurses-dev libmicrohttpd-dev tmux
  prometheus coreutils dpkg-dev"

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
# The archive URI this machine already uses for bookworm (a mirror or a proxy on a fleet):
# backports come from the same place, never from a fixed host.
debian_uri() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    awk '$1 == "deb" { for (i = 2; i < NF; i++) if ($i !~ /^\[/ && $i ~ /:\/\//) {
         if ($(i + 1) == "bookworm") { print $i; exit } break } }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    # deb822: paragraphs; the one whose Suites has bookworm gives its URIs (first one).
    awk 'BEGIN { RS = ""; FS = "\n" }
         { uri = ""; ok = 0
           for (i = 1; i <= NF; i++) {
             if ($i ~ /^URIs:/) { split($i, a, /[ \t]+/); uri = a[2] }
             if ($i ~ /^Suites:/ && $i ~ /[ \t]bookworm([ \t]|$)/) ok = 1
             if ($i ~ /^Types:/ && $i !~ /[ \t]deb([ \t]|$)/) { ok = 0; break } }
           if (ok && uri != "") { print uri; exit } }' "$f"
  done
}

if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  uri=$(debian_uri | head -n1)
  if [ -z "$uri" ]; then
    echo "install-deps: no bookworm source in /etc/apt/sources.list*: cannot add backports" >&2
    exit 1
  fi
  cat > /etc/apt/sources.list.d/codefer-backports.sources <<SRC
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
echo "install-deps: installing:" $need_main $need_bp >&2
# Third-party sources configured on the machine may be unreachable: that is not our failure.
apt-get update -qq >/dev/null 2>&1 || true
# shellcheck disable=SC2086
[ -z "$need_main" ] || apt-get install -y -qq --no-install-recommends $need_main >/dev/null
# shellcheck disable=SC2086
[ -z "$need_bp" ] || apt-get install -y -qq --no-install-recommends -t bookworm-backports \
  $need_bp >/dev/null
libbpf_new_enough || { echo "install-deps: libbpf-dev >= 1.4 not installed" >&2; exit 1; }
