// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The PHP heap as the census reads it (see php_heap.h).
 *
 * Objects live in EG(objects_store): a growing array of zend_object pointers, free slots
 * marked by their low bit. An object's declared properties are zvals in its
 * properties_table, at the byte offset its zend_property_info records; properties_info
 * is a HashTable keyed by the plain property name, inherited entries included, but a
 * parent's private property is only in the parent's table: so lookups walk up the
 * ancestry. Arrays (HashTable) are Buckets {zval, h, key} or, for packed arrays from PHP
 * 8.2 on, bare zvals indexed from 0.
 */
#define _GNU_SOURCE	/* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "elfsym.h"
#include "php_heap.h"

#define ZEND_USER_FUNCTION 2
#define ZEND_USER_CLASS 2
#define HASH_FLAG_PACKED (1u << 2)
#define HASH_FLAG_UNINITIALIZED (1u << 3)
#define ZEND_ACC_STATIC (1u << 4)
#define BUCKET_SIZE 32
#define MAX_ANCESTRY 64		/* class hierarchy depth */
#define MAX_PROPS 4096		/* declared properties of one class */
#define MAX_CLASSES 1000000
#define MAX_FRAMES 256
#define MAX_CVS 65536
#define STORE_CHUNK 4096
#define CE_CACHE 1024		/* classes remembered per walk (open addressing) */

/* One row per offset: the DWARF type and member, then its value (NTS, x86-64) in PHP 8.1,
 * 8.2, 8.3 and 8.4 for PHP binaries without DWARF (Debian's are stripped); -1: not
 * measured, and what needs it is off for that version. PHP keeps its ABI within a minor
 * release. Measured with offsetof() against php-src headers (8.1.2, 8.1.29-dev, 8.2.19-dev,
 * Debian's php8.2-dev 8.2.36, 8.3.6-dev, 8.4.24, Debian's php8.4-dev 8.4.27) and, for the
 * 8.2 column, on the DWARF of a -g extension built against Debian's php8.2-dev and of a
 * ZTS PHP 8.2.32 built with symbols. The rows only the heap walks need, for 8.1, 8.3 and
 * 8.4: the layout rust-bindgen gave those releases' headers (ext-php-rs's published
 * bindings, API 20210902, 20230831, 20240924, ZEND_DEBUG builds), which gives exactly the
 * 8.2 column above for 8.2's (debug and not) and every value above measured for the
 * others; zend_closure.func follows zend_object (56 bytes in all). No CG layout for 8.1
 * there: its heap walks stay off. The tests check the 8.2 column against Debian's
 * stripped php8.2; no other PHP can be installed here, so the walks' use of the others
 * (how a map_ptr is read) is untested. */
