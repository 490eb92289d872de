// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* ELF symbols (.symtab, .dynsym, separate debug files) and DWARF member offsets. */
#include <elfutils/libdw.h>
#include <dwarf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "elfsym.h"

#define DEBUG_ROOT "/usr/lib/debug"
#define INLINE_CHAIN_MAX 32	/* scopes (function, blocks, inlined calls) around one address */

struct elf_image {
	int fd;
	Elf *elf;
	const char *raw;	/* the whole file, mapped by libelf */
	size_t raw_size;
};

struct type_entry {
	char *name;		/* qualified: "runtime.g", "swoole::Coroutine" */
	Dwarf_Off die;
};

struct elf_file {
	char *path, *debug_path;
	struct elf_image main, debug;
	struct elf_sym *syms;	/* sorted by name */
	struct elf_sym **by_addr;	/* function symbols sorted by address */
	size_t nsyms, nfuncs;
	int has_symtab;
	Dwarf *dw;		/* from the debug file when there is one, else the file */
	int dw_tried;
	void *ext;		/* see elf_set_ext() */
	elf_line_fn ext_lines;
	void (*ext_free)(void *);
	struct type_entry *types;	/* sorted by name; built on first type query */
	size_t ntypes;
	int types_built;
};

static int image_open(struct elf_image *im, const char *path)
{
	im->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (im->fd < 0)
		return -1;
	im->elf = elf_begin(im->fd, ELF_C_READ_MMAP, NULL);
	if (!im->elf || elf_kind(im->elf) != ELF_K_ELF) {
		if (im->elf)
			elf_end(im->elf);
		close(im->fd);
		im->elf = NULL;
		im->fd = -1;
		return -1;
	}
	im->raw = elf_rawfile(im->elf, &im->raw_size);
	return 0;
}

static void image_close(struct elf_image *im)
{
	if (im->elf)
		elf_end(im->elf);
	if (im->fd >= 0)
		close(im->fd);
	im->elf = NULL;
	im->fd = -1;
}

static Elf_Scn *find_section(Elf *elf, const char *name, GElf_Shdr *shdr)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (!elf || elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *n;

		if (!gelf_getshdr(scn, shdr))
			continue;
		n = elf_strptr(elf, shstrndx, shdr->sh_name);
		if (n && !strcmp(n, name))
			return scn;
	}
	return NULL;
}

static const char *image_build_id(struct elf_image *im, size_t *len)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;

	while (im->elf && (scn = elf_nextscn(im->elf, scn))) {
		Elf_Data *data;
		GElf_Nhdr nh;
		size_t off = 0, noff, doff;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_NOTE)
			continue;
		data = elf_getdata(scn, NULL);
		while (data && (off = gelf_getnote(data, off, &nh, &noff, &doff)) > 0) {
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    !memcmp((char *)data->d_buf + noff, "GNU", 4)) {
				*len = nh.n_descsz;
				return (char *)data->d_buf + doff;
			}
		}
	}
	return NULL;
}

/* The separate debug file: by build-id, then by .gnu_debuglink next to the file. */
static char *find_debug_file(struct elf_file *e)
{
	char path[4096], dir[4096];
	const char *id, *link, *slash;
	Elf_Scn *scn;
	GElf_Shdr shdr;
	size_t len, i;
	int n;

	if (getenv("CODEFER_NO_DEBUGINFO"))
		return NULL;
	id = image_build_id(&e->main, &len);
	if (id && len > 1 && len < 64) {
		n = snprintf(path, sizeof(path), DEBUG_ROOT "/.build-id/%02x/", (unsigned char)id[0]);
		for (i = 1; i < len; i++)
			n += snprintf(path + n, sizeof(path) - n, "%02x", (unsigned char)id[i]);
		snprintf(path + n, sizeof(path) - n, ".debug");
		if (!access(path, R_OK))
			return strdup(path);
	}
	scn = find_section(e->main.elf, ".gnu_debuglink", &shdr);
	if (!scn)
		return NULL;
	link = elf_getdata(scn, NULL) ? elf_getdata(scn, NULL)->d_buf : NULL;
	if (!link || !memchr(link, 0, shdr.sh_size))
		return NULL;
	slash = strrchr(e->path, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - e->path) : 1, slash ? e->path : ".");
	const char *fmts[] = { "%s/%s", "%s/.debug/%s", DEBUG_ROOT "%s/%s" };
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		snprintf(path, sizeof(path), fmts[i], dir, link);
		if (strcmp(path, e->path) && !access(path, R_OK))
			return strdup(path);
	}
	return NULL;
}

