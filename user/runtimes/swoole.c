// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The `swoole` profile: PHP coroutines of the Swoole extension (5.1 to 6.2), their
 * `defer()` callbacks, and Coroutine\Channel used as a connection pool.
 *
 * Probe points (all exported by swoole.so, so they survive stripping):
 *   create  PHPCoroutine::main_func entry: runs for PHP coroutines only, whatever started
 *           them (go(), Coroutine::create, server callbacks), and `current` is already the
 *           new coroutine there. Its site is the body function (zend_function*).
 *   defer   PHPCoroutine::defer(zend::Function *): called (through the PLT, so never
 *           inlined) by defer() / Coroutine::defer() once the callable is accepted. Site:
 *           the PHP line calling defer(), from EG(current_execute_data).
 *   exit    Coroutine::close(), for coroutines with a task (a PHPContext): main_func has
 *           run the pending defers by then (LIFO, in a loop inlined into main_func with no
 *           probe-able symbol), so the exit retires them all.
 *   get     each return instruction of Channel::pop(double), when it returns an item: the
 *           channel is saved at entry per coroutine. Never a uretprobe: pop may yield, and
 *           a coroutine switching stacks breaks the kernel's return-probe bookkeeping
 *           (the process gets SIGILL).
 *   put     Channel::push(void *data, double) entry.
 * The coroutine id is swoole::Coroutine::current->cid. An item is a heap copy of the
 * pushed zval, so the connection's identity is the zval's value (the object pointer).
 *
 * The census walks swoole::Coroutine::coroutines (a std::unordered_map<long, Coroutine*>)
 * and each PHPContext's defer_tasks (std::stack<zend::Function*> over a std::deque) by
 * hand: it works the same on a live process and on a core file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "elfsym.h"
#include "php_heap.h"
#include "php_pools.h"
#include "php_stale.h"
#include "php_tls.h"

#define SYM_CURRENT "_ZN6swoole9Coroutine7currentE"
#define SYM_COROUTINES "_ZN6swoole9Coroutine10coroutinesE"
#define SYM_MAIN_FUNC "_ZN6swoole12PHPCoroutine9main_funcEPv"
#define SYM_DEFER "_ZN6swoole12PHPCoroutine5deferEPN4zend8FunctionE"
#define SYM_CLOSE "_ZN6swoole9Coroutine5closeEv"
#define SYM_POP "_ZN6swoole9coroutine7Channel3popEd"
#define SYM_PUSH "_ZN6swoole9coroutine7Channel4pushEPvd"
#define SYM_MODULE "swoole_module_entry"
#define SYM_TG "SwooleTG"
#define SYM_LAST_CID "_ZN6swoole9Coroutine8last_cidE"
/* Local (.symtab only): the callback Event::defer() queues PHP tasks with. */
#define SYM_EVENT_DEFER_CB "_ZL20event_defer_callbackPv"
/* Local too: Event::add's sockets (std::unordered_map<int, Socket *>). */
#define SYM_EVENT_SOCKETS "_ZL16event_socket_map"
#define TIMER_TYPE_PHP 1	/* swoole::TimerNode::TYPE_PHP (TYPE_KERNEL: sleeps, internal) */
/* Local (.symtab only): Timer::after/tick's body, which returns the new timer's id in
 * its return_value zval; its failures return from a separate (.cold) part. */
#define SYM_TIMER_ADD "_ZL9timer_addP18_zend_execute_dataP12_zval_structb"
/* Local too: the destructor timer_add gives PHP's timer nodes, called once at a node's
 * end (fired for the last time, cleared, timer freed), through a pointer: never inlined,
 * and never called for Swoole's own timers (sleeps, I/O timeouts), so those cost nothing. */
#define SYM_TIMER_DTOR "_ZL10timer_dtorPN6swoole9TimerNodeE"
#define SAVE_RETURN_VALUE 1	/* save slot: timer_add's return_value */
/* Event::defer's handler (local) queues a task through the exported swoole_event_defer,
 * as Swoole's own code does: a flag saved for the handler's duration tells them apart. */
#define SYM_ZIF_EVENT_DEFER "zif_swoole_event_defer"
#define SYM_SWOOLE_EVENT_DEFER "_Z18swoole_event_deferRKSt8functionIFvPvEES0_"
#define SAVE_IN_EVENT_DEFER 2	/* save slot: 1 inside Event::defer(), else 0 */
/* Event::add/set's handlers (local) wrap each callback in a zend::Callable, whose
 * constructor (exported, as its destructor) every Callable of Swoole's goes through:
 * a flag saved for the handlers' duration tells theirs apart. */
#define SYM_ZIF_EVENT_ADD "zif_swoole_event_add"
#define SYM_ZIF_EVENT_SET "zif_swoole_event_set"
#define SYM_CALLABLE_NEW "_ZN4zend8CallableC1EP12_zval_struct"
#define SYM_CALLABLE_DELETE "_ZN4zend8CallableD1Ev"
#define SAVE_IN_EVENT_ADD 3	/* save slot: 1 inside Event::add() or Event::set(), else 0 */
#define WALK_MAX_TIMERS 1000000
#define MAX_THREADS 1024	/* threads read in thread mode */
/* Only in development snapshots after 6.2.1, which still call themselves "6.2.1". */
#define SYM_CHANNEL_BASE "_ZN6swoole9coroutine11ChannelBase15notify_producerEv"

/* zend_module_entry.version: the same offset since PHP 5. */
#define MODULE_ENTRY_VERSION 88

/* libstdc++'s std::unordered_map<long, T*>: the node list behind _M_before_begin at +16,
 * the element count at +24; node = {next, key, value} (std::hash<long> is not cached). */
#define UMAP_BEFORE_BEGIN 16
#define UMAP_COUNT 24
struct umap_node {
	uint64_t next;
	int64_t key;
	uint64_t value;
};

struct swoole_offs {
	long co_state, co_cid, co_init_msec, co_task;	/* swoole::Coroutine */
	long ctx_fci_cache, ctx_defer_tasks;	/* swoole::PHPContext; fci_cache -1: unknown */
	long ctx_execute_data;			/* PHPContext: a parked coroutine's frame */
	long fn_fci_cache;			/* zend::Function */
	long fcc_function_handler;		/* zend_fcall_info_cache */
	long args_fci_cache;			/* swoole::PHPCoroutine::Args */
};

