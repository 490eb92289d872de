#!/usr/bin/env bash
# Installs everything codefer needs to build and test, from Debian's archive only.
# Idempotent: quiet and quick when everything is already there.
set -euo pipefail

BACKPORTS_PKGS="libbpf-dev bpftool golang-1.21-go golang-1.22-go golang-1.23-go"
MAIN_PKGS="clang llvm make gcc pkg-config libelf-dev libdw-dev zlib1g-dev gdb python3
  golang-go lua5.4 liblua5.4-dev liblua5.4-0-dbg lua5.3 liblua5.3-dev liblua5.3-0-dbg
  lua5.1 liblua5.1-0-dev liblua5.1-0-dbg luajit libluajit-5.1-dev php8.2-cli
  libpcre3 procps util-linux binutils libcapstone-dev jq time libncurses-dev
  libmicrohttpd-dev tmux prometheus coreutils dpkg-dev git curl"

# --luajit2 DIR: unpacks Debian's luajit2 and libluajit2-5.1-2 (OpenResty's LuaJIT) into
# DIR for the tests. They conflict with luajit and libluajit-5.1-2, which stay installed:
# so both layouts are tested on every run, and no package is ever switched.
# --haproxy DIR: the same for HAProxy (a real embedder of Lua 5.3, its tasks and per-request
# actions coroutines), with the OpenTracing libraries it links: unpacked, never installed,
# so no service starts.
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
# --go-released DIR: Go programs as their makers ship them (stripped, -s -w), for the tests
# of Go releases Debian does not package, from the npm registry ($NPM_REGISTRY, else
# npmjs.org): lefthook's, dbmate's (a database/sql user), buf's (an HTTP server) and
# esbuild's (no build info) release binaries, built with go1.24 to go1.27. Each tarball is checked against the integrity the registry published.
released() {
  local dir=$1
  mkdir -p "$dir"
  python3 - "$dir" "${NPM_REGISTRY:-https://registry.npmjs.org}" <<'PY' || exit 1
import base64, hashlib, io, os, sys, tarfile, urllib.request
out, registry = sys.argv[1], sys.argv[2].rstrip("/")
PACKAGES = [  # (package, version, the Go it was built with, sha512 of the tarball)
    ("lefthook-linux-x64", "1.13.0", "go1.24", "5JUhlDaYqt9vBTSQ5gkA00+0ktUSRyL60AhZID6OR4ML39SidzMTu/GrgHscPT4sD3TfSODEdGZ28sNKdLg6jA=="),
    ("lefthook-linux-x64", "2.0.16", "go1.25", "7eAvBeWGAgjOKZ23OQbjJINLPImDIuDeX8dXOfk+aI6IFt2X6KCzRkp+ASUvGQtrPuNZQZT43EhW0/1jZU14ZQ=="),
    ("lefthook-linux-x64", "2.1.17", "go1.26", "NyWgJyhmkPspgnhNSvkusKNjCyOOnwiE/IFKkAFkMNfTlst0Dv3UVNxe0e/DlgsGbbFLVieFKhwd4twI2RKoOQ=="),
    ("lefthook-linux-x64", "2.2.2", "go1.27", "N/OlQyAhcU6RAXjrwFxLsh70sn96rBoi+XkuLJ8CVBkk9Ci3VDXQayDZTNz5B1xML8RwoMcV8Wblniy1xFOmSA=="),
    ("@dbmate/linux-x64", "2.28.0", "go1.24", "S4pV5HstfN/uLtrMcouxhn0zcErUGco98LWfzjY4Ylcv2pnc6rfzS6bBO6q0dHFbSPPZWOlsTY6Dw7WU4Uqcaw=="),
    ("@dbmate/linux-x64", "2.29.5", "go1.25", "NBMFbBgwuOtnLhZL/5h5lsLOvnXE1eloIO9Cp8uc+yrXwpAZW8KUoj5M+QKRZiFO4OuPJk8qy42lt0SDVkJLyg=="),
    ("@dbmate/linux-x64", "2.31.0", "go1.26", "/GC91+u0qjpXtlIcvv6BEbLqR5MZK7MJgDC65huOzP4OOIeymQK+D5QsuMHNTwff/2z1zut42Mc42gROYPsYbg=="),
    ("@dbmate/linux-x64", "2.36.0", "go1.27", "LdLpgyuluwJ93rWcvJjdlsjJ8rBeeAH52h3dSk0zAMaLrQn49dup1/o2tFpG1jM9f767HkuXdBrrjy6ZwG9BSg=="),
    # an HTTP server (buf beta studio-agent): a goroutine per connection
    ("@bufbuild/buf-linux-x64", "1.55.1", "go1.24", "/48IjSA1kh/8kZl1bcDkikgH+9BMnPhhVqad+R7+3ttYOFqifet3n+hf2ipA26NtTpTfvOSRXj1tdx/80x0I1g=="),
    ("@bufbuild/buf-linux-x64", "1.70.0", "go1.26", "5WHGUIb5iLFXcnqV33TDejqaPgx0CWFaYW7b4wh12wT0w3DR+ghFq6S6RmYyZLbTuhS4ZFsf+xyk5m+HViKxrA=="),
    ("@bufbuild/buf-linux-x64", "1.75.0", "go1.27", "YGGJAx0lpMCE7aMWjNOJcfoEaG/e+iYHnTC4SZ0P5eS4IffMryA9Z4/bb1m1wNXAEJ8ATFMEZOAk/5x9VE47ig=="),
    # its makers remove the build info: the version is runtime.buildVersion's
    ("@esbuild/linux-x64", "0.28.2", "go1.26", "4xTZr1FUmSoQW4XIWmit3tzQrUTZM+N3P0XV8xROKYF50XfI7xeO90+1bZvNwxIufQ9hDQVRJH5YhgPVF8A/HQ=="),
]
for package, version, go, sha512 in PACKAGES:
    name = package.lstrip("@").split("/")[0].split("-linux")[0]  # lefthook, dbmate, ...
    name = {"bufbuild": "buf"}.get(name, name)
    path = os.path.join(out, "%s-%s-%s" % (name, version, go))
    if os.path.exists(path):
        continue
    base = package.split("/")[-1]
    url = "%s/%s/-/%s-%s.tgz" % (registry, package, base, version)
    try:
        data = urllib.request.urlopen(url, timeout=60).read()
    except OSError as e:
        sys.exit("install-deps: cannot download %s: %s" % (url, e))
    if base64.b64encode(hashlib.sha512(data).digest()).decode() != sha512:
        sys.exit("install-deps: %s does not have the published integrity" % url)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        exe = tar.extractfile("package/bin/" + name).read()
    with open(path + ".tmp", "wb") as f:
        f.write(exe)
    os.chmod(path + ".tmp", 0o755)
    os.rename(path + ".tmp", path)
PY
  exit 0
}
case ${1:-} in
--go-released) released "$2" ;;
--luajit2) unpack "$2" luajit2 libluajit2-5.1-2 ;;
--haproxy) unpack "$2" haproxy libopentracing-c-wrapper0 libopentracing1 ;;
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