static void add_symbols(struct elf_file *e, Elf *elf, Elf64_Word type, size_t *cap)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		size_t i, n;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != type || !shdr.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		n = shdr.sh_size / shdr.sh_entsize;
		for (i = 0; data && i < n; i++) {
			GElf_Sym sym;
			const char *name;
			int st;

			if (!gelf_getsym(data, i, &sym) || sym.st_shndx == SHN_UNDEF)
				continue;
			st = GELF_ST_TYPE(sym.st_info);
			if (st != STT_FUNC && st != STT_OBJECT && st != STT_TLS && st != STT_NOTYPE &&
			    st != STT_GNU_IFUNC)
				continue;
			name = elf_strptr(elf, shdr.sh_link, sym.st_name);
			if (!name || !*name)
				continue;
			if (e->nsyms == *cap) {
				*cap = *cap ? *cap * 2 : 1024;
				e->syms = realloc(e->syms, *cap * sizeof(*e->syms));
			}
			e->syms[e->nsyms++] = (struct elf_sym){
				.name = name, .value = sym.st_value, .size = sym.st_size,
				.is_func = st == STT_FUNC || st == STT_GNU_IFUNC, .is_tls = st == STT_TLS,
			};
		}
	}
}

static int cmp_sym_name(const void *a, const void *b)
{
	const struct elf_sym *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	/* Prefer sized symbols so duplicates (symtab + dynsym) resolve to the richer one. */
	return c ? c : (x->size < y->size) - (x->size > y->size);
}

static int cmp_sym_addr(const void *a, const void *b)
{
	const struct elf_sym *x = *(struct elf_sym *const *)a, *y = *(struct elf_sym *const *)b;

	return (x->value > y->value) - (x->value < y->value);
}

/* Sorts the symbols by name and indexes the functions by address. */
static int index_symbols(struct elf_file *e)
{
	size_t i;

	free(e->by_addr);
	e->by_addr = NULL;
	e->nfuncs = 0;
	if (!e->nsyms)
		return 0;
	qsort(e->syms, e->nsyms, sizeof(*e->syms), cmp_sym_name);
	e->by_addr = calloc(e->nsyms, sizeof(*e->by_addr));
	if (!e->by_addr)
		return -1;
	for (i = 0; i < e->nsyms; i++)
		if (e->syms[i].is_func && e->syms[i].value)
			e->by_addr[e->nfuncs++] = &e->syms[i];
	qsort(e->by_addr, e->nfuncs, sizeof(*e->by_addr), cmp_sym_addr);
	return 0;
}

static void load_symbols(struct elf_file *e)
{
	size_t cap = 0;

	add_symbols(e, e->main.elf, SHT_SYMTAB, &cap);
	if (e->debug.elf)
		add_symbols(e, e->debug.elf, SHT_SYMTAB, &cap);
	e->has_symtab = e->nsyms > 0;
	add_symbols(e, e->main.elf, SHT_DYNSYM, &cap);
	index_symbols(e);
}

int elf_add_funcs(struct elf_file *e, const struct elf_sym *funcs, size_t n)
{
	struct elf_sym *syms = realloc(e->syms, (e->nsyms + n) * sizeof(*syms));

	if (!syms)
		return -1;
	e->syms = syms;
	memcpy(e->syms + e->nsyms, funcs, n * sizeof(*funcs));
	e->nsyms += n;
	return index_symbols(e);
}