struct swoole {
	struct php_heap heap;		/* first: php_describe_site reads it */
	struct php_lib_files lib_files;	/* which PHP files are a library's (wait sites) */
	int have_php;			/* heap opened: PHP sites can be read */
	struct module *mod;
	uint64_t current, coroutines;	/* runtime addresses */
	char version[32];
	unsigned php_api;
	struct swoole_offs so;
	struct swoole_layout lay;
	char so_from[200];
	char no_heap[160];		/* why framework pools, timers, stale state are not read */
	uint64_t tg;			/* the main thread's SwooleTG */
	uint64_t last_cid;		/* &Coroutine::last_cid (0: unknown) */
	uint64_t defer_cb;		/* Event::defer's callback for PHP tasks */
	uint64_t event_sockets;		/* Event::add's socket map (0: no .symtab) */
	int events_probed;		/* Event::add callbacks can be followed by probes */
	int threaded;			/* thread mode: coroutines, current in TLS */
	struct tls tls;			/* ... found through glibc's thread list */
	uint64_t modid;			/* swoole.so's TLS module id */
	int64_t tsrm_cache_tp;		/* _tsrm_ls_cache from the thread pointer ... */
	int php_tls_ok;			/* ... and the rest below are known */
	uint64_t eg_offset, cg_offset;	/* &executor_globals_offset, &compiler_globals_offset */
	uint64_t tg_tls, last_cid_tls;	/* SwooleTG, Coroutine::last_cid in swoole.so's block */
	char no_timers[200];		/* why pending timers cannot be read */
};

/* One row per offset: the DWARF type and member, then its value for builds without DWARF
 * per Swoole minor release (5.1, 6.0, 6.1, 6.2), on PHP 8.1/8.2 and on PHP 8.3+; -1: not
 * measured. `heap`: only the heap walks need it (framework pools, timers, stale state),
 * which are off without it; the others are needed for anything.
 *
 * Coroutine, zend::Function and PHPContext's fci_cache and defer_tasks: measured with
 * offsetof() over each release's headers (5.1.8, 6.0.2, 6.1.6, 6.2.1, 6.2.2) and PHP 8.2's;
 * checked against the DWARF of -g builds of 5.1.8, 6.0.2, 6.1.9 and 6.2.1 on Debian's PHP
 * 8.2, and with the Swoole tests on stripped copies of each; PHPContext is the same in
 * every patch release of a minor. The 8.3+ column: PHP 8.3 grew zend_fcall_info_cache by
 * a `closure` pointer (+8, fci_cache itself stays put) and PHP 8.3/8.4 define
 * ZEND_CHECK_STACK_LIMIT, which inserts a stack_base/stack_limit pair before defer_tasks
 * (+16); PHP 8.1 lays PHPContext out as 8.2. Checked on PHP 8.4: -g builds of 6.0.2,
 * 6.1.9, 6.2.1 and 6.2.2 against Debian's php8.4-dev 8.4.27 have these in their DWARF, and
 * the Swoole tests pass with Debian's stripped php8.4-cli 8.4.24 on strip -s copies. No
 * PHP 8.3 build was checked. The heap rows: from the DWARF of a -g build of 6.2.1 against
 * Debian's php8.2-dev, checked by the heap tests on a stripped copy; spl_array_object is
 * PHP's (ext/spl/spl_array.c), never in Swoole's DWARF. */
static const char *const swoole_minors[] = { "5.1", "6.0", "6.1", "6.2" };
#define NMINORS (sizeof(swoole_minors) / sizeof(swoole_minors[0]))
#define SO(f) offsetof(struct swoole, so.f)
#define LAY(f) offsetof(struct swoole, lay.f)
#define ALL(v) { { v, v }, { v, v }, { v, v }, { v, v } }
#define ONLY_62_PHP82(v) { { -1, -1 }, { -1, -1 }, { -1, -1 }, { v, -1 } }
static const struct {
	const char *type, *member;
	size_t field;
	int heap;
	long v[NMINORS][2];
} offs_spec[] = {
	{ "swoole::Coroutine", "state", SO(co_state), 0, ALL(0) },
	{ "swoole::Coroutine", "cid", SO(co_cid), 0, ALL(8) },
	{ "swoole::Coroutine", "init_msec", SO(co_init_msec), 0, ALL(16) },
	{ "swoole::Coroutine", "task", SO(co_task), 0, ALL(40) },
	{ "swoole::PHPContext", "fci_cache", SO(ctx_fci_cache), 0,
	  { { 168, 168 }, { 168, 168 }, { 208, 208 }, { 208, 208 } } },
	{ "swoole::PHPContext", "defer_tasks", SO(ctx_defer_tasks), 0,
	  { { 232, 256 }, { 232, 256 }, { 272, 296 }, { 272, 296 } } },
	{ "zend::Function", "fci_cache", SO(fn_fci_cache), 0, ALL(64) },
	{ "_zend_fcall_info_cache", "function_handler", SO(fcc_function_handler), 0, ALL(0) },
	{ "swoole::PHPCoroutine::Args", "fci_cache", SO(args_fci_cache), 0, ALL(0) },
	{ "swoole::PHPContext", "execute_data", SO(ctx_execute_data), 1, ONLY_62_PHP82(40) },
	{ "swoole::PHPContext", "context", LAY(ctx_context), 1, ONLY_62_PHP82(312) },
	{ "swoole::coroutine::Channel", "data_queue", LAY(chan_data), 1, ONLY_62_PHP82(64) },
	{ "swoole::coroutine::Channel", "consumer_queue", LAY(chan_consumers), 1,
	  ONLY_62_PHP82(40) },
	{ "ChannelObject", "std", LAY(chanobj_std), 1, ONLY_62_PHP82(8) },
	{ "_spl_array_object", "std", LAY(ao_std), 1, ONLY_62_PHP82(88) },
	{ "swoole::ThreadGlobal", "reactor", LAY(tg_reactor), 1, ONLY_62_PHP82(16) },
	{ "swoole::ThreadGlobal", "timer", LAY(tg_timer), 1, ONLY_62_PHP82(24) },
	{ "swoole::Timer", "map", LAY(timer_map), 1, ONLY_62_PHP82(32) },
	{ "swoole::TimerNode", "type", LAY(tn_type), 1, ONLY_62_PHP82(8) },
	{ "swoole::TimerNode", "interval", LAY(tn_interval), 1, ONLY_62_PHP82(24) },
	{ "swoole::TimerNode", "removed", LAY(tn_removed), 1, ONLY_62_PHP82(48) },
	{ "swoole::TimerNode", "data", LAY(tn_data), 1, ONLY_62_PHP82(96) },
	{ "swoole::Reactor", "defer_tasks", LAY(reactor_defers), 1, ONLY_62_PHP82(840) },
	{ "zend::Callable", "fcc", LAY(callable_fcc), 1, ONLY_62_PHP82(16) },
	{ "swoole::network::Socket", "object", LAY(socket_object), 1, ONLY_62_PHP82(32) },
	{ "EventObject", "readable_callback", LAY(evo_read), 1, ONLY_62_PHP82(16) },
	{ "EventObject", "writable_callback", LAY(evo_write), 1, ONLY_62_PHP82(24) },
};

static int swoole_detect(struct target *t)
{
	return target_sym(t, NULL, SYM_MODULE, NULL) ? 20 : 0;
}