static const struct {
	const char *type, *member;
	long v[4];	/* PHP 8.1, 8.2, 8.3, 8.4 */
} offs_spec[PO__COUNT] = {
	[PO_EG_STORE_BUCKETS] = { "_zend_executor_globals", "objects_store.object_buckets",
	  { 840, 840, 840, 856 } },
	[PO_EG_STORE_TOP] = { "_zend_executor_globals", "objects_store.top",
	  { 848, 848, 848, 864 } },
	[PO_EG_CURRENT_EX] = { "_zend_executor_globals", "current_execute_data",
	  { 488, 488, 488, 488 } },
	[PO_EG_CLASS_TABLE] = { "_zend_executor_globals", "class_table", { 440, 440, 440, 440 } },
	[PO_EG_FUNCTION_TABLE] = { "_zend_executor_globals", "function_table",
	  { 432, 432, 432, 432 } },
	[PO_CE_FUNCTION_TABLE] = { "_zend_class_entry", "function_table", { 64, 64, 64, 64 } },
	[PO_EG_SYMBOL_TABLE] = { "_zend_executor_globals", "symbol_table", { 304, 304, 304, 304 } },
	[PO_CG_MAP_PTR_BASE] = { "_zend_compiler_globals", "map_ptr_base", { -1, 480, 480, 512 } },
	[PO_OBJ_CE] = { "_zend_object", "ce", { 16, 16, 16, 16 } },
	[PO_OBJ_PROPS] = { "_zend_object", "properties_table", { 40, 40, 40, 40 } },
	[PO_CE_TYPE] = { "_zend_class_entry", "type", { 0, 0, 0, 0 } },
	[PO_CE_NAME] = { "_zend_class_entry", "name", { 8, 8, 8, 8 } },
	[PO_CE_PARENT] = { "_zend_class_entry", "parent", { 16, 16, 16, 16 } },
	[PO_CE_STATIC_COUNT] = { "_zend_class_entry", "default_static_members_count",
	  { 36, 36, 36, 36 } },
	[PO_CE_STATIC_TABLE] = { "_zend_class_entry", "static_members_table__ptr",
	  { 56, 56, 56, 56 } },
	[PO_CE_PROPS_INFO] = { "_zend_class_entry", "properties_info", { 120, 120, 120, 120 } },
	[PO_PI_OFFSET] = { "_zend_property_info", "offset", { 0, 0, 0, 0 } },
	[PO_PI_FLAGS] = { "_zend_property_info", "flags", { 4, 4, 4, 4 } },
	[PO_PI_CE] = { "_zend_property_info", "ce", { 32, 32, 32, 32 } },
	[PO_HT_FLAGS] = { "_zend_array", "u.flags", { 8, 8, 8, 8 } },
	[PO_HT_DATA] = { "_zend_array", "arData", { 16, 16, 16, 16 } },
	[PO_HT_USED] = { "_zend_array", "nNumUsed", { 24, 24, 24, 24 } },
	[PO_EX_OPLINE] = { "_zend_execute_data", "opline", { 0, 0, 0, 0 } },
	[PO_EX_FUNC] = { "_zend_execute_data", "func", { 24, 24, 24, 24 } },
	[PO_EX_THIS] = { "_zend_execute_data", "This", { 32, 32, 32, 32 } },
	[PO_EX_PREV] = { "_zend_execute_data", "prev_execute_data", { 48, 48, 48, 48 } },
	[PO_FN_TYPE] = { "_zend_function", "type", { 0, 0, 0, 0 } },
	[PO_FN_LAST_VAR] = { "_zend_function", "op_array.last_var", { 60, 76, 72, 92 } },
	[PO_FN_FILENAME] = { "_zend_function", "op_array.filename", { 144, 152, 144, 168 } },
	[PO_FN_LINE_START] = { "_zend_function", "op_array.line_start", { 152, 160, 152, 176 } },
	[PO_FN_STATIC_VARS] = { "_zend_function", "op_array.static_variables",
	  { 96, 104, 96, 120 } },
	[PO_OP_LINENO] = { "_zend_op", "lineno", { 24, 24, 24, 24 } },
	[PO_REF_VAL] = { "_zend_reference", "val", { 8, 8, 8, 8 } },
	[PO_FIBER_CONTEXT] = { "_zend_fiber", "context", { 64, 64, 64, 64 } },
	[PO_FIBER_CTX_STATUS] = { "_zend_fiber_context", "status", { 32, 40, 40, 40 } },
	[PO_FIBER_FUNCTION] = { "_zend_fiber", "fci_cache.function_handler",
	  { 232, 248, 248, 248 } },
	/* 80 bytes before fci_cache: caller, previous, then zend_fcall_info (measured on 8.2) */
	[PO_FIBER_CALLER] = { "_zend_fiber", "caller", { 152, 168, 168, 168 } },
	/* after fci_cache (32 bytes): the frame it suspended in (Fiber::suspend's) */
	[PO_FIBER_EXECUTE_DATA] = { "_zend_fiber", "execute_data", { 264, 280, 280, 280 } },
	[PO_CLOSURE_FUNC] = { "_zend_closure", "func", { 56, 56, 56, 56 } },
};
#define EX_SIZE 80	/* sizeof(zend_execute_data) in 8.1 to 8.4 (the same sources) */

struct php_ce_cache {
	uint64_t ce[CE_CACHE];
	int role[CE_CACHE];
	size_t n;
};

/* The module whose DWARF has Zend's types: PHP itself, else an extension built with -g. */
static struct elf_file *zend_types(struct target *t)
{
	int i;

