// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The `php-fiber` profile: PHP 8.1+ Fibers, and the Zend engine knowledge that the swoole
 * profile shares (offsets, PHP file:line sites).
 *
 * Every Fiber passes through two exported Zend functions: zend_fiber_init_context(context,
 * kind, coroutine, stack_size) when Fiber::start() gives it a stack, and
 * zend_fiber_destroy_context(context) when it has finished (or was unwound because its
 * object was freed while suspended). The zend_fiber_context* is the coroutine id. Fibers
 * have no defer mechanism; what leaks is fibers that never finish, so the profile counts
 * them and names the body function (file:line) each one runs.
 *
 * The census finds fibers that were started before attach (and in core files) in the
 * object store, EG(objects_store): every object whose class is zend_ce_fiber and whose
 * context is running or suspended.
 *
 * Debian's php8.2 is stripped (.dynsym only, no -dbgsym package in the main archive), so
 * the Zend offsets come from a table keyed by the PHP API number (8.1 to 8.4), unless the
 * PHP binary or a loaded extension carries DWARF with Zend's types.
 */
#define _GNU_SOURCE	/* memmem */
#include <stdio.h>
#include <string.h>
#include "elfsym.h"
#include "php_fiber.h"

/* ZEND_USER_FUNCTION in zend_function.type. */
#define ZEND_USER_FUNCTION 2
/* zend_fiber_status: ZEND_FIBER_STATUS_RUNNING and _SUSPENDED are the live ones. */
#define FIBER_RUNNING 1
#define FIBER_SUSPENDED 2
/* Object store buckets read at a time by the census. */
#define BUCKET_CHUNK 4096

/* What the Fiber census needs beyond the shared Zend offsets. */
struct fiber_offs {
	long eg_store_buckets, eg_store_top;	/* EG(objects_store).object_buckets, .top */
	long obj_ce;				/* zend_object */
	long fiber_context, ctx_status;		/* zend_fiber, zend_fiber_context */
	long fiber_function;			/* zend_fiber.fci_cache.function_handler */
};

/* Offsets for PHP binaries without DWARF, by PHP API: zend_op_array and zend_fiber change
 * between minor releases and 8.4 moved EG(objects_store), while PHP keeps its ABI within a
 * minor release, so one row serves every patch release. Measured with offsetof() against
 * php-src headers, NTS, x86-64 (configure --disable-all): 8.1.2 and 8.1.29-dev; 8.2.19-dev
 * and Debian's php8.2-dev 8.2.36; 8.3.6-dev; 8.4.24 and Debian's php8.4-dev 8.4.27 (the
 * headers of one minor agree). The tests check the 8.2 row against Debian's stripped php8.2;
 * the 8.4 row passed the same tests against Debian's php8.4 8.4.24. ZEND_USER_FUNCTION and
 * the fiber states above are the same in all four. */
static const struct php_table {
	unsigned api;
	const char *php;
	struct zend_offs zend;		/* .from is filled in when used */
	struct fiber_offs fiber;
} php_tables[] = {
	{ PHP_API_8_1, "8.1",
	  { .eg_current_execute_data = 488, .ex_opline = 0, .ex_func = 24, .ex_prev = 48,
	    .op_lineno = 24, .fn_type = 0, .fn_filename = 144, .fn_line_start = 152 },
	  { .eg_store_buckets = 840, .eg_store_top = 848, .obj_ce = 16,
	    .fiber_context = 64, .ctx_status = 32, .fiber_function = 232 } },
	{ PHP_API_8_2, "8.2",
	  { .eg_current_execute_data = 488, .ex_opline = 0, .ex_func = 24, .ex_prev = 48,
	    .op_lineno = 24, .fn_type = 0, .fn_filename = 152, .fn_line_start = 160 },
	  { .eg_store_buckets = 840, .eg_store_top = 848, .obj_ce = 16,
	    .fiber_context = 64, .ctx_status = 40, .fiber_function = 248 } },
	{ PHP_API_8_3, "8.3",
	  { .eg_current_execute_data = 488, .ex_opline = 0, .ex_func = 24, .ex_prev = 48,
	    .op_lineno = 24, .fn_type = 0, .fn_filename = 144, .fn_line_start = 152 },
	  { .eg_store_buckets = 840, .eg_store_top = 848, .obj_ce = 16,
	    .fiber_context = 64, .ctx_status = 40, .fiber_function = 248 } },
	{ PHP_API_8_4, "8.4",
	  { .eg_current_execute_data = 488, .ex_opline = 0, .ex_func = 24, .ex_prev = 48,
	    .op_lineno = 24, .fn_type = 0, .fn_filename = 168, .fn_line_start = 176 },
	  { .eg_store_buckets = 856, .eg_store_top = 864, .obj_ce = 16,
	    .fiber_context = 64, .ctx_status = 40, .fiber_function = 248 } },
};