void elf_set_ext(struct elf_file *e, void *arg, elf_line_fn lines, void (*free_arg)(void *))
{
	e->ext = arg;
	e->ext_lines = lines;
	e->ext_free = free_arg;
}

void *elf_ext(struct elf_file *e)
{
	return e->ext;
}

struct elf_file *elf_file_open(const char *path)
{
	static int initialised;
	struct elf_file *e;

	if (!initialised) {
		elf_version(EV_CURRENT);
		initialised = 1;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->debug.fd = -1;
	e->path = strdup(path);
	if (image_open(&e->main, path)) {
		free(e->path);
		free(e);
		return NULL;
	}
	e->debug_path = find_debug_file(e);
	if (e->debug_path && image_open(&e->debug, e->debug_path)) {
		free(e->debug_path);
		e->debug_path = NULL;
	}
	load_symbols(e);
	return e;
}

void elf_file_close(struct elf_file *e)
{
	size_t i;

	if (!e)
		return;
	if (e->dw)
		dwarf_end(e->dw);
	if (e->ext_free)
		e->ext_free(e->ext);
	for (i = 0; i < e->ntypes; i++)
		free(e->types[i].name);
	free(e->types);
	image_close(&e->debug);
	image_close(&e->main);
	free(e->by_addr);
	free(e->syms);
	free(e->debug_path);
	free(e->path);
	free(e);
}

const char *elf_file_path(const struct elf_file *e)
{
	return e->path;
}

const char *elf_file_debug_path(const struct elf_file *e)
{
	return e->debug_path;
}

int elf_file_is_stripped(struct elf_file *e)
{
	return !e->has_symtab;
}

const struct elf_sym *elf_sym_by_name(struct elf_file *e, const char *name)
{
	struct elf_sym key = { .name = name };
	size_t lo = 0, hi = e->nsyms;

	/* Lower bound, so the sized duplicate (sorted first) wins. */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (strcmp(e->syms[mid].name, key.name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < e->nsyms && !strcmp(e->syms[lo].name, name) ? &e->syms[lo] : NULL;
}

const struct elf_sym *elf_sym_by_addr(struct elf_file *e, uint64_t vaddr)
{
	size_t lo = 0, hi = e->nfuncs;
	const struct elf_sym *s;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (e->by_addr[mid]->value <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	s = e->by_addr[lo - 1];
	/* Unsized symbols (assembly) get a generous but finite reach. */
	if (vaddr < s->value + (s->size ? s->size : 4096))
		return s;
	return NULL;
}

int elf_sym_each(struct elf_file *e, int (*fn)(const struct elf_sym *s, void *arg), void *arg)
{
	size_t i;
	int r;

	for (i = 0; i < e->nsyms; i++)
		if ((r = fn(&e->syms[i], arg)))
			return r;
	return 0;
}

static int load_segment(Elf *elf, size_t i, GElf_Phdr *ph)
{
	return gelf_getphdr(elf, i, ph) && ph->p_type == PT_LOAD;
}

int64_t elf_vaddr_to_offset(struct elf_file *e, uint64_t vaddr)
{
	size_t n, i;
	GElf_Phdr ph;

	if (elf_getphdrnum(e->main.elf, &n))
		return -1;
	for (i = 0; i < n; i++)
		if (load_segment(e->main.elf, i, &ph) && vaddr >= ph.p_vaddr &&
		    vaddr < ph.p_vaddr + ph.p_filesz)
			return vaddr - ph.p_vaddr + ph.p_offset;
	return -1;
}

int elf_offset_delta(struct elf_file *e, uint64_t off, int64_t *delta)
{
	size_t n, i;
	GElf_Phdr ph;

	if (elf_getphdrnum(e->main.elf, &n))
		return -1;
	for (i = 0; i < n; i++) {
		if (!load_segment(e->main.elf, i, &ph))
			continue;
		/* Mappings start at page-aligned offsets at or below the segment's own. */
		if (off <= ph.p_offset + ph.p_filesz && (off >= ph.p_offset ||
		    ph.p_offset - off < (ph.p_align ? ph.p_align : 4096))) {
			*delta = (int64_t)(ph.p_vaddr - ph.p_offset);
			return 0;
		}
	}
	return -1;
}

int elf_read_vaddr(struct elf_file *e, uint64_t vaddr, void *buf, size_t len)
{
	int64_t off = elf_vaddr_to_offset(e, vaddr);

	if (off < 0 || !e->main.raw || (uint64_t)off + len > e->main.raw_size)
		return -1;
	memcpy(buf, e->main.raw + off, len);
	return 0;
}

const void *elf_section(struct elf_file *e, const char *name, size_t *size, uint64_t *vaddr)
{
	GElf_Shdr shdr;
	Elf_Scn *scn = find_section(e->main.elf, name, &shdr);
	Elf_Data *data;

	if (!scn || shdr.sh_type == SHT_NOBITS || !(data = elf_getdata(scn, NULL)))
		return NULL;
	if (size)
		*size = data->d_size;
	if (vaddr)
		*vaddr = shdr.sh_addr;
	return data->d_buf;
}

int elf_tls_segment(struct elf_file *e, uint64_t *memsz, uint64_t *align)
{
	size_t n, i;
	GElf_Phdr ph;

	if (elf_getphdrnum(e->main.elf, &n))
		return -1;
	for (i = 0; i < n; i++)
		if (gelf_getphdr(e->main.elf, i, &ph) && ph.p_type == PT_TLS) {
			*memsz = ph.p_memsz;
			*align = ph.p_align;
			return 0;
		}
	return -1;
}

const char *elf_build_id(struct elf_file *e, size_t *len)
{
	return image_build_id(&e->main, len);
}

/* ---- DWARF ---- */

static Dwarf *dwarf_of(struct elf_file *e)
{
	if (!e->dw_tried) {
		e->dw_tried = 1;
		if (e->debug.elf)
			e->dw = dwarf_begin_elf(e->debug.elf, DWARF_C_READ, NULL);
		if (!e->dw)
			e->dw = dwarf_begin_elf(e->main.elf, DWARF_C_READ, NULL);
	}
	return e->dw;
}

int elf_file_has_dwarf(struct elf_file *e)
{
	return dwarf_of(e) != NULL;
}

static int is_type_tag(int tag)
{
	return tag == DW_TAG_structure_type || tag == DW_TAG_class_type ||
	       tag == DW_TAG_union_type || tag == DW_TAG_typedef;
}

static void index_types(struct elf_file *e, Dwarf_Die *parent, const char *prefix, size_t *cap)
{
	Dwarf_Die child;
	char name[512];

	if (dwarf_child(parent, &child))
		return;
	do {
		int tag = dwarf_tag(&child);
		const char *n = dwarf_diename(&child);

		if (!n)
			continue;
		snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "::" : "", n);
		if (tag == DW_TAG_namespace) {
			index_types(e, &child, name, cap);
			continue;
		}
		if (!is_type_tag(tag) || dwarf_hasattr(&child, DW_AT_declaration))
			continue;
		if (e->ntypes == *cap) {
			*cap = *cap ? *cap * 2 : 4096;
			e->types = realloc(e->types, *cap * sizeof(*e->types));
		}
		e->types[e->ntypes].name = strdup(name);
		e->types[e->ntypes++].die = dwarf_dieoffset(&child);
		/* Nested classes (swoole::Coroutine::...) are named through their parent. */
		if (tag == DW_TAG_class_type || tag == DW_TAG_structure_type)
			index_types(e, &child, name, cap);
	} while (!dwarf_siblingof(&child, &child));
}

static int cmp_type(const void *a, const void *b)
{
	const struct type_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->die > y->die) - (x->die < y->die);
}

static void build_type_index(struct elf_file *e)
{
	Dwarf *dw = dwarf_of(e);
	Dwarf_Off off = 0, next;
	size_t hsize, cap = 0;

	e->types_built = 1;
	if (!dw)
		return;
	while (!dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL)) {
		Dwarf_Die cu;

		if (dwarf_offdie(dw, off + hsize, &cu))
			index_types(e, &cu, "", &cap);
		off = next;
	}
	if (e->ntypes)
		qsort(e->types, e->ntypes, sizeof(*e->types), cmp_type);
}

/* Follows typedefs and qualifiers to the struct, class or union. */
static int resolve_type(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	int i;

	for (i = 0; i < 16; i++) {
		int tag = dwarf_tag(die);

		if (tag == DW_TAG_structure_type || tag == DW_TAG_class_type ||
		    tag == DW_TAG_union_type)
			return 0;
		if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type &&
		    tag != DW_TAG_member && tag != DW_TAG_inheritance)
			return -1;
		if (!dwarf_attr_integrate(die, DW_AT_type, &attr) || !dwarf_formref_die(&attr, die))
			return -1;
	}
	return -1;
}