	for (i = 0; i < t->nmods; i++) {
		struct elf_file *e = module_elf(&t->mods[i]);

		if (e && elf_file_has_dwarf(e) && elf_dwarf_type_size(e, "_zend_executor_globals") > 0)
			return e;
	}
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
	/* The PHP binary (or libphp): ZTS builds have executor_globals_offset instead. */
	if ((!target_sym(t, NULL, "executor_globals", &m) &&
	     !target_sym(t, NULL, "executor_globals_offset", &m)) || !m || !module_elf(m))
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

/* The table column for a PHP API, -1 if none. */
static int api_column(unsigned api)
{
	static const unsigned apis[] = { PHP_API_8_1, PHP_API_8_2, PHP_API_8_3, PHP_API_8_4 };
	int i;

	for (i = 0; i < 4; i++)
		if (apis[i] == api)
			return i;
	return -1;
}

int php_heap_open(struct target *t, struct php_heap *h, char *why, size_t len)
{
	static const enum php_off site_offs[] = {
		PO_EG_CURRENT_EX, PO_EX_OPLINE, PO_EX_FUNC, PO_EX_PREV, PO_OP_LINENO,
		PO_FN_TYPE, PO_FN_FILENAME, PO_FN_LINE_START,
	};
	struct elf_file *e;
	long ex_size = -1;
	int i, col, zts, dwarf = 0, table = 0;

	memset(h, 0, sizeof(*h));
	h->t = t;
	h->api = php_api_version(t, &zts);
	h->eg = target_sym(t, NULL, "executor_globals", NULL);
	h->cg = target_sym(t, NULL, "compiler_globals", NULL);
	/* ZTS: every thread has its own globals; the structures' layout (sites) still holds. */
	if (zts)
		h->eg = h->cg = 0;
	else if (!h->eg) {
		snprintf(why, len, "executor_globals not found");
		return -1;
	}
	e = zend_types(t);
	col = api_column(h->api);
	for (i = 0; i < PO__COUNT; i++) {
		h->o[i] = e ? elf_dwarf_member_offset(e, offs_spec[i].type, offs_spec[i].member) : -1;
		if (h->o[i] >= 0)
			dwarf++;
		else if (col >= 0 && (h->o[i] = offs_spec[i].v[col]) >= 0)
			table++;
	}
	if (e)
		ex_size = elf_dwarf_type_size(e, "_zend_execute_data");
	if (ex_size <= 0 && col >= 0)
		ex_size = EX_SIZE;
	snprintf(h->from, sizeof(h->from), "%s%s%s%s", dwarf ? "DWARF of " : "",
		 dwarf ? elf_file_path(e) : "", dwarf && table ? ", then " : "",
		 table ? "table for PHP API" : "");
	if (table)
		snprintf(h->from + strlen(h->from), sizeof(h->from) - strlen(h->from), " %u",
			 h->api);
	h->sites = 1;
	for (i = 0; i < (int)(sizeof(site_offs) / sizeof(site_offs[0])); i++)
		h->sites &= h->o[site_offs[i]] >= 0;
	h->walk = h->sites && ex_size > 0;
	for (i = 0; i < PO__COUNT; i++)
		h->walk &= h->o[i] >= 0;
	if (zts)
		snprintf(why, len, "thread-safe PHP (ZTS): its globals are per thread");
	if (!h->sites) {
		snprintf(why, len, "PHP API %u: no DWARF with Zend's types and no offset table "
			 "for it", h->api);
		return -1;
	}
	/* ZEND_CALL_FRAME_SLOT: the frame rounded up to whole zvals, then the CVs. */
	h->frame_slot = (ex_size + ZVAL_SIZE - 1) / ZVAL_SIZE * ZVAL_SIZE;
	h->packed_zvals = h->api >= PHP_API_8_2;
	h->cache = calloc(1, sizeof(*h->cache));
	if (!h->cache) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	return 0;
}

/* tsrm_get_ls_cache_tcb_offset() (PHP 8.0+, x86-64) is `mov $imm32, %rax; ret` in the
 * PHP binary (the linker resolved the TLS offset) or `mov disp32(%rip), %rax; ret` in a
 * libphp.so (the offset in a GOT slot, relocated at load). */
int php_tsrm_cache_offset(struct target *t, struct module *php, int64_t *off)
{
	const struct elf_sym *fn = NULL;
	uint8_t insn[8];
	int32_t imm;
	uint64_t got;

	if (php && module_elf(php))
		fn = elf_sym_by_name(php->elf, "tsrm_get_ls_cache_tcb_offset");
	if (!fn || elf_read_vaddr(php->elf, fn->value, insn, sizeof(insn)) || insn[7] != 0xc3)
		return -1;
	memcpy(&imm, insn + 3, 4);
	if (!memcmp(insn, "\x48\xc7\xc0", 3)) {
		*off = imm;
		return 0;
	}
	if (memcmp(insn, "\x48\x8b\x05", 3) ||
	    target_read_u64(t, fn->value + php->bias + 7 + imm, &got))
		return -1;
	*off = (int64_t)got;
	return 0;
}

void php_heap_close(struct php_heap *h)
{
	free(h->cache);
	h->cache = NULL;
}

int php_zval(const struct php_heap *h, uint64_t addr, struct php_zval *z)
{
	unsigned char b[ZVAL_SIZE];
	int hops;

	for (hops = 0; hops < 3; hops++) {
		if (target_read(h->t, addr, b, sizeof(b)))
			return -1;
		z->value = u64_at(b, 0);
		z->type = b[ZVAL_TYPE];
		if (z->type == PHP_REFERENCE)
			addr = z->value + h->o[PO_REF_VAL];
		else if (z->type == PHP_INDIRECT)
			addr = z->value;
		else
			return 0;
	}
	return -1;
}

long php_string(const struct php_heap *h, uint64_t zstr, char *buf, size_t len)
{
	uint64_t n;
	size_t k;

	/* zend_string: refcount, hash, len, val[] in every PHP 7 and 8. */
	if (!zstr || !len || target_read_u64(h->t, zstr + 16, &n) || n > (1u << 20))
		return -1;
	k = n < len - 1 ? n : len - 1;
	if (target_read(h->t, zstr + 24, buf, k))
		return -1;
	buf[k] = 0;
	return (long)n;
}

int php_class_name(const struct php_heap *h, uint64_t ce, char *buf, size_t len)
{
	uint64_t name;

	return target_read_u64(h->t, ce + h->o[PO_CE_NAME], &name) ||
	       php_string(h, name, buf, len) < 0 ? -1 : 0;
}

static int role_of(const struct php_heap *h, uint64_t ce, const char *const *names, int n)
{
	char name[256];
	int depth, i;

	for (depth = 0; ce && depth < MAX_ANCESTRY; depth++) {
		if (php_class_name(h, ce, name, sizeof(name)))
			return -1;
		for (i = 0; i < n; i++)
			if (!strcmp(name, names[i]))
				return i;
		if (target_read_u64(h->t, ce + h->o[PO_CE_PARENT], &ce))
			return -1;
	}
	return -1;
}

int php_ce_role(struct php_heap *h, uint64_t ce, const char *const *names, int n)
{
	struct php_ce_cache *c = h->cache;
	size_t i = (ce >> 4) % CE_CACHE;
	int role;

	while (c->ce[i]) {
		if (c->ce[i] == ce)
			return c->role[i];
		i = (i + 1) % CE_CACHE;
	}
	role = role_of(h, ce, names, n);
	/* Keep the table at most half full, so that probing always ends. */
	if (c->n < CE_CACHE / 2) {
		c->ce[i] = ce;
		c->role[i] = role;
		c->n++;
	}
	return role;
}

void php_ce_forget(struct php_heap *h)
{
	memset(h->cache, 0, sizeof(*h->cache));
}

struct find_prop {
	const struct php_heap *h;
	const char *name;
	uint64_t info;
};

static int match_prop(void *arg, uint64_t zv, uint64_t key, int int_key)
{
	struct find_prop *f = arg;
	char name[128];
	struct php_zval z;

	if (int_key || php_string(f->h, key, name, sizeof(name)) < 0 || strcmp(name, f->name) ||
	    php_zval(f->h, zv, &z) || z.type != PHP_PTR)
		return 0;
	f->info = z.value;
	return 1;
}

int php_prop(const struct php_heap *h, uint64_t obj, const char *name, struct php_zval *z)
{
	struct find_prop f = { .h = h, .name = name };
	uint64_t ce;
	uint32_t off, flags;
	int depth;

	if (target_read_u64(h->t, obj + h->o[PO_OBJ_CE], &ce))
		return -1;
	for (depth = 0; ce && depth < MAX_ANCESTRY; depth++) {
		if (php_array_each(h, ce + h->o[PO_CE_PROPS_INFO], MAX_PROPS, match_prop, &f) == 1)
			break;
		if (target_read_u64(h->t, ce + h->o[PO_CE_PARENT], &ce))
			return -1;
	}
	if (!f.info || target_read_u32(h->t, f.info + h->o[PO_PI_OFFSET], &off) ||
	    target_read_u32(h->t, f.info + h->o[PO_PI_FLAGS], &flags) || (flags & ZEND_ACC_STATIC) ||
	    off < h->o[PO_OBJ_PROPS] || off > h->o[PO_OBJ_PROPS] + MAX_PROPS * ZVAL_SIZE)
		return -1;
	return php_zval(h, obj + off, z);
}

int php_array_each(const struct php_heap *h, uint64_t ht, size_t max,
		   int (*fn)(void *arg, uint64_t zv, uint64_t key, int int_key), void *arg)
{
	unsigned char hdr[32], b[BUCKET_SIZE * 64];
	uint64_t data;
	uint32_t used, flags, i, k, n;
	size_t step;
	int r;

	if (target_read(h->t, ht, hdr, sizeof(hdr)))
		return -1;
	flags = u32_at(hdr, h->o[PO_HT_FLAGS]) & 0xff;
	data = u64_at(hdr, h->o[PO_HT_DATA]);
	used = u32_at(hdr, h->o[PO_HT_USED]);
	if (flags & HASH_FLAG_UNINITIALIZED)
		return 0;
	if (used > max)
		used = max;
	step = (flags & HASH_FLAG_PACKED) && h->packed_zvals ? ZVAL_SIZE : BUCKET_SIZE;
	for (i = 0; i < used; i += n) {
		n = used - i < 64 ? used - i : 64;
		if (target_read(h->t, data + (uint64_t)i * step, b, n * step))
			return -1;
		for (k = 0; k < n; k++) {
			const unsigned char *e = b + k * step;

			if (e[8] == PHP_UNDEF)	/* a deleted element */
				continue;
			if (step == ZVAL_SIZE)
				r = fn(arg, data + (uint64_t)(i + k) * step, i + k, 1);
			else
				r = fn(arg, data + (uint64_t)(i + k) * step,
				       u64_at(e, 24) ? u64_at(e, 24) : u64_at(e, 16), !u64_at(e, 24));
			if (r)
				return r;
		}
	}
	return 0;
}

int php_objects_each(struct php_heap *h, int (*fn)(void *arg, uint64_t obj, uint64_t ce),
		     void *arg, char *warn, size_t wlen)
{
	uint64_t buckets, chunk[STORE_CHUNK], ce;
	uint32_t top, i, k, n;

	if (target_read_u64(h->t, h->eg + h->o[PO_EG_STORE_BUCKETS], &buckets) ||
	    target_read_u32(h->t, h->eg + h->o[PO_EG_STORE_TOP], &top)) {
		snprintf(warn, wlen, "cannot read the PHP object store");
		return -1;
	}
	/* Handle 0 is never used; the store only grows, so top bounds it. */
	for (i = 1; buckets && i < top; i += n) {
		n = top - i < STORE_CHUNK ? top - i : STORE_CHUNK;
		if (target_read(h->t, buckets + (uint64_t)i * 8, chunk, (size_t)n * 8)) {
			snprintf(warn, wlen, "object store unreadable at handle %u of %u: walk "
				 "cut short", i, top);
			return 0;
		}
		for (k = 0; k < n; k++) {
			if (!chunk[k] || (chunk[k] & 1) ||
			    target_read_u64(h->t, chunk[k] + h->o[PO_OBJ_CE], &ce) || !ce)
				continue;
			if (fn(arg, chunk[k], ce))
				return 1;
		}
	}
	return 0;
}

int php_frames_each(const struct php_heap *h, uint64_t ex,
		    int (*fn)(void *arg, uint64_t ex, uint64_t func, uint64_t cvs, uint32_t ncv),
		    void *arg)
{
	uint64_t func;
	uint32_t ncv;
	uint8_t type;
	int depth, r;

	for (depth = 0; ex && depth < MAX_FRAMES; depth++) {
		ncv = 0;
		if (target_read_u64(h->t, ex + h->o[PO_EX_FUNC], &func))
			return -1;
		if (func && !target_read(h->t, func + h->o[PO_FN_TYPE], &type, 1) &&
		    type == ZEND_USER_FUNCTION &&
		    (target_read_u32(h->t, func + h->o[PO_FN_LAST_VAR], &ncv) || ncv > MAX_CVS))
			ncv = 0;
		if ((r = fn(arg, ex, func, ex + h->frame_slot, ncv)))
			return r;
		if (target_read_u64(h->t, ex + h->o[PO_EX_PREV], &ex))
			return -1;
	}
	return 0;
}

void php_frame_site(const struct php_heap *h, uint64_t ex, struct site *out)
{
	uint64_t func, file, opline;
	uint32_t line;
	uint8_t type;

	memset(out, 0, sizeof(*out));
	if (target_read_u64(h->t, ex + h->o[PO_EX_FUNC], &func) || !func ||
	    target_read(h->t, func + h->o[PO_FN_TYPE], &type, 1) || type != ZEND_USER_FUNCTION ||
	    target_read_u64(h->t, func + h->o[PO_FN_FILENAME], &file) ||
	    target_read_u64(h->t, ex + h->o[PO_EX_OPLINE], &opline) ||
	    target_read_u32(h->t, opline + h->o[PO_OP_LINENO], &line))
		return;
	out->kind = SITE_PHP;
	out->addr = file;
	out->aux = line;
}

struct wait_walk {
	const struct php_heap *h;
	struct php_lib_files *libs;
	struct site site, library;	/* the program's first line, the library's */
};

static int first_line(void *arg, uint64_t ex, uint64_t func, uint64_t cvs, uint32_t ncv)
{
	struct wait_walk *w = arg;
	struct site here;

	(void)func;
	(void)cvs;
	(void)ncv;
	php_frame_site(w->h, ex, &here);
	if (here.kind == SITE_NONE)
		return 0;
	if (!php_library_file(w->h, w->libs, here.addr)) {
		w->site = here;
		return 1;
	}
	if (w->library.kind == SITE_NONE)
		w->library = here;
	return 0;
}

void php_wait_site(const struct php_heap *h, struct php_lib_files *libs, uint64_t ex,
		   struct site *out)
{
	struct wait_walk w = { .h = h, .libs = libs };

