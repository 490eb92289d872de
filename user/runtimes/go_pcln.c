// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Go's pclntab (1.18+), as runtime/symtab.go lays it out: a pcHeader, then the function
 * name, compilation-unit, file, pc-value and function tables at offsets it gives. */
#define _GNU_SOURCE	/* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../elfsym.h"
#include "../runtime.h"
#include "go_pcln.h"

#define PCLN_MAGIC_118 0xfffffff0u
#define PCLN_MAGIC_120 0xfffffff1u
/* pcHeader fields */
#define PCLN_NFUNC 8
#define PCLN_TEXT_START 24
#define PCLN_FUNCNAME_OFFSET 32
#define PCLN_CU_OFFSET 40
#define PCLN_FILETAB_OFFSET 48
#define PCLN_PCTAB_OFFSET 56
#define PCLN_PCLN_OFFSET 64
#define PCLN_HDR_SIZE 72
/* _func fields */
#define FUNC_NAME_OFF 4
#define FUNC_PCFILE 20
#define FUNC_PCLN 24
#define FUNC_NPCDATA 28
#define FUNC_CU_OFFSET 32
#define PCDATA_INL_TREE_INDEX 2
#define FUNCDATA_INL_TREE 3
/* runtime.moduledata fields. text is at the same place from 1.18 on; types and gofunc
 * (the go:func.* symbol) move: after covctrs/ecovctrs from 1.20, and 1.27 has two more
 * words before rodata and gofunc (measured on stripped builds of go1.24.4, go1.26.3 and
 * go1.27.3: the gofunc that gives every sampled function's funcdata a stackmap). */
#define MODULEDATA_TEXT 176
static const struct moduledata_layout {
	int from_minor;
	size_t types, gofunc;
} moduledata_layouts[] = { { 27, 296, 344 }, { 20, 296, 320 }, { 18, 280, 304 } };
#define PCVALUE_MAX_STEPS 100000
/* .go.buildinfo */
#define BUILDINFO_MAGIC "\xff Go buildinf:"
#define BUILDINFO_HDR 32
#define BUILDINFO_INLINE 0x2
#define INLINE_MAX_DEPTH 32

const uint8_t *go_uvarint(const uint8_t *p, const uint8_t *end, uint32_t *v)
{
	int shift;

	*v = 0;
	for (shift = 0; p < end && shift < 35; shift += 7, p++) {
		*v |= (uint32_t)(*p & 0x7f) << shift;
		if (!(*p & 0x80))
			return p + 1;
	}
	return NULL;
}

/* The NUL-terminated string at offset off of the table at hdr + table_off, or NULL. */
static const char *pcln_str(const struct go_pcln *pl, size_t table_off, uint64_t off)
{
	uint64_t at = u64_at(pl->hdr, table_off) + off;

	if (at >= pl->size || !memchr(pl->hdr + at, 0, pl->size - at))
		return NULL;
	return (const char *)pl->hdr + at;
}

const uint8_t *go_pcln_func(const struct go_pcln *pl, uint64_t pc, uint64_t *entry)
{
	uint32_t lo = 0, hi = pl->nfunc, mid, funcoff;
	uint64_t off = pc - pl->text;

	if (pc < pl->text || off >= UINT32_MAX || !pl->nfunc)
		return NULL;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (u32_at(pl->tab, mid * 8) <= off)
			lo = mid;
		else
			hi = mid;
	}
	if (u32_at(pl->tab, lo * 8) > off || u32_at(pl->tab, pl->nfunc * 8) <= off)
		return NULL;
	funcoff = u32_at(pl->tab, lo * 8 + 4);
	if (entry)
		*entry = pl->text + u32_at(pl->tab, lo * 8);
	return (uint64_t)funcoff + pl->func_hdr <= pl->tab_size ? pl->tab + funcoff : NULL;
}