/* A complete definition of `type` (declarations are skipped in the index). */
static int find_type(struct elf_file *e, const char *type, Dwarf_Die *out)
{
	size_t lo = 0, hi;

	if (!e->types_built)
		build_type_index(e);
	hi = e->ntypes;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (strcmp(e->types[mid].name, type) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < e->ntypes && !strcmp(e->types[lo].name, type); lo++) {
		Dwarf_Attribute attr;

		if (!dwarf_offdie(e->dw, e->types[lo].die, out) || resolve_type(out))
			continue;
		if (dwarf_attr(out, DW_AT_byte_size, &attr))
			return 0;
	}
	return -1;
}

static long member_location(Dwarf_Die *m)
{
	Dwarf_Attribute attr;
	Dwarf_Word off;
	Dwarf_Op *ops;
	size_t nops;

	if (!dwarf_attr(m, DW_AT_data_member_location, &attr))
		return 0;	/* union members */
	if (!dwarf_formudata(&attr, &off))
		return (long)off;
	if (!dwarf_getlocation(&attr, &ops, &nops) && nops == 1 && ops[0].atom == DW_OP_plus_uconst)
		return (long)ops[0].number;
	return -1;
}

/* Offset of one member in *st (searching base classes too); *st becomes its type. */
static long member_in(Dwarf_Die *st, const char *name, int depth)
{
	Dwarf_Die child;

	if (depth > 8 || dwarf_child(st, &child))
		return -1;
	do {
		int tag = dwarf_tag(&child);
		const char *n = dwarf_diename(&child);

		if (tag == DW_TAG_member && n && !strcmp(n, name)) {
			long off = member_location(&child);

			if (off >= 0 && resolve_type(&child) == 0)
				*st = child;
			else if (off >= 0)
				st->addr = NULL;	/* a scalar: no further members */
			return off;
		}
		if (tag == DW_TAG_inheritance || (tag == DW_TAG_member && !n)) {
			/* Base classes and anonymous structs/unions hold members too. */
			Dwarf_Die base = child;
			long boff = member_location(&child), moff;

			if (boff < 0 || resolve_type(&base))
				continue;
			moff = member_in(&base, name, depth + 1);
			if (moff >= 0) {
				*st = base;
				return boff + moff;
			}
		}
	} while (!dwarf_siblingof(&child, &child));
	return -1;
}