	php_frames_each(h, ex, first_line, &w);
	*out = w.site.kind != SITE_NONE ? w.site : w.library;
}

struct captures {
	const struct php_heap *h;
	struct census_timer *tm;
};

static int add_capture(void *arg, uint64_t zv, uint64_t key, int int_key)
{
	struct captures *k = arg;
	struct census_timer *tm = k->tm;
	struct php_zval z;
	uint64_t ce;
	char cls[sizeof(tm->captures[0].cls)];
	int i;

	(void)key;
	(void)int_key;
	if (php_zval(k->h, zv, &z) || z.type != PHP_OBJECT ||
	    target_read_u64(k->h->t, z.value + k->h->o[PO_OBJ_CE], &ce) ||
	    php_class_name(k->h, ce, cls, sizeof(cls)))
		return 0;
	for (i = 0; i < tm->ncaptures && strcmp(tm->captures[i].cls, cls); i++)
		;
	if (i == CENSUS_CAPTURES)
		return 0;
	if (i == tm->ncaptures) {
		memcpy(tm->captures[i].cls, cls, sizeof(cls));
		tm->ncaptures++;
	}
	tm->captures[i].n++;
	return 0;
}

void php_closure_captures(const struct php_heap *h, uint64_t func, struct census_timer *tm)
{
	struct captures k = { h, tm };
	uint64_t vars;
	uint8_t type;

	if (func && !target_read(h->t, func + h->o[PO_FN_TYPE], &type, 1) &&
	    type == ZEND_USER_FUNCTION &&
	    !target_read_u64(h->t, func + h->o[PO_FN_STATIC_VARS], &vars) && vars)
		php_array_each(h, vars, MAX_PROPS, add_capture, &k);
}

void php_object_captures(const struct php_heap *h, uint64_t obj, struct census_timer *tm)
{
	uint64_t ce;
	char cls[16];

	if (h->o[PO_CLOSURE_FUNC] >= 0 && !target_read_u64(h->t, obj + h->o[PO_OBJ_CE], &ce) &&
	    !php_class_name(h, ce, cls, sizeof(cls)) && !strcmp(cls, "Closure"))
		php_closure_captures(h, obj + h->o[PO_CLOSURE_FUNC], tm);
}

struct statics {
	struct php_heap *h;
	int (*fn)(void *arg, const char *cls, const char *prop, uint64_t zv);
	void *arg;
	uint64_t ce, table;
	char cls[256];
	uint64_t *seen;		/* classes done (aliases list a class twice) */
	size_t nseen, capseen;
};

static int static_prop(void *arg, uint64_t zv, uint64_t key, int int_key)
{
	struct statics *st = arg;
	const struct php_heap *h = st->h;
	struct php_zval z;
	uint32_t off, flags;
	uint64_t owner;
	char name[128];

	if (int_key || php_zval(h, zv, &z) || z.type != PHP_PTR ||
	    target_read_u32(h->t, z.value + h->o[PO_PI_OFFSET], &off) ||
	    target_read_u32(h->t, z.value + h->o[PO_PI_FLAGS], &flags) ||
	    !(flags & ZEND_ACC_STATIC) || off > MAX_PROPS ||
	    target_read_u64(h->t, z.value + h->o[PO_PI_CE], &owner) || owner != st->ce ||
	    php_string(h, key, name, sizeof(name)) < 0)
		return 0;
	return st->fn(st->arg, st->cls, name, st->table + (uint64_t)off * ZVAL_SIZE);
}

static int static_class(void *arg, uint64_t zv, uint64_t key, int int_key)
{
	struct statics *st = arg;
	const struct php_heap *h = st->h;
	struct php_zval z;
	uint32_t count;
	uint64_t ptr, base, *seen;
	uint8_t type;
	size_t i;

	(void)key;
	(void)int_key;
	if (php_zval(h, zv, &z) || z.type != PHP_PTR ||
	    target_read(h->t, z.value + h->o[PO_CE_TYPE], &type, 1) || type != ZEND_USER_CLASS ||
	    target_read_u32(h->t, z.value + h->o[PO_CE_STATIC_COUNT], &count) || !count ||
	    target_read_u64(h->t, z.value + h->o[PO_CE_STATIC_TABLE], &ptr))
		return 0;
	/* ZEND_MAP_PTR: the table itself, or (low bit set) an offset from CG(map_ptr_base)
	 * to where it is kept. NULL: statics not initialised yet. */
	if ((ptr & 1) && (!h->cg || target_read_u64(h->t, h->cg + h->o[PO_CG_MAP_PTR_BASE], &base) ||
			  target_read_u64(h->t, base + ptr, &ptr)))
		return 0;
	if (!ptr)
		return 0;
	for (i = 0; i < st->nseen; i++)
		if (st->seen[i] == z.value)
			return 0;
	if (!(seen = array_push(&st->seen, &st->nseen, &st->capseen, sizeof(*seen))))
		return -2;
	*seen = z.value;
	st->ce = z.value;
	st->table = ptr;
	if (php_class_name(h, z.value, st->cls, sizeof(st->cls)))
		return 0;
	return php_array_each(h, z.value + h->o[PO_CE_PROPS_INFO], MAX_PROPS, static_prop, st) == -2
		       ? -2 : 0;
}

int php_statics_each(struct php_heap *h, int (*fn)(void *arg, const char *cls,
						   const char *prop, uint64_t zv), void *arg)
{
	struct statics st = { .h = h, .fn = fn, .arg = arg };
	uint64_t classes;
	int r;

	if (target_read_u64(h->t, h->eg + h->o[PO_EG_CLASS_TABLE], &classes) || !classes)
		return -1;
	r = php_array_each(h, classes, MAX_CLASSES, static_class, &st);
	free(st.seen);
	return r;
}

#define SCAN_BATCH 1024		/* blocks read in one target_read_many */
#define NAME_HEAD 64		/* a name's first bytes, read with its zend_string header */
#define ZSTR_VAL 24		/* zend_string: refcount, hash, len, val[] */

/* The scan of the function and class tables, batched: a Hyperf application has tens of
 * thousands of methods, one read each would take seconds. */
struct skips {
	const struct php_heap *h;
	struct site_skip *out;
	size_t n, max;
	/* elements collected: their zvals' addresses and keys (zend_string *), then what
	 * they point to (a zend_function or a zend_class_entry) */
	struct table_ref { uint64_t zv, key, ptr, file; uint8_t user; } *refs;
	size_t nrefs, caprefs;
	struct php_lib_files files;
};

/* Reads len bytes at each of the n addresses addr(refs[i]) for which it is non-zero, a
 * batch at a time, and hands each block read to fn. */
static int read_refs(struct skips *w,
		     uint64_t (*addr)(const struct skips *, const struct table_ref *), size_t len,
		     void (*fn)(struct skips *, struct table_ref *, const uint8_t *))
{
	uint64_t addrs[SCAN_BATCH];
	size_t at[SCAN_BATCH], i, k, m;
	uint8_t ok[SCAN_BATCH], *bufs = malloc(SCAN_BATCH * len);

	if (!bufs)
		return -1;
	for (i = 0; i < w->nrefs; ) {
		for (m = 0; i < w->nrefs && m < SCAN_BATCH; i++)
			if ((addrs[m] = addr(w, &w->refs[i])))
				at[m++] = i;
		target_read_many(w->h->t, addrs, m, len, bufs, ok);
		for (k = 0; k < m; k++)
			if (ok[k])
				fn(w, &w->refs[at[k]], bufs + k * len);
	}
	free(bufs);
	return 0;
}

static int collect(void *arg, uint64_t zv, uint64_t key, int int_key)
{
	struct skips *w = arg;
	struct table_ref *r = array_push(&w->refs, &w->nrefs, &w->caprefs, sizeof(*r));

	if (!r)
		return -2;
	*r = (struct table_ref){ .zv = zv, .key = int_key ? 0 : key };
	return 0;
}

static uint64_t zval_addr(const struct skips *w, const struct table_ref *r)
{
	(void)w;
	return r->zv;
}

/* A function or class table's zval holds a pointer (IS_PTR). */
static void took_zval(struct skips *w, struct table_ref *r, const uint8_t *zv)
{
	(void)w;
	r->ptr = zv[ZVAL_TYPE] == PHP_PTR ? u64_at(zv, 0) : 0;
}

static uint64_t class_type_addr(const struct skips *w, const struct table_ref *r)
{
	return r->ptr ? r->ptr + w->h->o[PO_CE_TYPE] : 0;
}

static void took_class_type(struct skips *w, struct table_ref *r, const uint8_t *type)
{
	(void)w;
	r->user = *type == ZEND_USER_CLASS;
}

static uint64_t fn_head_addr(const struct skips *w, const struct table_ref *r)
{
	(void)w;
	return r->ptr;
}

static size_t fn_head_len(const struct php_heap *h)
{
	long hi = h->o[PO_FN_TYPE] > h->o[PO_FN_FILENAME] ? h->o[PO_FN_TYPE] : h->o[PO_FN_FILENAME];

	return (size_t)hi + 8;
}

static void took_fn_head(struct skips *w, struct table_ref *r, const uint8_t *head)
{
	r->user = head[w->h->o[PO_FN_TYPE]] == ZEND_USER_FUNCTION;
	r->file = u64_at(head, w->h->o[PO_FN_FILENAME]);
}

static uint64_t user_key_addr(const struct skips *w, const struct table_ref *r)
{
	(void)w;
	return r->user ? r->key : 0;
}

int php_library_file(const struct php_heap *h, struct php_lib_files *c, uint64_t name)
{
	size_t i = (name >> 4) & (PHP_LIB_FILES - 1);
	char path[4096];

	if (c->e[i].name != name) {
		c->e[i].name = name;
		c->e[i].library = php_string(h, name, path, sizeof(path)) > 0 &&
				  (strstr(path, "/vendor/") || !strncmp(path, "@swoole", 7));
	}
	return c->e[i].library;
}

/* A user function by its key (lowercased, namespace and all: a method's is its name) and
 * the file it is in: named defer, a wrapper; in a library's file, a library's. */
static void took_user_key(struct skips *w, struct table_ref *r, const uint8_t *key)
{
	uint64_t len = u64_at(key, 16);
	char tail[6];
	uint8_t kinds = 0;

	if (len >= 5 && len <= NAME_HEAD) {
		memcpy(tail, key + ZSTR_VAL + len - (len > 5 ? 6 : 5), len > 5 ? 6 : 5);
	} else if (len > NAME_HEAD && len < (1u << 20)) {
		if (target_read(w->h->t, r->key + ZSTR_VAL + len - 6, tail, 6))
			len = 0;
	}
	if (len == 5 ? !memcmp(tail, "defer", 5) : len > 5 && !memcmp(tail, "\\defer", 6))
		kinds |= SKIP_WRAPPER;
	if (php_library_file(w->h, &w->files, r->file))
		kinds |= SKIP_LIBRARY;
	if (kinds && w->n < w->max) {
		w->out[w->n].addr = r->ptr;
		w->out[w->n++].kinds = kinds;
	}
}

static int cmp_ref_ptr(const void *a, const void *b)
{
	const struct table_ref *x = a, *y = b;

	return x->ptr < y->ptr ? -1 : x->ptr > y->ptr;
}

long php_site_skips(const struct php_heap *h, struct site_skip *out, size_t max)
{
	struct skips *w = calloc(1, sizeof(*w));
	uint64_t functions, classes, *ces = NULL;
	size_t nces = 0, i, k;
	long n = -1;

	if (!w)
		return -1;
	*w = (struct skips){ .h = h, .out = out, .max = max };
	if (!h->eg || h->o[PO_EG_FUNCTION_TABLE] < 0 || h->o[PO_CE_FUNCTION_TABLE] < 0 ||
	    target_read_u64(h->t, h->eg + h->o[PO_EG_FUNCTION_TABLE], &functions) ||
	    target_read_u64(h->t, h->eg + h->o[PO_EG_CLASS_TABLE], &classes) ||
	    php_array_each(h, classes, MAX_CLASSES, collect, w) < 0 ||
	    read_refs(w, zval_addr, ZVAL_SIZE, took_zval) ||
	    read_refs(w, class_type_addr, 1, took_class_type) ||
	    !(ces = malloc((w->nrefs + 1) * sizeof(*ces))))
		goto out;
	/* The user classes' method tables, then the functions' table, in the same list. */
	for (i = 0; i < w->nrefs; i++)
		if (w->refs[i].ptr && w->refs[i].user)
			ces[nces++] = w->refs[i].ptr;
	w->nrefs = 0;
	for (i = 0; i < nces; i++)
		if (php_array_each(h, ces[i] + h->o[PO_CE_FUNCTION_TABLE], MAX_PROPS, collect, w) == -2)
			goto out;
	if (php_array_each(h, functions, MAX_CLASSES, collect, w) < 0 ||
	    read_refs(w, zval_addr, ZVAL_SIZE, took_zval))
		goto out;
	/* A method a class inherits is its parent's zend_function: once is enough. */
	qsort(w->refs, w->nrefs, sizeof(*w->refs), cmp_ref_ptr);
	for (i = k = 0; i < w->nrefs; i++)
		if (w->refs[i].ptr && (!k || w->refs[k - 1].ptr != w->refs[i].ptr)) {
			w->refs[k] = w->refs[i];
			w->refs[k++].user = 0;	/* a user function's, once its head is read */
		}
	w->nrefs = k;
	if (!read_refs(w, fn_head_addr, fn_head_len(h), took_fn_head) &&
	    !read_refs(w, user_key_addr, ZSTR_VAL + NAME_HEAD, took_user_key))
		n = (long)w->n;
out:
	free(ces);
	free(w->refs);
	free(w);
	return n;
}

void php_caller_site(const struct php_heap *h, struct loc frame, struct probe_cfg *cfg)
{
	struct loc caller = { .base = LOC_FRAME };

	/* The caller's frame is read once, for both halves. */
	cfg->site_frame = loc_deref(frame, h->o[PO_EX_PREV], 8);
	cfg->site_kind = SITE_PHP_OP;
	cfg->site = loc_deref(caller, h->o[PO_EX_FUNC], 8);
	cfg->site_aux = loc_deref(caller, h->o[PO_EX_OPLINE], 8);
}

void php_function_site(struct target *t, const struct php_heap *h, uint64_t func,
		       struct site *out)
{
	uint64_t file;
	uint32_t line;
	uint8_t type;