static void read_version(struct target *t, struct swoole *s)
{
	uint64_t entry = target_sym(t, s->mod, SYM_MODULE, NULL), str;

	s->version[0] = 0;
	if (!entry || target_read_u64(t, entry + MODULE_ENTRY_VERSION, &str) ||
	    target_read_str(t, str, s->version, sizeof(s->version)) < 0)
		snprintf(s->version, sizeof(s->version), "unknown");
}

/* Offsets field by field: DWARF, else the row's value for this Swoole minor and PHP. 0, or
 * EXIT_SYMBOL when a field every walk needs is unknown; a missing heap field sets no_heap. */
static int resolve_offsets(struct swoole *s, struct elf_file *e, char *err, size_t errlen)
{
	size_t i, n = strcspn(s->version, "."), minor;
	int dwarf = 0, table = 0, php83 = s->php_api >= PHP_API_8_3;
	long v;

	/* "6.2.1" -> "6.2": layouts changed only between minor releases. PHP 8.0 (Swoole 5.1
	 * still builds for it) has another PHPContext layout: no column. */
	if (s->version[n] == '.')
		n += 1 + strcspn(s->version + n + 1, ".");
	for (minor = 0; minor < NMINORS; minor++)
		if (strlen(swoole_minors[minor]) == n && !strncmp(s->version, swoole_minors[minor], n))
			break;
	if (s->php_api < PHP_API_8_1)
		minor = NMINORS;
	for (i = 0; i < sizeof(offs_spec) / sizeof(offs_spec[0]); i++) {
		v = elf_dwarf_member_offset(e, offs_spec[i].type, offs_spec[i].member);
		if (v >= 0) {
			dwarf++;
		} else if (minor < NMINORS && (v = offs_spec[i].v[minor][php83]) >= 0) {
			table++;
			/* Those snapshots moved PHPContext.fci_cache (200); the rest matches. */
			if (offs_spec[i].field == SO(ctx_fci_cache) &&
			    elf_sym_by_name(e, SYM_CHANNEL_BASE))
				v = -1;
		}
		/* Without fci_cache only the coroutines' bodies are unknown. */
		if (v < 0 && !offs_spec[i].heap && offs_spec[i].field != SO(ctx_fci_cache)) {
			snprintf(err, errlen, "Swoole %s (PHP API %u): %s has no DWARF and codefer has "
				 "no offset table for this version (known: 5.1, 6.0, 6.1, 6.2)",
				 s->version, s->php_api, s->mod->path);
			return EXIT_SYMBOL;
		}
		if (v < 0 && offs_spec[i].heap && !s->no_heap[0])
			snprintf(s->no_heap, sizeof(s->no_heap), "%s.%s: not in DWARF, and no table "
				 "for Swoole %s on PHP API %u", offs_spec[i].type, offs_spec[i].member,
				 s->version, s->php_api);
		*(long *)((char *)s + offs_spec[i].field) = v;
	}
	snprintf(s->so_from, sizeof(s->so_from), "%s%s%s%s%s%s", dwarf ? "DWARF of " : "",
		 dwarf ? s->mod->path : "", dwarf && table ? ", then " : "",
		 table ? "table for Swoole " : "", table ? swoole_minors[minor] : "",
		 table ? (php83 ? " on PHP 8.3+" : " on PHP 8.1/8.2") : "");
	return 0;
}

/* Thread mode: where each thread's PHP globals, SwooleTG and last cid are (thread_roots).
 * ZTS PHP reaches its globals through a thread-local TSRM cache, _tsrm_ls_cache, at a
 * fixed distance from the thread pointer (initial-exec TLS), which PHP exports for its
 * JIT: the globals are at the cache plus executor_globals_offset. */
static void thread_mode_roots(struct target *t, struct swoole *s, struct elf_file *e)
{
	const struct elf_sym *tg = elf_sym_by_name(e, SYM_TG);
	const struct elf_sym *last = elf_sym_by_name(e, SYM_LAST_CID);
	struct module *php = NULL;

	s->eg_offset = target_sym(t, NULL, "executor_globals_offset", &php);
	s->cg_offset = target_sym(t, NULL, "compiler_globals_offset", NULL);
	if (!tg || !tg->is_tls || !last || !last->is_tls || !s->eg_offset || !s->cg_offset ||
	    php_tsrm_cache_offset(t, php, &s->tsrm_cache_tp)) {
		if (!s->no_heap[0])
			snprintf(s->no_heap, sizeof(s->no_heap), "thread mode: PHP's TSRM "
				 "cache (tsrm_get_ls_cache_tcb_offset) or Swoole's thread-local "
				 "roots not found");
		return;
	}
	s->tg_tls = tg->value;
	s->last_cid_tls = last->value;
	s->php_tls_ok = 1;
}

/* Everything both the plan and the census need. 0, or an exit code with err set. */
static int swoole_resolve(struct target *t, struct swoole *s, char *err, size_t errlen)
{
	const struct elf_sym *cur, *map;
	struct elf_file *e;
	char why[160];
	int zts, r;

	memset(s, 0, sizeof(*s));
	if (!target_sym(t, NULL, SYM_MODULE, &s->mod) || !s->mod || !(e = module_elf(s->mod)) ||
	    !(cur = elf_sym_by_name(e, SYM_CURRENT))) {
		snprintf(err, errlen, "swoole.so (symbols %s, %s) not found in the target",
			 SYM_MODULE, SYM_CURRENT);
		return EXIT_NO_RUNTIME;
	}
	s->php_api = php_api_version(t, &zts);
	read_version(t, s);
	map = elf_sym_by_name(e, SYM_COROUTINES);
	if (!map) {
		snprintf(err, errlen, "Swoole %s: symbol %s missing", s->version, SYM_COROUTINES);
		return EXIT_SYMBOL;
	}
	/* Thread mode (SW_THREAD, ZTS PHP): both are thread-local; coroutines is the
	 * offset in each thread's TLS block of swoole.so. */
	s->threaded = cur->is_tls;
	if (s->threaded && tls_open(t, &s->tls, err, errlen))
		return EXIT_SYMBOL;
	if (s->threaded && (!map->is_tls || !(s->modid = tls_modid(&s->tls, s->mod)))) {
		snprintf(err, errlen, "Swoole %s in thread mode: swoole.so's TLS module cannot be "
			 "found", s->version);
		return EXIT_SYMBOL;
	}
	s->current = s->threaded ? cur->value : cur->value + s->mod->bias;
	s->coroutines = s->threaded ? map->value : map->value + s->mod->bias;
	if (zts && !s->threaded) {
		snprintf(err, errlen, "Swoole %s on thread-safe PHP without thread mode: not "
			 "supported", s->version);
		return EXIT_NO_RUNTIME;
	}
	if ((r = resolve_offsets(s, e, err, errlen)))
		return r;
	/* PHP sites need the heap reader's Zend offsets; the heap walks need all of them. */
	why[0] = 0;
	s->have_php = !php_heap_open(t, &s->heap, why, sizeof(why));
	if (!s->no_heap[0] && !s->heap.walk)
		snprintf(s->no_heap, sizeof(s->no_heap), "%s", why[0] ? why : "PHP heap offsets "
			 "unknown for this PHP (no DWARF, no table)");
	if (s->threaded)
		thread_mode_roots(t, s, e);
	if (s->no_heap[0])
		snprintf(s->no_timers, sizeof(s->no_timers), "%s", s->no_heap);
	else if (!s->threaded)
		tls_main_addr(t, s->mod, SYM_TG, &s->tg, s->no_timers, sizeof(s->no_timers));
	if (!s->threaded)
		s->last_cid = target_sym(t, s->mod, SYM_LAST_CID, NULL);
	if ((cur = elf_sym_by_name(e, SYM_EVENT_DEFER_CB)))
		s->defer_cb = cur->value + s->mod->bias;
	if ((cur = elf_sym_by_name(e, SYM_EVENT_SOCKETS)))
		s->event_sockets = cur->value + s->mod->bias;
	s->events_probed = s->event_sockets && elf_sym_by_name(e, SYM_ZIF_EVENT_ADD) &&
			   elf_sym_by_name(e, SYM_ZIF_EVENT_SET) &&
			   elf_sym_by_name(e, SYM_CALLABLE_NEW) &&
			   elf_sym_by_name(e, SYM_CALLABLE_DELETE);
	return 0;
}