long elf_dwarf_member_offset(struct elf_file *e, const char *type, const char *member)
{
	Dwarf_Die die;
	char path[256], *part, *save = NULL;
	long total = 0;

	if (!dwarf_of(e) || find_type(e, type, &die))
		return -1;
	snprintf(path, sizeof(path), "%s", member);
	for (part = strtok_r(path, ".", &save); part; part = strtok_r(NULL, ".", &save)) {
		long off;

		if (!die.addr)
			return -1;
		off = member_in(&die, part, 0);
		if (off < 0)
			return -1;
		total += off;
	}
	return total;
}

long elf_dwarf_type_size(struct elf_file *e, const char *type)
{
	Dwarf_Die die;
	Dwarf_Attribute attr;
	Dwarf_Word size;

	if (!dwarf_of(e) || find_type(e, type, &die) || !dwarf_attr(&die, DW_AT_byte_size, &attr) ||
	    dwarf_formudata(&attr, &size))
		return -1;
	return (long)size;
}

static int cu_of(Dwarf *dw, uint64_t vaddr, Dwarf_Die *cu)
{
	Dwarf_Off off = 0, next;
	size_t hsize;

	if (dwarf_addrdie(dw, vaddr, cu))
		return 0;
	/* Go emits no .debug_aranges: search the CUs' ranges. */
	while (!dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL)) {
		if (dwarf_offdie(dw, off + hsize, cu) && dwarf_haspc(cu, vaddr) > 0)
			return 0;
		off = next;
	}
	return -1;
}