/* The 4-byte slot i after a _func's header (pcdata, then funcdata), or NULL. */
static const uint8_t *func_slot(const struct go_pcln *pl, const uint8_t *fn, size_t i)
{
	size_t at = (size_t)(fn - pl->tab) + pl->func_hdr + i * 4;

	return at + 4 <= pl->tab_size ? pl->tab + at : NULL;
}

uint64_t go_pcln_funcdata(const struct go_pcln *pl, const uint8_t *fn, unsigned int i)
{
	const uint8_t *slot;
	uint32_t off;

	if (fn[pl->func_hdr - 1] <= i ||
	    !(slot = func_slot(pl, fn, u32_at(fn, FUNC_NPCDATA) + (size_t)i)) ||
	    (off = u32_at(slot, 0)) == UINT32_MAX)
		return 0;
	return pl->gofunc + off;
}

/* The value of the pc-value table at pctab offset off for pc (function entry at entry),
 * as runtime.pcvalue decodes it: 0, or -1 when it has none. */
static int pcvalue(const struct go_pcln *pl, uint32_t off, uint64_t entry, uint64_t pc,
		   int32_t *val)
{
	uint64_t base = u64_at(pl->hdr, PCLN_PCTAB_OFFSET) + off, at = entry;
	const uint8_t *p, *end = pl->hdr + pl->size;
	uint32_t uv, pcd;
	int n;

	if (!off || base >= pl->size)
		return -1;
	*val = -1;
	for (p = pl->hdr + base, n = 0; n < PCVALUE_MAX_STEPS && p < end; n++) {
		if (!*p && n)
			break;
		if (!(p = go_uvarint(p, end, &uv)))
			break;
		*val += (int32_t)(uv & 1 ? ~(uv >> 1) : uv >> 1);
		if (!(p = go_uvarint(p, end, &pcd)))
			break;
		at += pcd;	/* the pc quantum is 1 on x86-64 */
		if (pc < at)
			return 0;
	}
	return -1;
}

/* pcdata table t of _func fn at pc; -1 when it has none. */
static int32_t pcdata(const struct go_pcln *pl, const uint8_t *fn, uint64_t entry,
		      unsigned int t, uint64_t pc)
{
	const uint8_t *slot = t < u32_at(fn, FUNC_NPCDATA) ? func_slot(pl, fn, t) : NULL;
	int32_t v;

	return slot && !pcvalue(pl, u32_at(slot, 0), entry, pc, &v) ? v : -1;
}

/* File and line of pc in _func fn. */
static int file_line(const struct go_pcln *pl, const uint8_t *fn, uint64_t entry, uint64_t pc,
		     const char **file, int *line)
{
	int32_t fno, ln;
	uint64_t cu;

	if (pcvalue(pl, u32_at(fn, FUNC_PCFILE), entry, pc, &fno) || fno < 0 ||
	    pcvalue(pl, u32_at(fn, FUNC_PCLN), entry, pc, &ln))
		return -1;
	cu = u64_at(pl->hdr, PCLN_CU_OFFSET) + ((uint64_t)u32_at(fn, FUNC_CU_OFFSET) + fno) * 4;
	if (cu + 4 > pl->size || !(*file = pcln_str(pl, PCLN_FILETAB_OFFSET, u32_at(pl->hdr, cu))))
		return -1;
	*line = ln;
	return 0;
}

/* elf_line_fn: the line of vaddr; inlined calls `skip` names hand over to their call
 * site, as the runtime's own traceback unwinds them (FUNCDATA_InlTree). */
