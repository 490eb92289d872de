#!/usr/bin/env bash
# The target's own name (comm) is untrusted text: leaky renames itself to terminal escapes,
# a quote, a backslash, an invalid byte, a C1 control and a bell. Every output that shows
# it (codefer-top text and JSON, codefer-dump text and JSON) must be strict UTF-8 with no
# raw control byte, and show the name escaped as the README says (\xNN for control bytes,
# backslashes and invalid UTF-8). The core gets the same name written into its notes.
. "$(dirname "$0")/native_lib.sh"
need_root

leaky_start
leaky_do 1 work
echo "name 1b5b324a225cffc29b0778" >&3
wait_for '^DONE' 2
shown='\x1b[2J"\\xff\xc2\x9b\x07x'
expect "renamed" "$(od -An -tx1 "/proc/$TARGET_PID/comm" | tr -d ' \n')" 1b5b324a225cffc29b07780a

timeout 30 "$CODEFER_TOP" -p "$TARGET_PID" -b -n 1 >"$WORK/top.txt" 2>"$WORK/top.err"
expect "top text: exit code" "$?" 0
expect "top text: safe" "$(safe_output "$WORK/top.txt" text)" safe
expect "top text: the name escaped" "$(head -n 1 "$WORK/top.txt" | grep -cF "($shown)")" 1
timeout 30 "$CODEFER_TOP" -p "$TARGET_PID" -b --json -n 1 >"$WORK/top.json" 2>"$WORK/top.err"
expect "top JSON: exit code" "$?" 0
expect "top JSON: safe" "$(safe_output "$WORK/top.json" json)" safe
# JSON keeps what is UTF-8 (the C1 control too), escapes the rest.
expect "top JSON: the name" "$(python3 -c 'import json,sys; print(ascii(json.load(open(sys.argv[1]))["comm"]))' "$WORK/top.json")" \
	"'\\x1b[2J\"\\\\\\\\xff\\x9b\\x07x'"

command -v gcore >/dev/null || skip "no gcore (gdb) for the dump half"
gcore -o "$WORK/core" "$TARGET_PID" >"$WORK/gcore.log" 2>&1 || fail "gcore failed"
core=$WORK/core.$TARGET_PID
# gcore names the process after its executable: give the core's NT_PRPSINFO the name.
python3 - "$core" <<'PY' || fail "no NT_PRPSINFO in the core"
import struct, sys
with open(sys.argv[1], "r+b") as f:
    data = f.read()
    phoff, = struct.unpack_from("<Q", data, 32)
    phnum, = struct.unpack_from("<H", data, 56)
    for i in range(phnum):
        t, _, off, _, _, fsz, _, _ = struct.unpack_from("<IIQQQQQQ", data, phoff + 56 * i)
        pos = off
        while t == 4 and pos < off + fsz:
            nsz, dsz, typ = struct.unpack_from("<III", data, pos)
            desc = pos + 12 + ((nsz + 3) & ~3)
            if typ == 3:  # NT_PRPSINFO: pr_fname[16] at 40
                f.seek(desc + 40)
                f.write(bytes.fromhex("1b5b324a225cffc29b0778").ljust(16, b"\0"))
                sys.exit(0)
            pos = desc + ((dsz + 3) & ~3)
sys.exit(1)
PY
timeout 60 "$CODEFER_DUMP" "$core" "$LEAKY" >"$WORK/dump.txt" 2>"$WORK/dump.err"
expect "dump text: exit code" "$?" 0
expect "dump text: safe" "$(safe_output "$WORK/dump.txt" text)" safe
expect "dump text: the name escaped" "$(head -n 1 "$WORK/dump.txt" | grep -cF ": $shown (")" 1
timeout 60 "$CODEFER_DUMP" --json "$core" "$LEAKY" >"$WORK/dump.json" 2>"$WORK/dump.err"
expect "dump JSON: exit code" "$?" 0
expect "dump JSON: safe" "$(safe_output "$WORK/dump.json" json)" safe
expect "dump JSON: the name" "$(python3 -c 'import json,sys; print(ascii(json.load(open(sys.argv[1]))["target"]["comm"]))' "$WORK/dump.json")" \
	"'\\x1b[2J\"\\\\\\\\xff\\x9b\\x07x'"
finish