/* The table row for a PHP API, NULL if there is none. */
static const struct php_table *php_table(unsigned api)
{
	size_t i;

	for (i = 0; i < sizeof(php_tables) / sizeof(php_tables[0]); i++)
		if (php_tables[i].api == api)
			return &php_tables[i];
	return NULL;
}

unsigned php_api_version(struct target *t, int *zts)
{
	struct module *m = NULL;
	const char *data, *p, *end;
	uint64_t vaddr;
	size_t size;
	unsigned api;
	char tail[4];

	*zts = 0;
	if (!target_sym(t, NULL, "executor_globals", &m) || !m || !module_elf(m))
		return 0;
	data = elf_section(m->elf, ".rodata", &size, &vaddr);
	if (!data)
		return 0;
	for (p = data, end = data + size; (p = memmem(p, end - p, "API20", 5)); p += 5) {
		/* The string is NUL-terminated in .rodata, so sscanf stays inside it. */
		if (memchr(p, 0, end - p) && sscanf(p, "API%u,%3s", &api, tail) == 2 &&
		    (!strcmp(tail, "NTS") || !strcmp(tail, "TS"))) {
			*zts = !strcmp(tail, "TS");
			return api;
		}
	}
	return 0;
}

/* The module whose DWARF describes Zend's structures: the PHP binary (or libphp) itself,
 * else any module built with -g against PHP's headers (swoole.so is). NULL if none. */
static struct elf_file *zend_dwarf(struct target *t)
{
	struct module *m = NULL;
	int i;

	if (target_sym(t, NULL, "executor_globals", &m) && m && module_elf(m) &&
	    elf_file_has_dwarf(m->elf) && elf_dwarf_type_size(m->elf, "_zend_executor_globals") > 0)
		return m->elf;
	for (i = 0; i < t->nmods; i++) {
		struct elf_file *e = module_elf(&t->mods[i]);

		if (e && elf_file_has_dwarf(e) && elf_dwarf_type_size(e, "_zend_executor_globals") > 0)
			return e;
	}
	return NULL;
}

static int dwarf_zend_offsets(struct elf_file *e, struct zend_offs *o)
{
	o->eg_current_execute_data =
		elf_dwarf_member_offset(e, "_zend_executor_globals", "current_execute_data");
	o->ex_opline = elf_dwarf_member_offset(e, "_zend_execute_data", "opline");
	o->ex_func = elf_dwarf_member_offset(e, "_zend_execute_data", "func");
	o->ex_prev = elf_dwarf_member_offset(e, "_zend_execute_data", "prev_execute_data");
	o->op_lineno = elf_dwarf_member_offset(e, "_zend_op", "lineno");
	o->fn_type = elf_dwarf_member_offset(e, "_zend_function", "type");
	o->fn_filename = elf_dwarf_member_offset(e, "_zend_function", "op_array.filename");
	o->fn_line_start = elf_dwarf_member_offset(e, "_zend_function", "op_array.line_start");
	snprintf(o->from, sizeof(o->from), "DWARF of %s", elf_file_path(e));
	return o->eg_current_execute_data < 0 || o->ex_opline < 0 || o->ex_func < 0 ||
	       o->ex_prev < 0 || o->op_lineno < 0 || o->fn_type < 0 || o->fn_filename < 0 ||
	       o->fn_line_start < 0 ? -1 : 0;
}

int php_target_zend_offsets(struct target *t, struct zend_offs *o)
{
	/* describe_site asks for every site it prints: remember the last target's answer
	 * (the module list identifies an open target). */
	static struct {
		const struct module *mods;
		int nmods, ok;
		struct zend_offs o;
	} last;
	struct elf_file *e;
	unsigned api;
	int zts;

	if (last.mods && last.mods == t->mods && last.nmods == t->nmods) {
		*o = last.o;
		return last.ok ? 0 : -1;
	}
	api = php_api_version(t, &zts);
	e = zend_dwarf(t);
	last.mods = t->mods;
	last.nmods = t->nmods;
	last.ok = 0;
	if (zts)
		return -1;
	if (!(e && !dwarf_zend_offsets(e, o))) {
		const struct php_table *pt = php_table(api);

		if (!pt)
			return -1;
		*o = pt->zend;
		snprintf(o->from, sizeof(o->from), "table for PHP %s (API %u)", pt->php, api);
	}
	last.o = *o;
	last.ok = 1;
	return 0;
}