	memset(out, 0, sizeof(*out));
	out->addr = func;
	if (!h || !h->sites || !func || target_read(t, func + h->o[PO_FN_TYPE], &type, 1) ||
	    type != ZEND_USER_FUNCTION || target_read_u64(t, func + h->o[PO_FN_FILENAME], &file) ||
	    target_read_u32(t, func + h->o[PO_FN_LINE_START], &line))
		return;
	out->kind = SITE_PHP;
	out->addr = file;
	out->aux = line;
}

void php_describe_site(struct rt_ctx *rc, const struct site *s, char *buf, size_t len)
{
	const struct php_heap *h = rc->priv;
	struct site fs = *s;
	char name[4096];	/* a path: the site table keeps the end of a longer one */
	uint32_t line;

	if ((s->kind == SITE_PHP_FUNC || s->kind == SITE_PHP_OP) && s->addr)
		php_function_site(rc->t, h, s->addr, &fs);
	/* A probe's op: the function's file, the op's line. */
	if (s->kind == SITE_PHP_OP)
		fs.aux = fs.kind == SITE_PHP && h->t &&
			 !target_read_u32(rc->t, s->aux + h->o[PO_OP_LINENO], &line) ? line : 0;
	if (!fs.addr || !h->t) {
		snprintf(buf, len, "-");
		return;
	}
	if (fs.kind != SITE_PHP || php_string(h, fs.addr, name, sizeof(name)) <= 0) {
		snprintf(buf, len, "0x%llx:%llu", (unsigned long long)fs.addr,
			 (unsigned long long)fs.aux);
		return;
	}
	snprintf(buf, len, "%s:%llu", name, (unsigned long long)fs.aux);
}