/* The id a coroutine's probes key it by from its cid loc: in thread mode, with the
 * thread in the upper half (cids start at 1 in every thread), as the census keys it. */
static struct loc co_key(const struct swoole *s, struct loc cid)
{
	if (s->threaded)
		cid.flags |= LOCF_THREAD;
	return cid;
}

/* swoole::Coroutine::current->cid; in thread mode `current` is the hitting thread's. */
static struct loc cid_loc(const struct swoole *s)
{
	struct loc l = { .base = LOC_ADDR, .base_off = s->current };

	l = s->threaded ? tls_var_loc(&s->tls, s->modid, s->current) : loc_deref(l, 0, 8);
	return co_key(s, loc_deref(l, s->so.co_cid, 8));
}

/* EG(current_execute_data): the running internal function's frame; in thread mode the
 * hitting thread's (its TSRM cache plus executor_globals_offset). 0, or -1 when it cannot
 * be reached. */
static int current_frame(const struct swoole *s, struct loc *ex)
{
	struct loc eg = { .base = LOC_ADDR,
			  .base_off = s->heap.eg + s->heap.o[PO_EG_CURRENT_EX] };
	uint64_t eg_off;

	if (!s->have_php)
		return -1;
	if (s->threaded) {
		if (!s->php_tls_ok || target_read_u64(s->heap.t, s->eg_offset, &eg_off))
			return -1;
		eg = (struct loc){ .base = LOC_TLS, .base_off = s->tsrm_cache_tp };
		eg = loc_deref(eg, 0, 8);
		*ex = loc_deref(eg, eg_off + s->heap.o[PO_EG_CURRENT_EX], 8);
	} else {
		*ex = loc_deref(eg, 0, 8);
	}
	return 0;
}

/* The PHP line that called the running internal function (defer(), Channel->pop()). */
static int caller_site(const struct swoole *s, struct probe_cfg *cfg)
{
	struct loc ex;

	if (current_frame(s, &ex))
		return -1;
	php_caller_site(&s->heap, ex, cfg);
	return 0;
}

/* Flag slot set to 1 for the duration of PHP's handler sym (its entry to its returns). */
static int plan_flag(const struct swoole *s, struct probe_plan *p, const char *sym,
		     uint32_t slot, struct loc co, char *err, size_t errlen)
{
	struct probe_cfg in = { .kind = EV_SAVE, .slot = slot, .co = co,
				.save = { .base = LOC_CONST, .base_off = 1 } };
	struct probe_cfg out = in;
	int r;

	out.save.base_off = 0;
	if ((r = plan_add_sym(p, s->heap.t, s->mod, sym, 0, &in, err, errlen)))
		return r;
	return plan_add_returns(p, s->mod, sym, &out, "flag off", err, errlen);
}

/* Event::defer tasks and Event::add callbacks, with timer_add's probe `timer`
 * (coroutine, site), each keyed by its zend::Callable, which Swoole deletes when it is
 * done (a task run, a socket's callbacks freed after Event::del, a callback Event::set
 * replaced): its destructor retires it. A task is queued by swoole_event_defer inside
 * Event::defer's handler; an event callback is a Callable made inside Event::add's or
 * Event::set's (the flags say so). */
static int plan_callbacks(const struct swoole *s, struct probe_plan *p,
			  struct probe_cfg timer, char *err, size_t errlen)
{
	struct probe_cfg done = { .kind = EV_TIMER_DONE, .conn = loc_reg(CFREG_RDI) };
	struct probe_cfg defer = timer, event = timer;
	int defers = s->defer_cb && elf_sym_by_name(s->mod->elf, SYM_ZIF_EVENT_DEFER) &&
		     elf_sym_by_name(s->mod->elf, SYM_SWOOLE_EVENT_DEFER) &&
		     elf_sym_by_name(s->mod->elf, SYM_CALLABLE_DELETE);
	int r;

	if (!defers)
		plan_note(p, "Event::defer tasks: read at attach only (needs swoole.so's .symtab)");
	if (!s->events_probed)
		plan_note(p, "Event::add callbacks: read at attach only (needs swoole.so's "
			  ".symtab)");
	if ((defers || s->events_probed) &&
	    (r = plan_add_sym(p, s->heap.t, s->mod, SYM_CALLABLE_DELETE, 0, &done, err, errlen)))
		return r;
	defer.flags = event.flags = PF_COND_NONZERO;
	defer.cond = (struct loc){ .base = LOC_SAVED, .reg = SAVE_IN_EVENT_DEFER };
	defer.conn = loc_reg(CFREG_RSI);
	/* Its callable: the handler's only argument, in its frame. */
	current_frame(s, &defer.pool);
	defer.pool = loc_deref(defer.pool, s->heap.frame_slot, 8);
	if (defers &&
	    ((r = plan_flag(s, p, SYM_ZIF_EVENT_DEFER, SAVE_IN_EVENT_DEFER, timer.co, err,
			    errlen)) ||
	     (r = plan_add_sym(p, s->heap.t, s->mod, SYM_SWOOLE_EVENT_DEFER, 0, &defer, err,
			       errlen))))
		return r;
	if (defers)
		plan_note(p, "Event::defer tasks: by the line calling it since attach");
	/* Callable(this, zval *fn): fn's value is the Closure, when it is one. */
	event.cond = (struct loc){ .base = LOC_SAVED, .reg = SAVE_IN_EVENT_ADD };
	event.conn = loc_reg(CFREG_RDI);
	event.pool = loc_deref(loc_reg(CFREG_RSI), 0, 8);
	if (s->events_probed &&
	    ((r = plan_flag(s, p, SYM_ZIF_EVENT_ADD, SAVE_IN_EVENT_ADD, timer.co, err,
			    errlen)) ||
	     (r = plan_flag(s, p, SYM_ZIF_EVENT_SET, SAVE_IN_EVENT_ADD, timer.co, err,
			    errlen)) ||
	     (r = plan_add_sym(p, s->heap.t, s->mod, SYM_CALLABLE_NEW, 0, &event, err,
			       errlen))))
		return r;
	if (s->events_probed)
		plan_note(p, "Event::add callbacks: by the line calling Event::add or Event::set "
			  "since attach");
	return 0;
}