void php_caller_site(const struct zend_offs *o, struct loc frame, struct probe_cfg *cfg)
{
	struct loc caller = loc_deref(frame, o->ex_prev, 8);

	cfg->site_kind = SITE_PHP;
	cfg->site = loc_deref(loc_deref(caller, o->ex_func, 8), o->fn_filename, 8);
	cfg->site_aux = loc_deref(loc_deref(caller, o->ex_opline, 8), o->op_lineno, 4);
}

void php_function_site(struct target *t, const struct zend_offs *o, uint64_t func,
		       struct site *out)
{
	uint64_t file;
	uint32_t line;
	uint8_t type;

	memset(out, 0, sizeof(*out));
	out->addr = func;
	if (!o || !func || target_read(t, func + o->fn_type, &type, 1) ||
	    type != ZEND_USER_FUNCTION || target_read_u64(t, func + o->fn_filename, &file) ||
	    target_read_u32(t, func + o->fn_line_start, &line))
		return;
	out->kind = SITE_PHP;
	out->addr = file;
	out->aux = line;
}

void php_describe_site(struct rt_ctx *rc, const struct site *s, char *buf, size_t len)
{
	struct target *t = rc->t;
	/* zend_string layout (refcount, hash, len, val[]) is the same in every PHP 7 and 8. */
	struct site fs = *s;
	struct zend_offs zo;
	char name[512];
	uint64_t n;

	if (s->kind == SITE_PHP_FUNC && s->addr)
		php_function_site(t, php_target_zend_offsets(t, &zo) ? NULL : &zo, s->addr, &fs);
	if (!fs.addr) {
		snprintf(buf, len, "-");
		return;
	}
	if (fs.kind != SITE_PHP || target_read_u64(t, fs.addr + 16, &n) || !n || n > 4096 ||
	    target_read(t, fs.addr + 24, name, n < sizeof(name) ? n : sizeof(name) - 1)) {
		snprintf(buf, len, "0x%llx:%llu", (unsigned long long)fs.addr,
			 (unsigned long long)fs.aux);
		return;
	}
	name[n < sizeof(name) ? n : sizeof(name) - 1] = 0;
	snprintf(buf, len, "%s:%llu", name, (unsigned long long)fs.aux);
}

static int fiber_offsets(struct target *t, struct fiber_offs *f)
{
	struct elf_file *e = zend_dwarf(t);
	const struct php_table *pt;
	int zts;

	if (e) {
		f->eg_store_buckets = elf_dwarf_member_offset(e, "_zend_executor_globals",
							      "objects_store.object_buckets");
		f->eg_store_top = elf_dwarf_member_offset(e, "_zend_executor_globals",
							  "objects_store.top");
		f->obj_ce = elf_dwarf_member_offset(e, "_zend_object", "ce");
		f->fiber_context = elf_dwarf_member_offset(e, "_zend_fiber", "context");
		f->ctx_status = elf_dwarf_member_offset(e, "_zend_fiber_context", "status");
		f->fiber_function = elf_dwarf_member_offset(e, "_zend_fiber",
							    "fci_cache.function_handler");
		if (f->eg_store_buckets >= 0 && f->eg_store_top >= 0 && f->obj_ce >= 0 &&
		    f->fiber_context >= 0 && f->ctx_status >= 0 && f->fiber_function >= 0)
			return 0;
	}
	pt = php_table(php_api_version(t, &zts));
	if (!pt || zts)
		return -1;
	*f = pt->fiber;
	return 0;
}

static int php_fiber_detect(struct target *t)
{
	return target_sym(t, NULL, "zend_fiber_init_context", NULL) ? 10 : 0;
}

static int php_fiber_plan(struct rt_ctx *rc, struct probe_plan *p, char *err, size_t errlen)
{
	struct target *t = rc->t;
	struct probe_cfg create = { .kind = EV_CREATE, .co = loc_reg(CFREG_RDI) };
	struct probe_cfg exit_ = { .kind = EV_EXIT, .co = loc_reg(CFREG_RDI) };
	struct module *m = NULL;
	struct fiber_offs f;
	unsigned api;
	int zts, r;

	if (!target_sym(t, NULL, "zend_fiber_init_context", &m) || !m) {
		snprintf(err, errlen, "zend_fiber_init_context not found: not PHP 8.1 or later");
		return EXIT_NO_RUNTIME;
	}
	api = php_api_version(t, &zts);
	snprintf(p->version, sizeof(p->version), "PHP API %u%s", api, zts ? " ZTS" : "");
	/* The site is the fiber's body, context->(fiber)->fci_cache.function_handler. The
	 * line calling start() would need a second word, which a coroutine's creation site
	 * does not have. */
	if (fiber_offsets(t, &f)) {
		plan_note(p, "creation sites: unavailable (no DWARF and no offset table for PHP "
			  "API %u%s)", api, zts ? " ZTS" : "");
	} else {
		create.site_kind = SITE_PHP_FUNC;
		create.site = loc_deref(loc_reg(CFREG_RDI), f.fiber_function - f.fiber_context, 8);
		plan_note(p, "creation sites: the fiber's body function");
	}
	if ((r = plan_add_sym(p, t, m, "zend_fiber_init_context", 0, &create, err, errlen)) ||
	    (r = plan_add_sym(p, t, m, "zend_fiber_destroy_context", 0, &exit_, err, errlen)))
		return r;
	plan_note(p, "coroutine id: the zend_fiber_context*; fibers have no defers or pools");
	return 0;
}