static int pcln_line(void *arg, uint64_t vaddr, elf_skip_fn skip, const char **inlined,
		     const char **file, int *line)
{
	const struct go_pcln *pl = arg;
	uint8_t call[20];
	uint64_t entry, tree;
	const uint8_t *fn = go_pcln_func(pl, vaddr, &entry);
	const char *name;
	size_t csize = pl->v120 ? 16 : 20;
	int32_t ix;
	int depth;

	if (!fn || file_line(pl, fn, entry, vaddr, file, line))
		return -1;
	if (!skip || !(tree = go_pcln_funcdata(pl, fn, FUNCDATA_INL_TREE)))
		return 0;
	for (depth = 0; depth < INLINE_MAX_DEPTH; depth++) {
		if ((ix = pcdata(pl, fn, entry, PCDATA_INL_TREE_INDEX, vaddr)) < 0 ||
		    elf_read_vaddr(pl->elf, tree + (uint64_t)ix * csize, call, csize))
			break;
		/* inlinedCall: nameOff and parentPc at 4 and 8 (1.20+), at 12 and 16 before */
		name = pcln_str(pl, PCLN_FUNCNAME_OFFSET, u32_at(call, pl->v120 ? 4 : 12));
		if (name && !skip(name) && inlined)
			*inlined = name;
		if (!name || !skip(name))
			break;
		vaddr = entry + u32_at(call, pl->v120 ? 8 : 16);
		if (file_line(pl, fn, entry, vaddr, file, line))
			return -1;
	}
	return 0;
}

/* runtime.firstmoduledata, found by its first field (the pcHeader's address) and its
 * second (funcnametab's), in .noptrdata (in a section of its own, .go.module, from Go
 * 1.26): the address (ELF vaddr) in its field at off, or 0. */
static uint64_t moduledata_at(const struct go_pcln *pl, size_t off)
{
	static const char *const sections[] = { ".go.module", ".noptrdata" };
	uint64_t vaddr, names = pl->vaddr + u64_at(pl->hdr, PCLN_FUNCNAME_OFFSET), v;
	const uint8_t *d;
	size_t size, i, k;

	for (k = 0; k < sizeof(sections) / sizeof(sections[0]); k++) {
		d = elf_section(pl->elf, sections[k], &size, &vaddr);
		for (i = 0; d && i + off + 8 <= size; i += 8) {
			if (u64_at(d, i) != pl->vaddr || u64_at(d, i + 8) != names)
				continue;
			v = u64_at(d, i + off);
			return elf_vaddr_to_offset(pl->elf, v) >= 0 ? v : 0;
		}
	}
	return 0;
}

/* Adds every function of the table as a symbol of pl->elf. */
static int add_funcs(struct go_pcln *pl)
{
	struct elf_sym *syms = calloc(pl->nfunc ? pl->nfunc : 1, sizeof(*syms));
	uint32_t i, n = 0, entry, next;
	const uint8_t *fn;
	int ret;

	if (!syms)
		return -1;
	for (i = 0; i < pl->nfunc; i++) {
		entry = u32_at(pl->tab, i * 8);
		next = u32_at(pl->tab, (i + 1) * 8);
		fn = go_pcln_func(pl, pl->text + entry, NULL);
		if (!fn || next < entry ||
		    !(syms[n].name = pcln_str(pl, PCLN_FUNCNAME_OFFSET, u32_at(fn, FUNC_NAME_OFF))))
			continue;
		syms[n].value = pl->text + entry;
		syms[n].size = next - entry;
		syms[n++].is_func = 1;
	}
	ret = elf_add_funcs(pl->elf, syms, n);
	free(syms);
	return ret;
}

/* An externally linked PIE has the pclntab inside .data.rel.ro, with no section of its
 * own: its header, 8-byte aligned, where a function table's first entry agrees with it. */