/* Timer::after/tick: the id timer_add returns, armed at the PHP line calling it; the
 * node's destructor retires it (a timer node's id is its key, with the thread in thread
 * mode: ids restart in every thread's Timer). The return_value is saved in the calling
 * coroutine's entry, as every saved value: a Timer::after called outside any coroutine
 * (no current one) is not seen. */
static int plan_timers(const struct swoole *s, struct probe_plan *p, char *err, size_t errlen)
{
	struct probe_cfg save = { .kind = EV_SAVE, .slot = SAVE_RETURN_VALUE, .co = cid_loc(s),
				  .save = loc_reg(CFREG_RSI) };
	struct probe_cfg add = { .kind = EV_TIMER_ADD, .co = cid_loc(s) };
	struct probe_cfg done = { .kind = EV_TIMER_DONE };
	struct loc id = loc_deref((struct loc){ .base = LOC_SAVED, .reg = SAVE_RETURN_VALUE },
				  0, 8);
	int r;

	if (s->no_timers[0] || !elf_sym_by_name(s->mod->elf, SYM_TIMER_ADD) ||
	    !elf_sym_by_name(s->mod->elf, SYM_TIMER_DTOR) || caller_site(s, &add)) {
		plan_note(p, "timer probes: none, pending timers read at attach only (%s)",
			  s->no_timers[0] ? s->no_timers : "timer_add and timer_dtor are in "
			  "swoole.so's .symtab only, or PHP's frames cannot be read");
		return 0;
	}
	done.conn = loc_deref(loc_reg(CFREG_RDI), 0, 8);
	if (s->threaded)
		id.flags = done.conn.flags = LOCF_THREAD;
	add.conn = id;
	/* Its callable: the value of its 2nd argument (a Closure object, when it is one),
	 * still in the frame when timer_add returns. */
	current_frame(s, &add.pool);
	add.pool = loc_deref(add.pool, s->heap.frame_slot + ZVAL_SIZE, 8);
	if ((r = plan_add_sym(p, s->heap.t, s->mod, SYM_TIMER_ADD, 0, &save, err, errlen)) ||
	    (r = plan_add_returns(p, s->mod, SYM_TIMER_ADD, &add, "the timer's id", err,
				  errlen)) ||
	    (r = plan_add_sym(p, s->heap.t, s->mod, SYM_TIMER_DTOR, 0, &done, err, errlen)))
		return r;
	p->timers_probed = 1;
	plan_note(p, "timer probes: Timer::after/tick by the line calling them since attach, "
		  "by their closure's first line before");
	return plan_callbacks(s, p, add, err, errlen);
}

static int swoole_plan(struct rt_ctx *rc, struct probe_plan *p, char *err, size_t errlen)
{
	struct target *t = rc->t;
	const struct swoole *s = rc->priv;
	struct probe_cfg create = { .kind = EV_CREATE }, defer = { .kind = EV_DEFER };
	struct probe_cfg exit_ = { .kind = EV_EXIT, .flags = PF_COND_NONZERO };
	struct probe_cfg save = { .kind = EV_SAVE, .slot = 0, .save = loc_reg(CFREG_RDI) };
	/* Only objects are connections: a channel of ints or booleans is signalling. */
	struct probe_cfg get = { .kind = EV_POOL_GET, .flags = PF_COND_EQ, .cond_val = PHP_OBJECT };
	struct probe_cfg put = { .kind = EV_POOL_PUT, .flags = PF_COND_EQ, .cond_val = PHP_OBJECT };
	const struct elf_sym *pop;
	int r;

	snprintf(p->version, sizeof(p->version), "Swoole %s, PHP API %u%s", s->version,
		 s->php_api, s->threaded ? ", threads" : "");
	p->ids_per_thread = s->threaded;
	p->pools_need_round_trip = 1;
	p->exit_runs_defers = 1;

	/* A put needs no coroutine: the connection says who held it. */
	create.co = defer.co = save.co = get.co = cid_loc(s);

	/* main_func(Args *): the body is args->fci_cache->function_handler. */
	create.site_kind = SITE_PHP_FUNC;
	create.site = loc_deref(loc_deref(loc_reg(CFREG_RDI), s->so.args_fci_cache, 8),
				s->so.fcc_function_handler, 8);
	if (caller_site(s, &defer) || caller_site(s, &get)) {
		plan_note(p, "PHP sites of defers and borrows: not read (%s)", !s->have_php ?
			  "no Zend offsets" : s->no_heap);
	} else if (!s->no_heap[0]) {
		/* Through Hyperf's defer() (or Swoole's library's), and from a library's code
		 * (Hyperf's Redis and Db release their connection so): the program's line. */
		defer.flags |= PF_SITE_UP_SKIPS;
		defer.skip_up = s->heap.o[PO_EX_PREV];
		defer.skip_kinds = SKIP_WRAPPER | SKIP_LIBRARY;
		plan_note(p, "defer sites: through a PHP function or method named defer (Hyperf's "
			  "defer(), Coroutine::defer) and a library's code (Composer's vendor/, "
			  "Swoole's own PHP library), the program's line that called them (functions "
			  "loaded at attach)");
		/* Through Hyperf's Pool::get() or Swoole\ConnectionPool: the program's line. */
		get.flags |= PF_SITE_UP_SKIPS;
		get.skip_up = s->heap.o[PO_EX_PREV];
		get.skip_kinds = SKIP_LIBRARY;
		plan_note(p, "borrow sites: the first line outside a library (Composer's vendor/, "
			  "Swoole's own PHP library: Hyperf's pools, Swoole\\ConnectionPool; "
			  "functions loaded at attach)");
	}

	/* Coroutine::close(this): only coroutines with a task are PHP coroutines. */
	exit_.co = co_key(s, loc_deref(loc_reg(CFREG_RDI), s->so.co_cid, 8));
	exit_.cond = loc_deref(loc_reg(CFREG_RDI), s->so.co_task, 8);

	/* pop() returns the item (a zval*) or NULL; the connection is the zval's value, and
	 * its type byte follows the value. */
	get.pool = (struct loc){ .base = LOC_SAVED, .reg = 0 };
	get.conn = loc_deref(loc_reg(CFREG_RAX), 0, 8);
	get.cond = loc_deref(loc_reg(CFREG_RAX), ZVAL_TYPE, 1);
	put.pool = loc_reg(CFREG_RDI);
	put.conn = loc_deref(loc_reg(CFREG_RSI), 0, 8);
	put.cond = loc_deref(loc_reg(CFREG_RSI), ZVAL_TYPE, 1);

	if ((r = plan_add_sym(p, t, s->mod, SYM_MAIN_FUNC, 0, &create, err, errlen)) ||
	    (r = plan_add_sym(p, t, s->mod, SYM_DEFER, 0, &defer, err, errlen)) ||
	    (r = plan_add_sym(p, t, s->mod, SYM_CLOSE, 0, &exit_, err, errlen)))
		return r;

	pop = elf_sym_by_name(s->mod->elf, SYM_POP);
	if (!pop || !elf_sym_by_name(s->mod->elf, SYM_PUSH)) {
		plan_note(p, "pools: Channel::pop/push not found (inlined in this build): not probed");
	} else {
		if ((r = plan_add_sym(p, t, s->mod, SYM_POP, 0, &save, err, errlen)) ||
		    (r = plan_add_returns(p, s->mod, SYM_POP, &get, NULL, err, errlen)) ||
		    (r = plan_add_sym(p, t, s->mod, SYM_PUSH, 0, &put, err, errlen)))
			return r;
		plan_note(p, "pools: every Coroutine\\Channel; a pool is one whose items come back");
		plan_note(p, "pools: a push that then fails (closed channel, timeout) counts as a put");
	}
	if ((r = plan_timers(s, p, err, errlen)))
		return r;
	/* Every offset a table row gives, so --explain can be checked against a build. */
	plan_note(p, "offsets: %s: Coroutine.cid %ld task %ld, PHPContext.fci_cache %ld "
		  "defer_tasks %ld", s->so_from, s->so.co_cid, s->so.co_task, s->so.ctx_fci_cache,
		  s->so.ctx_defer_tasks);
	if (s->have_php)
		plan_note(p, "PHP sites: Zend offsets from %s (EG.current_execute_data %ld)",
			  s->heap.from, s->heap.o[PO_EG_CURRENT_EX]);
	else
		plan_note(p, "PHP sites: unavailable (no DWARF, no Zend table for PHP API %u)",
			  s->php_api);
	plan_note(p, "defers are retired at coroutine exit (their run loop has no symbol)");
	if (s->no_heap[0])
		plan_note(p, "framework pools, timers, stale state: not read: %s", s->no_heap);
	else
		plan_note(p, "framework pools, timers, stale state: PHP heap offsets from %s",
			  s->heap.from);
	if (s->no_timers[0])
		plan_note(p, "pending timers: not read: %s", s->no_timers);
	else if (s->threaded)
		plan_note(p, "pending timers: each thread's SwooleTG%s", s->event_sockets ? "" :
			  "; Event::add callbacks need swoole.so's .symtab: not read");
	else
		plan_note(p, "pending timers: SwooleTG at 0x%llx (main thread)%s",
			  (unsigned long long)s->tg, s->defer_cb && s->event_sockets ? "" :
			  "; Event::defer tasks and Event::add callbacks need swoole.so's .symtab: "
			  "not read");
	return 0;
}

