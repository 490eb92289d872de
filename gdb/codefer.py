# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""codefer commands for gdb: pending defers and held pool connections per coroutine.

Load with `gdb -x codefer.py` (or `source codefer.py`), on a core (`gdb EXE CORE`) or a
live process (`gdb -p PID`). The work is done by the same census walkers codefer-top and
codefer-dump use, in libcodefer.so (loaded with ctypes), so the three tools agree; this
file only finds the target, calls codefer_report() and prints its JSON.
"""

import ctypes
import json
import os
import re

import gdb

_HERE = os.path.dirname(os.path.abspath(os.path.expanduser(__file__)))
# Where libcodefer.so may be, after $CODEFER_LIB: next to this script, the documented
# ../lib/codefer/, `make install`'s PREFIX/lib/codefer (this file is in
# PREFIX/share/codefer/gdb), and a source tree's build/.
_LIB_DIRS = (
    _HERE,
    os.path.join(_HERE, "..", "lib", "codefer"),
    os.path.join(_HERE, "..", "..", "..", "lib", "codefer"),
    os.path.join(_HERE, "..", "build"),
)
_LIB_NAME = "libcodefer.so"


def _safe(text):
    """Text from the target, made harmless for a terminal."""
    return re.sub(r"[\x00-\x1f\x7f-\x9f]", lambda m: "\\x%02x" % ord(m.group()), str(text))


class Library:
    """libcodefer.so, loaded once."""

    _lib = None

    @classmethod
    def path(cls):
        env = os.environ.get("CODEFER_LIB")
        if env:
            cand = os.path.join(env, _LIB_NAME) if os.path.isdir(env) else env
            if not os.path.isfile(cand):
                raise gdb.GdbError("codefer: CODEFER_LIB=%s: no %s there" % (env, _LIB_NAME))
            return cand
        for d in _LIB_DIRS:
            cand = os.path.normpath(os.path.join(d, _LIB_NAME))
            if os.path.isfile(cand):
                return cand
        raise gdb.GdbError("codefer: %s not found next to %s, in ../lib/codefer/, in "
                           "../build/, or in $CODEFER_LIB" % (_LIB_NAME, _HERE))

    @classmethod
    def get(cls):
        if cls._lib is None:
            path = cls.path()
            try:
                lib = ctypes.CDLL(path)
            except OSError as e:
                raise gdb.GdbError("codefer: cannot load %s: %s" % (path, e))
            lib.codefer_report.restype = ctypes.c_void_p
            lib.codefer_report.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int,
                                           ctypes.c_char_p, ctypes.c_int)
            lib.codefer_free.restype = None
            lib.codefer_free.argtypes = (ctypes.c_void_p,)
            cls._lib = lib
        return cls._lib

    @classmethod
    def report(cls, core, exe, pid, runtime, full):
        """The report as a dict; without `full`, coroutines carry no list of defers."""
        lib = cls.get()
        enc = lambda s: s.encode() if s else None
        ptr = lib.codefer_report(enc(core), enc(exe), pid, enc(runtime), 1 if full else 2)
        if not ptr:
            raise gdb.GdbError("codefer: out of memory")
        try:
            text = ctypes.string_at(ptr).decode("utf-8", "replace")
        finally:
            lib.codefer_free(ptr)
        try:
            data = json.loads(text)
        except ValueError as e:
            raise gdb.GdbError("codefer: unreadable report from %s: %s" % (_LIB_NAME, e))
        if "error" in data:
            raise gdb.GdbError("codefer: " + _safe(data["error"]))
        return data


class RuntimeParam(gdb.Parameter):
    """The coroutine runtime codefer reads ("" detects it)."""

    set_doc = "Set the coroutine runtime codefer reads (empty: detect)."
    show_doc = "Show the coroutine runtime codefer reads."

    def __init__(self):
        super().__init__("codefer-runtime", gdb.COMMAND_DATA, gdb.PARAM_STRING)
        self.value = ""

    def get_show_string(self, svalue):
        return "codefer runtime: %s" % (svalue or "detected")


class Target:
    """What gdb is looking at: a core file or a live process."""

    def __init__(self):
        inf = gdb.selected_inferior()
        self.exe = gdb.current_progspace().filename
        self.core = None
        self.pid = 0
        files = gdb.execute("info files", to_string=True)
        m = re.search(r"Local core dump file:\s*\n\s*`(.*)', file type", files)
        if m:
            self.core = m.group(1)
        elif inf.pid > 0:
            self.pid = inf.pid
        else:
            raise gdb.GdbError("codefer: no core file or process: use `gdb EXE CORE` or "
                               "`gdb -p PID`")

    def key(self):
        if not self.core:
            return None  # a live process changes between commands: never cached
        st = os.stat(self.core)
        return (self.core, st.st_mtime_ns, st.st_size, self.exe)


class Defer:
    def __init__(self, d):
        self.function = d.get("function", "?")
        self.site = d.get("site", "?")


class Coroutine:
    def __init__(self, c):
        self.id = c["id"]
        if "thread" in c:  # per-thread ids (Swoole's thread mode): thread:id
            self.id = "%s:%s" % (c["thread"], c["id"])
        self.state = c.get("state", "?")
        self.origin = c.get("origin", "-")
        self.wait_site = c.get("wait_site", "-")
        self.owner = c.get("owner", "-")
        self.conns_held = c.get("conns_held", 0)
        self.pending = c.get("defers_pending", 0)
        self.top_site = c.get("top_site", "-")
        self.defers = [Defer(d) for d in c.get("defers", [])]  # newest first; full reports

    def sites(self):
        """"  created at X  waits at Y  for Z", for what is known (Go's X says
        "created by F at file:line" itself)."""
        created = "" if self.origin.startswith("created by ") else "created at "
        return "".join("  %s%s" % (what, _safe(s)) for what, s in
                       ((created, self.origin), ("waits at ", self.wait_site),
                        ("for ", self.owner)) if s != "-")

    def matches(self, arg):
        if str(self.id) == arg:
            return True
        try:
            return int(str(self.id), 0) == int(arg, 0)
        except ValueError:
            return False


class Conn:
    def __init__(self, k):
        self.conn = k.get("conn", "?")
        self.coroutine = k.get("coroutine")
        if "thread" in k:  # per-thread ids (Swoole's thread mode): thread:id
            self.coroutine = "%s:%s" % (k["thread"], self.coroutine)
        self.orphan = k.get("orphan", False)
        self.site = k.get("site", "?")


class Pool:
    def __init__(self, p):
        self.pool = p.get("pool", "?")
        self.name = p.get("name")  # pools read from their own objects (framework pools)
        self.open = p.get("open", 0)
        self.idle = p.get("idle", 0)
        self.max = p.get("max", -1)
        self.waiters = p.get("waiters", 0)
        self.held = p.get("held", 0)
        self.holders_known = not p.get("holders_unknown", False)
        self.out = p.get("out", 0)
        self.orphans = p.get("orphans", 0)
        self.conns = [Conn(k) for k in p.get("conns", [])]


class Summary:
    def __init__(self, s):
        self.coroutines = s.get("coroutines", 0)
        self.defers_pending = s.get("defers_pending", 0)
        self.conns_held = s.get("conns_held", 0)
        self.conns_out = s.get("conns_out", 0)
        self.orphans = s.get("orphans", 0)
        self.holders_unknown = s.get("conns_holders_unknown", 0)
        self.sites = [(x.get("site", "?"), x.get("pending", 0)) for x in s.get("sites", [])]
        self.created = [(x.get("site", "?"), x.get("coroutines", 0))
                        for x in s.get("created", [])]


class Report:
    """One census of the target, as codefer_report() returned it."""

    _cache = {}  # full or not -> (target key, Report): the last core's reports

    def __init__(self, data):
        self.runtime = data.get("runtime", "?")
        self.version = data.get("version", "")
        self.coroutines = [Coroutine(c) for c in data.get("coroutines", [])]
        self.pools = [Pool(p) for p in data.get("pools", [])]
        self.census_pools = data.get("census_pools", [])  # as the pools describe themselves
        self.summary = Summary(data.get("summary", {}))
        timers = data.get("timers", {})
        self.timers_pending = timers.get("pending", 0)
        self.timer_sites = timers.get("sites", [])
        self.stale = data.get("stale_state", [])
        self.warnings = data.get("warnings", [])

    @classmethod
    def current(cls, full=False):
        """The report of what gdb looks at now; `full` for the lists of defers (on a big
        core ten times the JSON: only `codefer defers` asks for it)."""
        t = Target()
        runtime = _runtime.value or None
        key = t.key()
        if key is not None:
            key += (runtime,)
            if cls._cache.get(full, (None,))[0] == key:
                return cls._cache[full][1]
        rep = cls(Library.report(t.core, t.exe, t.pid, runtime, full))
        if key is not None:
            cls._cache[full] = (key, rep)
        return rep

    def header(self):
        out = "runtime %s %s" % (_safe(self.runtime), _safe(self.version))
        for w in self.warnings:
            out += "\nwarning: %s" % _safe(w)
        return out


def _command(fn):
    """Runs a command body so that any failure is one gdb error line."""

    def invoke(self, arg, from_tty):
        try:
            fn(self, arg, from_tty)
        except gdb.GdbError:
            raise
        except Exception as e:  # a bug or an odd report: still one line, no traceback
            raise gdb.GdbError("codefer: %s: %s" % (type(e).__name__, e))

    return invoke


class CodeferPrefix(gdb.Command):
    """Coroutine defers and pool connections (codefer), on a core or a live process.

