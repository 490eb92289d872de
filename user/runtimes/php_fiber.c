// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The `php-fiber` profile: PHP 8.1+ Fibers, and the Zend engine knowledge that the swoole
 * profile shares (offsets, PHP file:line sites).
 *
 * Every Fiber passes through two exported Zend functions: zend_fiber_init_context(context,
 * kind, coroutine, stack_size) when Fiber::start() gives it a stack, and
 * zend_fiber_destroy_context(context) when it has finished (or was unwound because its
 * object was freed while suspended). The zend_fiber_context* is the coroutine id. Fibers
 * have no defer mechanism; what leaks is fibers that never finish, so the profile counts
 * them and names the PHP line that started each one.
 *
 * Debian's php8.2 is stripped (.dynsym only, no -dbgsym package in the main archive), so
 * the Zend offsets come from a table keyed by the PHP API number, unless the binary
 * carries DWARF (a self-built PHP).
 */
#define _GNU_SOURCE	/* memmem */
#include <stdio.h>
#include <string.h>
#include "elfsym.h"
#include "php_fiber.h"

/* ZEND_MODULE_API_NO per PHP minor version; the build id string "API20220829,NTS" is in
 * every PHP binary (extensions are checked against it when loaded). */
#define PHP_API_8_2 20220829u

/* Measured with offsetof() against Debian's php8.2-dev headers (8.2.36, NTS, x86-64) and
 * checked against the running Debian php8.2 by the tests. */
static const struct zend_offs zend_8_2 = {
	.eg_current_execute_data = 488,
	.ex_opline = 0, .ex_func = 24, .ex_prev = 48,
	.op_lineno = 24,
	.fn_type = 0, .fn_filename = 152, .fn_line_start = 160,
	.from = "table for PHP 8.2 (API 20220829)",
};

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

int php_zend_offsets(struct elf_file *dwarf, unsigned api, struct zend_offs *o)
{
	static char from[256];

	if (dwarf && elf_file_has_dwarf(dwarf)) {
		o->eg_current_execute_data =
			elf_dwarf_member_offset(dwarf, "_zend_executor_globals", "current_execute_data");
		o->ex_opline = elf_dwarf_member_offset(dwarf, "_zend_execute_data", "opline");
		o->ex_func = elf_dwarf_member_offset(dwarf, "_zend_execute_data", "func");
		o->ex_prev = elf_dwarf_member_offset(dwarf, "_zend_execute_data", "prev_execute_data");
		o->op_lineno = elf_dwarf_member_offset(dwarf, "_zend_op", "lineno");
		o->fn_type = elf_dwarf_member_offset(dwarf, "_zend_function", "type");
		o->fn_filename = elf_dwarf_member_offset(dwarf, "_zend_function", "op_array.filename");
		o->fn_line_start = elf_dwarf_member_offset(dwarf, "_zend_function", "op_array.line_start");
		if (o->eg_current_execute_data >= 0 && o->ex_opline >= 0 && o->ex_func >= 0 &&
		    o->ex_prev >= 0 && o->op_lineno >= 0 && o->fn_type >= 0 && o->fn_filename >= 0 &&
		    o->fn_line_start >= 0) {
			snprintf(from, sizeof(from), "DWARF of %s", elf_file_path(dwarf));
			o->from = from;
			return 0;
		}
	}
	if (api == PHP_API_8_2) {
		*o = zend_8_2;
		return 0;
	}
	return -1;
}

void php_caller_site(const struct zend_offs *o, struct loc frame, struct probe_cfg *cfg)
{
	struct loc caller = loc_deref(frame, o->ex_prev, 8);

	cfg->site_kind = SITE_PHP;
	cfg->site = loc_deref(loc_deref(caller, o->ex_func, 8), o->fn_filename, 8);
	cfg->site_aux = loc_deref(loc_deref(caller, o->ex_opline, 8), o->op_lineno, 4);
}

void php_describe_site(struct target *t, const struct site *s, char *buf, size_t len)
{
	/* zend_string layout (refcount, hash, len, val[]) is the same in every PHP 7 and 8. */
	char name[512];
	uint64_t n;

	if (!s->addr) {
		snprintf(buf, len, "-");
		return;
	}
	if (target_read_u64(t, s->addr + 16, &n) || !n || n > 4096 ||
	    target_read(t, s->addr + 24, name, n < sizeof(name) ? n : sizeof(name) - 1)) {
		snprintf(buf, len, "0x%llx:%llu", (unsigned long long)s->addr,
			 (unsigned long long)s->aux);
		return;
	}
	name[n < sizeof(name) ? n : sizeof(name) - 1] = 0;
	snprintf(buf, len, "%s:%llu", name, (unsigned long long)s->aux);
}

static int php_fiber_detect(struct target *t)
{
	return target_sym(t, NULL, "zend_fiber_init_context", NULL) ? 10 : 0;
}

static int php_fiber_plan(struct target *t, const struct runtime_opts *o, struct probe_plan *p,
			  char *err, size_t errlen)
{
	struct probe_cfg create = { .kind = EV_CREATE, .co = loc_reg(REG_RDI) };
	struct probe_cfg exit_ = { .kind = EV_EXIT, .co = loc_reg(REG_RDI) };
	struct module *m = NULL;
	struct zend_offs zo;
	uint64_t eg;
	unsigned api;
	int zts, r;

	(void)o;
	if (!target_sym(t, NULL, "zend_fiber_init_context", &m) || !m) {
		snprintf(err, errlen, "zend_fiber_init_context not found: not PHP 8.1 or later");
		return EXIT_NO_RUNTIME;
	}
	api = php_api_version(t, &zts);
	snprintf(p->version, sizeof(p->version), "PHP API %u%s", api, zts ? " ZTS" : "");
	eg = target_sym(t, NULL, "executor_globals", NULL);
	/* The creation site is the PHP line calling Fiber::start(): EG(current_execute_data) is
	 * Fiber::start's own (internal) frame there, its prev_execute_data the caller. */
	if (zts || !eg || php_zend_offsets(module_elf(m), api, &zo)) {
		plan_note(p, "creation sites: unavailable (%s)",
			  zts ? "thread-safe PHP keeps its globals in TLS" :
			  !eg ? "no executor_globals symbol" :
			  "no DWARF and no offset table for this PHP API");
	} else {
		struct loc frame = { .base = LOC_ADDR, .base_off = eg + zo.eg_current_execute_data };

		php_caller_site(&zo, loc_deref(frame, 0, 8), &create);
		plan_note(p, "creation sites: caller of Fiber::start, Zend offsets from %s", zo.from);
	}
	if ((r = plan_add_sym(p, t, m, "zend_fiber_init_context", 0, &create, err, errlen)) ||
	    (r = plan_add_sym(p, t, m, "zend_fiber_destroy_context", 0, &exit_, err, errlen)))
		return r;
	plan_note(p, "coroutine id: the zend_fiber_context*; fibers have no defers or pools");
	plan_note(p, "fibers started before attach are not seen (no census walker)");
	return 0;
}

const struct runtime runtime_php_fiber = {
	.name = "php-fiber",
	.id_is_number = 0,
	.detect = php_fiber_detect,
	.plan = php_fiber_plan,
	.describe_site = php_describe_site,
};
