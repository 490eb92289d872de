#!/usr/bin/env bash
# A container as docker makes one: its own mount namespace, an overlayfs root, chroot into
# it. Its maps name a path that, from codefer's namespace, holds nothing (the overlay is
# mounted only in the container's): codefer-top must still read and probe the mapped
# files. Counts against the target's truth.
. "$(dirname "$0")/modules_lib.sh"
need_root
command -v unshare >/dev/null && command -v chroot >/dev/null || skip "no unshare or chroot"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
	skip "no overlayfs in this kernel"

c=$WORK/container
jail_fixture "$c/lower"
mkdir -p "$c/upper" "$c/work" "$c/merged"
target_start unshare -m --propagation private sh -c "mount -t overlay overlay \
	-o lowerdir=$c/lower,upperdir=$c/upper,workdir=$c/work $c/merged && exec chroot $c/merged /leaky"
check_jailed
expect "the mapped path is empty from here" "$(ls -A "$c/merged" | wc -l)" 0
expect "the maps name it" "$(grep -c " $c/merged/leaky\$" "/proc/$TARGET_PID/maps" | sed 's/^[1-9][0-9]*$/yes/')" yes
finish