/* The DIEs under `parent` whose code holds vaddr, outermost first: the function, the
 * blocks and the calls inlined into it. (libdw's dwarf_getscopes finds none in Go's
 * DWARF, whose inlined calls name their function in another unit.) */
static int scopes_at(Dwarf_Die *parent, uint64_t vaddr, Dwarf_Die *chain, int max)
{
	Dwarf_Die die;
	int n = 0, tag;

	if (dwarf_child(parent, &die))
		return 0;
	while (n < max) {
		tag = dwarf_tag(&die);
		if ((tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
		     tag == DW_TAG_lexical_block) && dwarf_haspc(&die, vaddr) > 0) {
			chain[n] = die;
			if (dwarf_child(&chain[n++], &die))
				break;
		} else if (dwarf_siblingof(&die, &die)) {
			break;
		}
	}
	return n;
}

/* Steps *file and *line out of the inlined call `inl`: to where it was called from. */
static int inline_call_site(Dwarf_Die *cu, Dwarf_Die *inl, const char **file, int *line)
{
	Dwarf_Attribute attr;
	Dwarf_Files *files;
	Dwarf_Word w;
	size_t nfiles;
	const char *f;

	if (!dwarf_attr(inl, DW_AT_call_line, &attr) || dwarf_formudata(&attr, &w))
		return -1;
	*line = (int)w;
	if (dwarf_attr(inl, DW_AT_call_file, &attr) && !dwarf_formudata(&attr, &w) &&
	    !dwarf_getsrcfiles(cu, &files, &nfiles) && w < nfiles &&
	    (f = dwarf_filesrc(files, w, NULL, NULL)))
		*file = f;
	return 0;
}

int elf_dwarf_line(struct elf_file *e, uint64_t vaddr, elf_skip_fn skip, const char **inlined,
		   const char **file, int *line)
{
	Dwarf *dw = dwarf_of(e);
	Dwarf_Die cu, chain[INLINE_CHAIN_MAX];
	Dwarf_Attribute attr;
	Dwarf_Line *l;
	int n;

	if (!dw)
		return e->ext_lines ? e->ext_lines(e->ext, vaddr, skip, inlined, file, line) : -1;
	if (cu_of(dw, vaddr, &cu) || !(l = dwarf_getsrc_die(&cu, vaddr)))
		return -1;
	*file = dwarf_linesrc(l, NULL, NULL);
	if (!*file || dwarf_lineno(l, line))
		return -1;
	if (!skip)
		return 0;
	/* Innermost first: each inlined call whose function `skip` names hands over to
	 * the line that called it. */
	for (n = scopes_at(&cu, vaddr, chain, INLINE_CHAIN_MAX); n-- > 0; ) {
		const char *name;

		if (dwarf_tag(&chain[n]) != DW_TAG_inlined_subroutine)
			continue;
		name = dwarf_formstring(dwarf_attr_integrate(&chain[n], DW_AT_name, &attr));
		if (name && !skip(name) && inlined)
			*inlined = name;
		if (!name || !skip(name) || inline_call_site(&cu, &chain[n], file, line))
			break;
	}
	return 0;
}