static const uint8_t *pcln_in_relro(struct elf_file *e, size_t *size, uint64_t *vaddr)
{
	size_t n, i, off;
	uint64_t base;
	const uint8_t *d = elf_section(e, ".data.rel.ro", &n, &base), *h;

	for (i = 0; d && i + PCLN_HDR_SIZE <= n; i += 8) {
		h = d + i;
		if ((u32_at(h, 0) != PCLN_MAGIC_118 && u32_at(h, 0) != PCLN_MAGIC_120) ||
		    h[4] || h[5] || h[6] != 1 || h[7] != 8)
			continue;
		off = u64_at(h, PCLN_PCLN_OFFSET);
		if (off + 8 > n - i || u32_at(h + off, 4) + 4 > n - i - off ||
		    u32_at(h + off + u32_at(h + off, 4), 0) != u32_at(h + off, 0))
			continue;
		*size = n - i;
		*vaddr = base + i;
		return h;
	}
	return NULL;
}

static int buildinfo_version(struct elf_file *e, char *buf, size_t len)
{
	const uint8_t *p, *s;
	uint64_t str[2], vaddr;
	uint32_t n;
	size_t size;

	p = elf_section(e, ".go.buildinfo", &size, &vaddr);
	if (!p || size < BUILDINFO_HDR || memcmp(p, BUILDINFO_MAGIC, 14) || p[14] != 8)
		return -1;
	if (p[15] & BUILDINFO_INLINE) {
		if (!(s = go_uvarint(p + BUILDINFO_HDR, p + size, &n)) || n > size - (size_t)(s - p))
			return -1;
		snprintf(buf, len, "%.*s", (int)n, s);
		return 0;
	}
	vaddr = u64_at(p, 16);
	if (elf_read_vaddr(e, vaddr, str, sizeof(str)) || str[1] >= len ||
	    elf_read_vaddr(e, str[0], buf, str[1]))
		return -1;
	buf[str[1]] = 0;
	return 0;
}

/* Where the digits from p + i end, in [p, end). */
static size_t digits_end(const uint8_t *p, const uint8_t *end, size_t i)
{
	while (p + i < end && p[i] >= '0' && p[i] <= '9')
		i++;
	return i;
}

/* runtime.buildVersion, for a binary whose makers removed its build info (esbuild's):
 * the one "go1.N[.M]" string in .rodata that a string header in .data points at. 0, or
 * -1 when there is not exactly one. */
static int build_version_var(struct elf_file *e, char *buf, size_t len)
{
	const uint8_t *ro, *data, *at, *end;
	uint64_t ro_vaddr, data_vaddr, hdr[2];
	size_t ro_size, data_size, i, k, n[2];
	int found = 0;

	if (!(ro = elf_section(e, ".rodata", &ro_size, &ro_vaddr)) ||
	    !(data = elf_section(e, ".data", &data_size, &data_vaddr)))
		return -1;
	end = ro + ro_size;
	for (at = ro; (at = memmem(at, (size_t)(end - at), "go1.", 4)); at++) {
		/* Both lengths a header may give: "go1.N" and "go1.N.M". */
		n[0] = digits_end(at, end, 4);
		n[1] = at + n[0] + 1 < end && at[n[0]] == '.' ? digits_end(at, end, n[0] + 1) : 0;
		for (k = 0; k < 2; k++) {
			if (n[k] <= 4 || (k && n[1] == n[0] + 1))
				continue;
			hdr[0] = ro_vaddr + (uint64_t)(at - ro);
			hdr[1] = n[k];
			for (i = 0; i + sizeof(hdr) <= data_size; i += 8) {
				if (memcmp(data + i, hdr, sizeof(hdr)))
					continue;
				if (found++ || n[k] >= len)
					return -1;
				memcpy(buf, at, n[k]);
				buf[n[k]] = 0;
			}
		}
	}
	return found == 1 ? 0 : -1;
}

int go_build_version(struct elf_file *e, char *buf, size_t len)
{
	const struct go_pcln *pl;

	if (!buildinfo_version(e, buf, len))
		return 0;
	if (!(pl = go_pcln_of(e)) || !pl->version[0])
		return -1;
	snprintf(buf, len, "%s", pl->version);
	return 0;
}

