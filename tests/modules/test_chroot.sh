#!/usr/bin/env bash
# A chrooted target (Swoole's chroot option, systemd's RootDirectory=): its maps name host
# paths while /proc/PID/root is the jail. codefer-top must still find the runtime, take
# the census and probe the right files: counts against the target's truth.
. "$(dirname "$0")/modules_lib.sh"
need_root
command -v chroot >/dev/null || skip "no chroot (coreutils)"

jail_fixture "$WORK/jail"
target_start chroot "$WORK/jail" /leaky
check_jailed
expect "target runs in the jail" "$(readlink "/proc/$TARGET_PID/root")" "$WORK/jail"
finish