struct defer_walk {
	struct target *t;
	const struct swoole *s;
	struct census_coro *co;
};

/* One zend::Function * of the defer stack. */
static int add_defer(void *arg, uint64_t item)
{
	struct defer_walk *d = arg;
	uint64_t func;
	struct site fn;

	if (target_read_u64(d->t, item + d->s->so.fn_fci_cache + d->s->so.fcc_function_handler,
			    &func))
		func = 0;
	php_function_site(d->t, d->s->have_php ? &d->s->heap : NULL, func, &fn);
	/* The registering line is gone from memory; the closure's first line is the same
	 * line for the usual defer(function () {...}). */
	return census_add_defer(d->co, &fn, &fn);
}

/* Pending defers of one PHPContext, oldest first. 0; 1 when there were more than
 * WALK_MAX_DEFERS; -1 when the deque is unreadable (or memory ran out). */
static int walk_defers(struct target *t, const struct swoole *s, uint64_t ctx,
		       struct census_coro *co)
{
	struct defer_walk d = { t, s, co };
	uint64_t stack;
	int r;

	if (target_read_u64(t, ctx + s->so.ctx_defer_tasks, &stack))
		return -1;
	if (!stack)
		return 0;
	r = std_deque_each(t, stack, WALK_MAX_DEFERS, add_defer, &d);
	return r < 0 ? -1 : r;
}

enum { CO_INIT, CO_WAITING, CO_RUNNING, CO_END };

static const char *state_name(uint32_t state)
{
	static const char *const names[] = { "init", "waiting", "running", "end" };

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}

/* A pending PHP callback: its zend_fcall_info_cache is at fcc (in a timer's
 * zend::Function, an Event::defer task's zend::Callable). */
static int add_callback(struct target *t, struct swoole *s, struct census *c, uint64_t id,
			const char *kind, int64_t interval, uint64_t fcc)
{
	struct census_timer *tm = census_add_timer(c);
	uint64_t func;

	if (!tm)
		return -1;
	tm->id = id;
	snprintf(tm->kind, sizeof(tm->kind), "%s", kind);
	tm->interval_ms = interval;
	if (target_read_u64(t, fcc + s->so.fcc_function_handler, &func))
		func = 0;
	/* Where it was registered is gone from memory: its closure's first line is the
	 * line of the usual Timer::after(ms, function () use (...) {...}). */
	php_function_site(t, &s->heap, func, &tm->site);
	php_closure_captures(&s->heap, func, tm);
	return 0;
}

/* Event::add's sockets (a process-wide map, also in thread mode): each one's EventObject
 * holds its read and write callbacks, keyed by their zend::Callable as the probes key
 * them. 0, or -1 out of memory. */
static int walk_event_sockets(struct target *t, struct swoole *s, struct census *c)
{
	const struct swoole_layout *l = &s->lay;
	uint64_t count, node, obj, cb[2];
	struct umap_node nd;
	size_t seen = 0;
	int k;

	if (!s->event_sockets || target_read_u64(t, s->event_sockets + UMAP_COUNT, &count) ||
	    target_read_u64(t, s->event_sockets + UMAP_BEFORE_BEGIN, &node))
		return 0;
	for (; node; node = nd.next) {
		if (++seen > count || seen > WALK_MAX_TIMERS ||
		    target_read(t, node, &nd, sizeof(nd)) ||
		    target_read_u64(t, nd.value + l->socket_object, &obj)) {
			snprintf(c->warning, sizeof(c->warning),
				 "Event::add sockets unreadable or longer than their count");
			break;
		}
		if (!obj || target_read_u64(t, obj + l->evo_read, &cb[0]) ||
		    target_read_u64(t, obj + l->evo_write, &cb[1]))
			continue;
		for (k = 0; k < 2; k++)
			if (cb[k] && add_callback(t, s, c, s->events_probed ? cb[k] : 0, "event",
						  0, cb[k] + l->callable_fcc))
				return -1;
	}
	return 0;
}