/* The moduledata layout of e's Go release (from its build info, else its pclntab's). */
static const struct moduledata_layout *moduledata_layout(const struct go_pcln *pl)
{
	const size_t n = sizeof(moduledata_layouts) / sizeof(moduledata_layouts[0]);
	const char *at;
	int minor = pl->v120 ? 20 : 18;
	size_t i;

	if ((at = strstr(pl->version, "go1.")))
		minor = atoi(at + 4);
	for (i = 0; i < n - 1 && minor < moduledata_layouts[i].from_minor; i++)
		;
	return &moduledata_layouts[i];
}

static int pcln_read(struct go_pcln *pl, struct elf_file *e)
{
	const struct moduledata_layout *md;
	const struct elf_sym *s;
	uint64_t off;
	uint32_t magic;

	pl->elf = e;
	/* A PIE has it among the data the loader relocates. */
	if (!(pl->hdr = elf_section(e, ".gopclntab", &pl->size, &pl->vaddr)) &&
	    !(pl->hdr = elf_section(e, ".data.rel.ro.gopclntab", &pl->size, &pl->vaddr)))
		pl->hdr = pcln_in_relro(e, &pl->size, &pl->vaddr);
	if (!pl->hdr || pl->size < PCLN_HDR_SIZE)
		return -1;
	magic = u32_at(pl->hdr, 0);
	if ((magic != PCLN_MAGIC_118 && magic != PCLN_MAGIC_120) || pl->hdr[6] != 1 ||
	    pl->hdr[7] != 8)
		return -1;
	pl->v120 = magic == PCLN_MAGIC_120;
	if (!buildinfo_version(e, pl->version, sizeof(pl->version)))
		pl->version_from = "build info";
	else if (!build_version_var(e, pl->version, sizeof(pl->version)))
		pl->version_from = "runtime.buildVersion (no build info)";
	else
		pl->version[0] = 0;
	pl->func_hdr = pl->v120 ? 44 : 40;
	off = u64_at(pl->hdr, PCLN_PCLN_OFFSET);
	pl->nfunc = (uint32_t)u64_at(pl->hdr, PCLN_NFUNC);
	if (off >= pl->size || (uint64_t)pl->nfunc * 8 + 8 > pl->size - off)
		return -1;
	pl->tab = pl->hdr + off;
	pl->tab_size = pl->size - off;
	md = moduledata_layout(pl);
	/* The file holds link-time addresses, also where the loader relocates them. From
	 * 1.26, pcHeader.textStart is 0: the runtime takes text from its moduledata. */
	s = elf_sym_by_name(e, "runtime.text");
	pl->text = s ? s->value : u64_at(pl->hdr, PCLN_TEXT_START);
	pl->text_from = s ? "symbol runtime.text" : "pcHeader.textStart";
	if (!pl->text) {
		pl->text = moduledata_at(pl, MODULEDATA_TEXT);
		pl->text_from = "runtime.firstmoduledata.text";
	}
	if (!(s = elf_sym_by_name(e, "go:func.*")))
		s = elf_sym_by_name(e, "go.func.*");
	pl->gofunc = s ? s->value : moduledata_at(pl, md->gofunc);
	pl->gofunc_from = s ? "symbol go:func.*" : "runtime.firstmoduledata.gofunc";
	if (!pl->text || !pl->gofunc)
		return -1;
	s = elf_sym_by_name(e, "runtime.types");
	pl->types = s ? s->value : moduledata_at(pl, md->types);
	if (elf_file_is_stripped(e)) {
		if (add_funcs(pl))
			return -1;
		pl->added_funcs = 1;
	}
	return 0;
}

struct go_pcln *go_pcln_of(struct elf_file *e)
{
	struct go_pcln *pl = elf_ext(e);

	if (pl)
		return pl;
	if (!(pl = calloc(1, sizeof(*pl))))
		return NULL;
	if (pcln_read(pl, e)) {
		free(pl);
		return NULL;
	}
	elf_set_ext(e, pl, pcln_line, free);
	return pl;
}