/* One object store entry: a started, unfinished Fiber becomes a census coroutine. */
static int census_object(struct target *t, const struct fiber_offs *f, uint64_t obj,
			 uint64_t fiber_ce, struct census *c)
{
	struct census_coro *co;
	uint64_t ce, func;
	uint32_t status;

	/* Free slots hold the next free index with the low bit set. */
	if (!obj || (obj & 1) || target_read_u64(t, obj + f->obj_ce, &ce) || ce != fiber_ce ||
	    target_read_u32(t, obj + f->fiber_context + f->ctx_status, &status) ||
	    (status != FIBER_RUNNING && status != FIBER_SUSPENDED))
		return 0;
	co = census_add_coro(c, obj + f->fiber_context);
	if (!co)
		return -1;
	snprintf(co->state, sizeof(co->state), "%s",
		 status == FIBER_RUNNING ? "running" : "suspended");
	if (!target_read_u64(t, obj + f->fiber_function, &func)) {
		co->create_site.kind = SITE_PHP_FUNC;
		co->create_site.addr = func;
	}
	return 0;
}

static int php_fiber_census(struct rt_ctx *rc, struct census *c, char *err, size_t errlen)
{
	struct target *t = rc->t;
	uint64_t eg, ce_sym, fiber_ce, buckets, chunk[BUCKET_CHUNK];
	struct fiber_offs f;
	uint32_t top, i, n, k;
	unsigned api;
	int zts;

	if (!target_sym(t, NULL, "zend_fiber_init_context", NULL)) {
		snprintf(err, errlen, "zend_fiber_init_context not found: not PHP 8.1 or later");
		return EXIT_NO_RUNTIME;
	}
	api = php_api_version(t, &zts);
	snprintf(c->version, sizeof(c->version), "PHP API %u", api);
	eg = target_sym(t, NULL, "executor_globals", NULL);
	ce_sym = target_sym(t, NULL, "zend_ce_fiber", NULL);
	if (zts || !eg || !ce_sym) {
		snprintf(err, errlen, "%s", zts ? "thread-safe PHP keeps its globals in TLS: "
				     "not supported" : "executor_globals or zend_ce_fiber not found");
		return EXIT_SYMBOL;
	}
	if (fiber_offsets(t, &f)) {
		snprintf(err, errlen, "PHP API %u: no DWARF and no offset table for it", api);
		return EXIT_SYMBOL;
	}
	if (target_read_u64(t, ce_sym, &fiber_ce) || !fiber_ce ||
	    target_read_u64(t, eg + f.eg_store_buckets, &buckets) ||
	    target_read_u32(t, eg + f.eg_store_top, &top)) {
		snprintf(err, errlen, "cannot read the object store");
		return census_unreadable(t);
	}
	/* Handle 0 is never used; the store only grows, so top bounds it. */
	for (i = 1; buckets && i < top; i += n) {
		n = top - i < BUCKET_CHUNK ? top - i : BUCKET_CHUNK;
		if (target_read(t, buckets + (uint64_t)i * 8, chunk, (size_t)n * 8)) {
			snprintf(c->warning, sizeof(c->warning),
				 "object store unreadable at handle %u of %u: walk cut short", i, top);
			break;
		}
		for (k = 0; k < n; k++) {
			if (census_object(t, &f, chunk[k], fiber_ce, c)) {
				snprintf(c->warning, sizeof(c->warning),
					 "more than %d fibers: walk cut short", WALK_MAX_COROS);
				return 0;
			}
		}
	}
	return 0;
}

const struct runtime runtime_php_fiber = {
	.name = "php-fiber",
	.id_is_number = 0,
	.looks_for = "PHP fibers (zend_fiber_init_context)",
	.detect = php_fiber_detect,
	.plan = php_fiber_plan,
	.census = php_fiber_census,
	.describe_site = php_describe_site,
};