codefer list            coroutines: id, state, pending defers, connections held, top site
codefer defers [ID...]  pending defers of the given coroutines (default: all with any),
                        newest first: the order they would run in
codefer pools           pools and the connections out of them, with their holders
codefer summary         totals, the defer sites ranked by pending count, and the
                        live coroutines per creation site
codefer stale           per-coroutine state kept for ended coroutines (arrays keyed by
                        their ids in static properties and globals)
codefer timers          pending timers and deferred callbacks by site, with the classes
                        of the objects their closures capture
set codefer-runtime R   read runtime R instead of detecting it

libcodefer.so is looked for in $CODEFER_LIB, next to this script, in ../lib/codefer/ and
in ../build/ (a source tree's)."""

    def __init__(self):
        super().__init__("codefer", gdb.COMMAND_DATA, gdb.COMPLETE_NONE, True)

    @_command
    def invoke(self, arg, from_tty):
        subs = "list, defers, pools, summary, timers, stale"
        if arg.strip():
            raise gdb.GdbError("codefer: no subcommand %s (%s); see `help codefer`"
                               % (_safe(arg.split()[0]), subs))
        raise gdb.GdbError("codefer: a subcommand is needed (%s); see `help codefer`" % subs)


class CodeferList(gdb.Command):
    """List coroutines: id, state, pending defers, connections held, top defer site."""

    def __init__(self):
        super().__init__("codefer list", gdb.COMMAND_DATA, gdb.COMPLETE_NONE)

    @_command
    def invoke(self, arg, from_tty):
        rep = Report.current()
        print(rep.header())
        print("%18s  %-10s %8s %6s  %s" % ("ID", "STATE", "DEFERS", "CONNS", "TOP DEFER SITE"))
        for c in rep.coroutines:
            print("%18s  %-10s %8d %6d  %s%s" % (_safe(c.id), _safe(c.state), c.pending,
                                                c.conns_held, _safe(c.top_site), c.sites()))


class CodeferDefers(gdb.Command):
    """Pending defers of coroutines, newest first: codefer defers [ID...]
Without IDs: every coroutine that has pending defers."""

    def __init__(self):
        super().__init__("codefer defers", gdb.COMMAND_DATA, gdb.COMPLETE_NONE)

    @_command
    def invoke(self, arg, from_tty):
        rep = Report.current(full=True)
        ids = gdb.string_to_argv(arg)
        missing = [a for a in ids if not any(c.matches(a) for c in rep.coroutines)]
        if ids:
            chosen = [c for a in ids for c in rep.coroutines if c.matches(a)]
        else:
            chosen = [c for c in rep.coroutines if c.defers]
        for c in chosen:
            print("coroutine %s (%s): %d pending defers%s" % (_safe(c.id), _safe(c.state),
                                                             len(c.defers), c.sites()))
            for i, d in enumerate(c.defers):
                print("  #%-4d %s  registered at %s" % (i, _safe(d.function), _safe(d.site)))
        # The others first: one id mistyped does not hide the rest.
        if missing:
            raise gdb.GdbError("codefer: no coroutine %s" % ", ".join(_safe(a) for a in missing))


class CodeferPools(gdb.Command):
    """Pools and the connections out of them: holder, where taken, orphaned or not."""

    def __init__(self):
        super().__init__("codefer pools", gdb.COMMAND_DATA, gdb.COMPLETE_NONE)

    @_command
    def invoke(self, arg, from_tty):
        rep = Report.current()
        for p in rep.census_pools:
            print("pool %s (%s): %d open, %d idle, max %d, %d waiting" % (
                _safe(p.get("pool", "?")), _safe(p.get("name", "?")), p.get("open", 0),
                p.get("idle", 0), p.get("max", -1), p.get("waiters", 0)))
        if not rep.pools:
            print("no pools found, and no connections out of any")
            return
        for p in rep.pools:
            if p.name is None:
                print("pool %s: %d out, %d orphaned" % (_safe(p.pool), p.out, p.orphans))
            else:
                head = "pool %s %s: %d open, %d idle, max %s, %d waiting; %d out" % (
                    _safe(p.pool), _safe(p.name), p.open, p.idle,
                    p.max if p.max >= 0 else "none", p.waiters, p.out)
                if p.holders_known:
                    print("%s: %d held, %d orphaned" % (head, p.held, p.orphans))
                else:
                    print("%s (holders not known)" % head)
            for k in p.conns:
                print("  conn %s  held by %s  taken at %s%s" % (
                    _safe(k.conn), _safe(k.coroutine), _safe(k.site),
                    "  (orphan: holder ended)" if k.orphan else ""))


class CodeferSummary(gdb.Command):
    """Totals, the defer registration sites ranked by pending defers, and the live
coroutines per creation site."""

    def __init__(self):
        super().__init__("codefer summary", gdb.COMMAND_DATA, gdb.COMPLETE_NONE)

    @_command
    def invoke(self, arg, from_tty):
        rep = Report.current()
        s = rep.summary
        print(rep.header())
        line = "%d coroutines, %d pending defers, %d connections held" % (
            s.coroutines, s.defers_pending, s.conns_held)
        if s.conns_out:
            line += " (%d out of their pools, %d orphaned%s)" % (
                s.conns_out, s.orphans, ", holders not known" if s.holders_unknown else "")
        print(line)
        if s.sites:
            print("%8s  %s" % ("PENDING", "DEFER SITE"))
            for site, n in s.sites:
                print("%8d  %s" % (n, _safe(site)))
        if s.created:
            print("%8s  %s" % ("LIVE", "CREATED AT"))
            for site, n in s.created:
                print("%8d  %s" % (n, _safe(site)))


class CodeferTimers(gdb.Command):
    """Pending timers and deferred callbacks by site, and the classes their closures capture."""

    def __init__(self):
        super().__init__("codefer timers", gdb.COMMAND_DATA, gdb.COMPLETE_NONE)

    @_command
    def invoke(self, arg, from_tty):
        rep = Report.current()
        print("PENDING TIMERS (%d)" % rep.timers_pending)
        for t in rep.timer_sites:
            caps = ", ".join("%s=%d" % (_safe(k), v) for k, v in t.get("captures", {}).items())
            print("%8d  %s%s" % (t.get("pending", 0), _safe(t.get("site", "?")),
                                 "  captures " + caps if caps else ""))


class CodeferStale(gdb.Command):
    """State kept for ended coroutines: arrays of statics and globals keyed by their ids."""

    def __init__(self):
        super().__init__("codefer stale", gdb.COMMAND_DATA, gdb.COMPLETE_NONE)

    @_command
    def invoke(self, arg, from_tty):
        rep = Report.current()
        print("STATE KEPT FOR ENDED COROUTINES")
        print("%8s %10s %10s  %s" % ("ENTRIES", "OLDEST", "NEWEST", "WHERE"))
        for s in rep.stale:
            print("%8d %10d %10d  %s" % (s.get("entries", 0), s.get("oldest_id", 0),
                                         s.get("newest_id", 0), _safe(s.get("where", "?"))))


_runtime = RuntimeParam()
CodeferPrefix()
CodeferList()
CodeferDefers()
CodeferPools()
CodeferSummary()
CodeferTimers()
CodeferStale()