/* Pending Timer::after/tick timers (SwooleTG.timer's map; coroutine sleeps and Swoole's
 * own timers are TYPE_KERNEL and not counted), Event::add callbacks (its socket map) and
 * Event::defer tasks (the reactor's defer list), of thread tid in thread mode (else 0).
 * 0, or -1 out of memory; what cannot be read leaves a warning. */
static int walk_timers(struct target *t, struct swoole *s, struct census *c, uint32_t tid)
{
	const struct swoole_layout *l = &s->lay;
	uint64_t timer, count, node, reactor, cm, head, fn, data, id;
	int64_t interval;
	struct umap_node nd;
	uint32_t type;
	uint8_t removed;
	size_t seen = 0;

	if (target_read_u64(t, s->tg + l->tg_timer, &timer) ||
	    (timer && (target_read_u64(t, timer + l->timer_map + UMAP_COUNT, &count) ||
		       target_read_u64(t, timer + l->timer_map + UMAP_BEFORE_BEGIN, &node)))) {
		snprintf(c->warning, sizeof(c->warning), "SwooleTG.timer unreadable: timers not read");
		return 0;
	}
	for (node = timer ? node : 0; node; node = nd.next) {
		if (++seen > count || seen > WALK_MAX_TIMERS ||
		    target_read(t, node, &nd, sizeof(nd)) ||
		    target_read_u32(t, nd.value + l->tn_type, &type) ||
		    target_read(t, nd.value + l->tn_removed, &removed, 1) ||
		    target_read_u64(t, nd.value + l->tn_interval, (uint64_t *)&interval) ||
		    target_read_u64(t, nd.value + l->tn_data, &data)) {
			snprintf(c->warning, sizeof(c->warning),
				 "timer list unreadable or longer than its count: walk cut short");
			break;
		}
		/* Timer ids restart in every thread's Timer: keyed as the probes key them. */
		id = tid ? (uint64_t)tid << 32 | (uint32_t)nd.key : (uint64_t)nd.key;
		if (type == TIMER_TYPE_PHP && !removed &&
		    add_callback(t, s, c, id, interval > 0 ? "tick" : "after",
				 interval > 0 ? interval : 0, data + s->so.fn_fci_cache))
			return -1;
	}
	if (!s->threaded && walk_event_sockets(t, s, c))
		return -1;
	/* CallbackManager: a std::list of {std::function, data}; a plain function pointer
	 * is stored in the std::function's first word. */
	if (!s->defer_cb || target_read_u64(t, s->tg + l->tg_reactor, &reactor) || !reactor ||
	    target_read_u64(t, reactor + l->reactor_defers, &cm) || !cm)
		return 0;
	for (seen = 0, head = cm, node = head; seen < WALK_MAX_TIMERS; seen++) {
		if (target_read_u64(t, node, &node) || node == head)
			break;
		if (target_read_u64(t, node + 16, &fn) || target_read_u64(t, node + 48, &data))
			break;
		if (fn == s->defer_cb &&
		    add_callback(t, s, c, data, "defer", 0, data + l->callable_fcc))
			return -1;
	}
	return 0;
}

/* The frame a coroutine is at: the engine's own while it runs, else the one it saved. */
static uint64_t coroutine_frame(struct target *t, const struct swoole *s, uint64_t task,
				uint32_t state)
{
	uint64_t ex = 0;

	if (state == CO_RUNNING)
		target_read_u64(t, s->heap.eg + s->heap.o[PO_EG_CURRENT_EX], &ex);
	else
		target_read_u64(t, task + s->so.ctx_execute_data, &ex);
	return ex;
}

/* Thread mode: points the heap walks at thread pd's own roots (its executor and compiler
 * globals through its TSRM cache, its SwooleTG, its last cid). 0, or -1 when the thread
 * has none of them (it never ran PHP or Swoole). */
static int thread_roots(struct swoole *s, uint64_t pd)
{
	struct target *t = s->heap.t;
	uint64_t sw_block, cache, eg_off, cg_off;

	if (tls_block(&s->tls, pd, s->modid, &sw_block) ||
	    target_read_u64(t, pd + s->tsrm_cache_tp, &cache) || !cache ||
	    target_read_u64(t, s->eg_offset, &eg_off) || target_read_u64(t, s->cg_offset, &cg_off))
		return -1;
	s->heap.eg = cache + eg_off;
	s->heap.cg = cache + cg_off;
	s->tg = sw_block + s->tg_tls;
	s->last_cid = sw_block + s->last_cid_tls;
	return 0;
}

/* What the heap says about one thread's PHP (the process's, NTS): framework pools and
 * their holders among cos, pending timers, state kept for ended coroutines (cids: the
 * thread's live coroutine ids). 0, or -1 out of memory. */
static int heap_walks(struct swoole *s, struct census *c, const struct php_co *cos,
		      size_t nco, uint64_t *cids, size_t ncids, uint32_t tid)
{
	int64_t last_cid;
	char prefix[32] = "";

	if (php_pools_census(&s->heap, &s->lay, c, cos, nco))
		return -1;
	if (!s->no_timers[0] && walk_timers(s->heap.t, s, c, tid))
		return -1;
	if (!cids || !s->last_cid || target_read_u64(s->heap.t, s->last_cid, (uint64_t *)&last_cid))
		return 0;
	if (tid)
		snprintf(prefix, sizeof(prefix), "[thread %u] ", tid);
	qsort(cids, ncids, sizeof(*cids), cmp_u64);
	return php_stale_census(&s->heap, c, last_cid, cids, ncids, prefix);
}

