#!/usr/bin/env bash
# Builds the codefer Debian package from an already built tree, offline:
#   scripts/deb/build.sh BUILD_DIR VERSION
# Installs into a staging root with `make install`, adds the man pages and the copyright,
# takes Depends from the binaries' own library needs (dpkg-shlibdeps), then dpkg-deb.
# Prints the path of the .deb.
set -euo pipefail

build=$1
version=$2
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
arch=$(dpkg --print-architecture)
stage=$build/deb
root=$stage/root

rm -rf "$stage"
mkdir -p "$root/DEBIAN" "$root/usr/share/man/man8" "$root/usr/share/man/man1" \
	"$root/usr/share/doc/codefer" "$stage/debian"
make -s -C "$top" --no-print-directory install BUILD="$build" DESTDIR="$root" PREFIX=/usr >&2
gzip -9n <"$here/codefer-top.8" >"$root/usr/share/man/man8/codefer-top.8.gz"
gzip -9n <"$here/codefer-dump.1" >"$root/usr/share/man/man1/codefer-dump.1.gz"
cp "$here/copyright" "$root/usr/share/doc/codefer/copyright"

# dpkg-shlibdeps wants a debian/control around it; only its package name matters.
printf 'Source: codefer\n\nPackage: codefer\nArchitecture: any\n' >"$stage/debian/control"
depends=$(cd "$stage" && dpkg-shlibdeps -O -e"$root/usr/bin/codefer-top" \
	-e"$root/usr/bin/codefer-dump" -e"$root/usr/lib/codefer/libcodefer.so" 2>/dev/null |
	sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
# The symbols say 0.5; the BPF object's features (skeleton, cookies) need libbpf 1.4, the
# version the build uses (README).
depends=$(echo "$depends" | sed 's/libbpf1 ([^)]*)/libbpf1 (>= 1:1.4)/')

sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@DEPENDS@/$depends/" \
	-e "s/@SIZE@/$(du -sk --exclude=DEBIAN "$root" | cut -f1)/" \
	"$here/control.in" >"$root/DEBIAN/control"
deb=$build/codefer_${version}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >&2
echo "$deb"