static int swoole_census(struct rt_ctx *rc, struct census *c, char *err, size_t errlen)
{
	struct target *t = rc->t;
	struct swoole *s = rc->priv;
	int heap_ok = !s->no_heap[0], heap = heap_ok;
	struct php_co *cos = NULL, *v;
	size_t nco = 0, capco = 0;
	uint64_t *cids = NULL;		/* every live coroutine id, internal ones too */
	struct umap_node nd;
	struct census_coro *co;
	struct timespec now;
	uint64_t count, node, task, fn;
	uint32_t state;
	int64_t cid, init_msec;
	struct tls_thread th[MAX_THREADS];
	uint64_t map = s->coroutines;
	uint32_t tid = 0;
	size_t seen = 0;
	int r, ti, nth = 1;

	snprintf(c->version, sizeof(c->version), "Swoole %s%s", s->version,
		 s->threaded ? " (threads)" : "");
	clock_gettime(CLOCK_MONOTONIC, &now);
	/* Thread mode: every thread has its own coroutines, in its TLS block of swoole.so. */
	if (s->threaded && (nth = tls_threads(&s->tls, th, MAX_THREADS)) < 0) {
		snprintf(err, errlen, "cannot read glibc's list of threads");
		return census_unreadable(t);
	}
	for (ti = 0; ti < nth; ti++) {
		if (s->threaded) {
			if (tls_block(&s->tls, th[ti].pd, s->modid, &map))
				continue;	/* a thread that never ran Swoole */
			map += s->coroutines;
			tid = th[ti].tid;
			heap = heap_ok && !thread_roots(s, th[ti].pd);
		}
		seen = 0;
		nco = 0;
		if (target_read_u64(t, map + UMAP_COUNT, &count) ||
		    target_read_u64(t, map + UMAP_BEFORE_BEGIN, &node)) {
			snprintf(err, errlen, "cannot read swoole::Coroutine::coroutines");
			return census_unreadable(t);
		}
		for (; node; node = nd.next) {
			if (++seen > count || seen > WALK_MAX_COROS) {
				snprintf(c->warning, sizeof(c->warning),
					 "coroutine list longer than its count (%llu): walk cut short",
					 (unsigned long long)count);
				break;
			}
			if (target_read(t, node, &nd, sizeof(nd)) ||
			    target_read_u32(t, nd.value + s->so.co_state, &state) ||
			    target_read_u64(t, nd.value + s->so.co_cid, (uint64_t *)&cid) ||
			    target_read_u64(t, nd.value + s->so.co_task, &task) ||
			    target_read_u64(t, nd.value + s->so.co_init_msec, (uint64_t *)&init_msec) ||
			    cid != nd.key) {
				snprintf(c->warning, sizeof(c->warning),
					 "unreadable coroutine in the list (node 0x%llx): walk cut short",
					 (unsigned long long)node);
				break;
			}
			if (heap && count <= WALK_MAX_COROS && !cids && !(cids = malloc(count * 8 + 8))) {
				snprintf(err, errlen, "out of memory");
				return EXIT_FAILURE_;
			}
			if (cids)
				cids[seen - 1] = (uint64_t)cid;
			/* Coroutines without a task are Swoole's internal C++ ones. */
			if (!task)
				continue;
			/* Keyed by (thread, cid): cids start at 1 in every thread. */
			co = census_add_coro(c, tid ? (uint64_t)tid << 32 | (uint32_t)cid : (uint64_t)cid);
			if (!co) {
				snprintf(c->warning, sizeof(c->warning),
					 "more than %d coroutines: walk cut short", WALK_MAX_COROS);
				break;
			}
			co->thread = tid;
			snprintf(co->state, sizeof(co->state), "%s", state_name(state));
			/* init_msec is steady_clock (CLOCK_MONOTONIC) milliseconds: only comparable
			 * with now on the same running machine. */
			if (t->pid)
				co->age_ns = (now.tv_sec * 1000 + now.tv_nsec / 1000000 - init_msec) * 1000000;
			/* The body, as the create probe reports it: the context's fci_cache. */
			if (s->so.ctx_fci_cache >= 0 &&
			    !target_read_u64(t, task + s->so.ctx_fci_cache + s->so.fcc_function_handler, &fn)) {
				co->create_site.kind = SITE_PHP_FUNC;
				co->create_site.addr = fn;
			}
			/* Walks at snapshots leave the defers to the probes (rewalks_heap). */
			r = c->scope == CENSUS_UNPROBED ? 0 : walk_defers(t, s, task, co);
			if (r > 0)
				snprintf(c->warning, sizeof(c->warning), "coroutine %lld: more than %d "
					 "pending defers, list cut short", (long long)cid, WALK_MAX_DEFERS);
			else if (r < 0)
				snprintf(c->warning, sizeof(c->warning),
					 "coroutine %lld: unreadable defer stack", (long long)cid);
			if (!heap)
				continue;
			if (nco == capco) {
				capco = capco ? 2 * capco : 64;
				if (!(v = realloc(cos, capco * sizeof(*v)))) {
					free(cos);
					free(cids);
					snprintf(err, errlen, "out of memory");
					return EXIT_FAILURE_;
				}
				cos = v;
			}
			cos[nco] = (struct php_co){ .coro = c->ncoros - 1,
						    .ex = coroutine_frame(t, s, task, state) };
			if (target_read_u64(t, task + s->lay.ctx_context, &cos[nco].context))
				cos[nco].context = 0;
			if (cos[nco].ex)
				php_wait_site(&s->heap, &s->lib_files, cos[nco].ex, &co->wait_site);
			nco++;
		}
		r = heap ? heap_walks(s, c, cos, nco, cids, seen - (node != 0), tid) : 0;
		free(cids);
		cids = NULL;
		if (r) {
			free(cos);
			snprintf(err, errlen, "out of memory");
			return EXIT_FAILURE_;
		}
	}
	free(cos);
	/* Thread mode: Event::add's sockets once, not in every thread's walk. */
	if (s->threaded && heap_ok && !s->no_timers[0] && walk_event_sockets(t, s, c)) {
		snprintf(err, errlen, "out of memory");
		return EXIT_FAILURE_;
	}
	/* For the defer and borrow probes (PF_SITE_UP_SKIPS): the wrappers and library
	 * functions loaded by now (at attach: a scan of every function and class costs
	 * thousands of reads, too many for every walk; Hyperf loads its own at boot). */
	if (heap_ok && !s->threaded && c->scope == CENSUS_PROBED &&
	    (c->site_skips = calloc(MAX_SITE_SKIPS, sizeof(*c->site_skips)))) {
		long n = php_site_skips(&s->heap, c->site_skips, MAX_SITE_SKIPS);

		c->nsite_skips = n > 0 ? (size_t)n : 0;
	}
	return 0;
}

static void swoole_callback_captures(struct rt_ctx *rc, uint64_t callable,
				     struct census_timer *tm)
{
	const struct swoole *s = rc->priv;

	if (!s->no_heap[0])
		php_object_captures(&s->heap, callable, tm);
}

static int swoole_open(struct rt_ctx *c, char *err, size_t errlen)
{
	if (!(c->priv = calloc(1, sizeof(struct swoole)))) {
		snprintf(err, errlen, "out of memory");
		return EXIT_FAILURE_;
	}
	return swoole_resolve(c->t, c->priv, err, errlen);
}

static void swoole_close(struct rt_ctx *c)
{
	struct swoole *s = c->priv;

	if (s)
		php_heap_close(&s->heap);
	free(s);
}

const struct runtime runtime_swoole = {
	.name = "swoole",
	.id_is_number = 1,
	.looks_for = "Swoole (swoole.so with swoole::Coroutine::current)",
	.detect = swoole_detect,
	.open = swoole_open,
	.close = swoole_close,
	.plan = swoole_plan,
	.census = swoole_census,
	.walks_links = 1,
	.callback_captures = swoole_callback_captures,
	.describe_site = php_describe_site,
	.rewalks_heap = 1,
};
