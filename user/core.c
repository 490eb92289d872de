// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Core files as a target (see core.h).
 *
 * The core is parsed by hand from a read-only mapping: every header, note and segment is
 * checked against the file size before use, so a truncated or corrupt core gives one error
 * line instead of a crash (the kernel and gcore both write cores that tools must distrust:
 * a full disk truncates them silently).
 *
 * Memory: the PT_LOAD segments hold what was dumped. Code and read-only data are usually
 * left out (the kernel's default coredump_filter, gdb's gcore likewise) and are read from
 * the mapped files named by the NT_FILE note, at the same load bias a live target uses.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core.h"
#include "elfsym.h"

#ifndef NT_FILE
#define NT_FILE 0x46494c45
#endif

/* The x86-64 struct elf_prpsinfo: pr_fname[16] sits at byte 40 of its 136. */
#define PRPSINFO_SIZE 136
#define PRPSINFO_FNAME 40
/* NT_FILE entries we accept; a process has a few thousand mappings at most. */
#define MAX_FILE_ENTRIES (1 << 20)

struct core_seg {
	uint64_t vaddr, memsz, filesz, off;
};

struct core_file {
	int fd;
	const unsigned char *map;
	size_t size;
	struct core_seg *segs;	/* PT_LOAD, sorted by vaddr */
	size_t nsegs;
	size_t last;		/* segment of the previous read: walks read nearby */
};

struct file_entry {
	uint64_t start, end, off;
	const char *path;	/* inside the mapped note */
};

static int bad(char *err, size_t errlen, const char *core, const char *what)
{
	snprintf(err, errlen, "%s: %s", core, what);
	return EXIT_BAD_CORE;
}

/* Bytes [off, off+len) of the core, or NULL when they are not all in the file. */
static const void *core_bytes(const struct core_file *c, uint64_t off, uint64_t len)
{
	if (off > c->size || len > c->size - off)
		return NULL;
	return c->map + off;
}

static int cmp_seg(const void *a, const void *b)
{
	const struct core_seg *x = a, *y = b;

	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

/* The segment containing addr, or NULL. */
static const struct core_seg *seg_at(struct core_file *c, uint64_t addr)
{
	size_t lo = 0, hi = c->nsegs;
	const struct core_seg *s = c->nsegs ? &c->segs[c->last] : NULL;

	if (s && addr >= s->vaddr && addr - s->vaddr < s->memsz)
		return s;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		s = &c->segs[mid];
		if (addr < s->vaddr)
			hi = mid;
		else if (addr - s->vaddr >= s->memsz)
			lo = mid + 1;
		else {
			c->last = mid;
			return s;
		}
	}
	return NULL;
}

/* Start of the first segment above addr (to cut a file read short), or UINT64_MAX. */
static uint64_t next_seg_start(const struct core_file *c, uint64_t addr)
{
	size_t i;

	for (i = 0; i < c->nsegs; i++)
		if (c->segs[i].vaddr > addr)
			return c->segs[i].vaddr;
	return UINT64_MAX;
}

/* Memory the core itself holds (no fallback to files): for checks against those files. */
static const void *core_mem(struct core_file *c, uint64_t addr, size_t len)
{
	const struct core_seg *s = seg_at(c, addr);

	if (!s || addr - s->vaddr > s->filesz || len > s->filesz - (addr - s->vaddr))
		return NULL;
	return core_bytes(c, s->off + (addr - s->vaddr), len);
}

int core_read(struct target *t, uint64_t addr, void *buf, size_t len)
{
	struct core_file *c = t->core;
	unsigned char *p = buf;

	while (len) {
		const struct core_seg *s = seg_at(c, addr);
		size_t n;

		if (s && addr - s->vaddr < s->filesz) {
			n = s->filesz - (addr - s->vaddr);
			if (n > len)
				n = len;
			memcpy(p, c->map + s->off + (addr - s->vaddr), n);
		} else {
			/* Left out of the core: a file-backed mapping's bytes are the file's. */
			struct module *m = target_module_at(t, addr);
			struct elf_file *e = m ? module_elf(m) : NULL;
			uint64_t stop = s ? s->vaddr + s->memsz : next_seg_start(c, addr);
			uint64_t page_end = (addr | 4095) + 1;

			if (!e)
				return -1;
			if (stop > page_end)
				stop = page_end;
			n = stop - addr < len ? stop - addr : len;
			if (elf_read_vaddr(e, addr - m->bias, p, n))
				return -1;
		}
		p += n;
		addr += n;
		len -= n;
	}
	return 0;
}

void core_close(struct core_file *c)
{
	if (!c)
		return;
	if (c->map)
		munmap((void *)c->map, c->size);
	if (c->fd >= 0)
		close(c->fd);
	free(c->segs);
	free(c);
}

/* NT_FILE: count, page size, count x {start, end, page offset}, then count paths. */
static int parse_nt_file(const unsigned char *d, uint64_t len, struct file_entry **out,
			 size_t *nout)
{
	uint64_t count, page, i, pos;
	struct file_entry *fe;

	if (len < 16)
		return -1;
	memcpy(&count, d, 8);
	memcpy(&page, d + 8, 8);
	if (!count || count > MAX_FILE_ENTRIES || count * 24 > len - 16 || !page ||
	    (page & (page - 1)))
		return -1;
	fe = calloc(count, sizeof(*fe));
	if (!fe)
		return -1;
	pos = 16 + count * 24;
	for (i = 0; i < count; i++) {
		const unsigned char *nul;

		memcpy(&fe[i].start, d + 16 + i * 24, 8);
		memcpy(&fe[i].end, d + 24 + i * 24, 8);
		memcpy(&fe[i].off, d + 32 + i * 24, 8);
		nul = pos < len ? memchr(d + pos, 0, len - pos) : NULL;
		if (!nul || fe[i].end <= fe[i].start || fe[i].off > UINT64_MAX / page) {
			free(fe);
			return -1;
		}
		fe[i].off *= page;
		fe[i].path = (const char *)d + pos;
		pos = nul - d + 1;
	}
	*out = fe;
	*nout = count;
	return 0;
}

static struct module *add_module(struct target *t, const struct file_entry *fe)
{
	struct module *m;
	int i;

	for (i = 0; i < t->nmods; i++)
		if (!strcmp(t->mods[i].path, fe->path))
			break;
	if (i == t->nmods) {
		m = realloc(t->mods, (t->nmods + 1) * sizeof(*t->mods));
		if (!m)
			return NULL;
		t->mods = m;
		m = &t->mods[t->nmods++];
		memset(m, 0, sizeof(*m));
		if (!(m->path = strdup(fe->path)))
			return NULL;
		m->start = fe->start;
		m->bias_map_start = fe->start;
		m->bias_map_off = fe->off;
	}
	m = &t->mods[i];
	/* Like a live target: the bias comes from the lowest mapping and its file offset. */
	if (fe->start < m->bias_map_start) {
		m->bias_map_start = fe->start;
		m->bias_map_off = fe->off;
	}
	if (fe->start < m->start)
		m->start = fe->start;
	if (fe->end > m->end)
		m->end = fe->end;
	return m;
}

/* Where to open a mapped file from here: as mapped, else next to the executable (a core
 * copied off its machine together with the binary and its libraries). */
static char *locate(const char *path, const char *exe_dir)
{
	const char *base = strrchr(path, '/');
	char *alt;

	if (!access(path, R_OK) || !exe_dir || !base)
		return strdup(path);
	if (asprintf(&alt, "%s%s", exe_dir, base) < 0)
		return NULL;
	if (!access(alt, R_OK))
		return alt;
	free(alt);
	return strdup(path);
}

static void hex(char *buf, size_t buflen, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && 2 * i + 2 < buflen; i++)
		sprintf(buf + 2 * i, "%02x", p[i]);
}

/* The GNU build-id note among the notes in d[0..size), or NULL. */
static const unsigned char *build_id_note(const unsigned char *d, uint64_t size, size_t *len)
{
	uint64_t pos = 0;

	while (pos + sizeof(Elf64_Nhdr) <= size) {
		Elf64_Nhdr nh;
		uint64_t name, desc;

		memcpy(&nh, d + pos, sizeof(nh));
		name = pos + sizeof(nh);
		desc = name + ((nh.n_namesz + 3ull) & ~3ull);
		if (desc + nh.n_descsz > size)
			break;
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && !memcmp(d + name, "GNU", 4)) {
			*len = nh.n_descsz;
			return d + desc;
		}
		pos = desc + ((nh.n_descsz + 3ull) & ~3ull);
	}
	return NULL;
}

/* The GNU build-id of the ELF image mapped at `base` (file offset 0), read from the
 * core only; NULL when the core did not keep those bytes. */
static const unsigned char *core_build_id(struct core_file *c, uint64_t base, size_t *len)
{
	const Elf64_Ehdr *eh = core_mem(c, base, sizeof(*eh));
	const unsigned char *id = NULL;
	const Elf64_Phdr *ph;
	uint64_t bias = 0, i;
	int have_bias = 0;

	if (!eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_phentsize != sizeof(*ph) || !eh->e_phnum ||
	    !(ph = core_mem(c, base + eh->e_phoff, (size_t)eh->e_phnum * sizeof(*ph))))
		return NULL;
	for (i = 0; i < eh->e_phnum && !have_bias; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0) {
			bias = base - ph[i].p_vaddr;
			have_bias = 1;
		}
	for (i = 0; i < eh->e_phnum && have_bias && !id; i++) {
		const unsigned char *d;

		if (ph[i].p_type == PT_NOTE && ph[i].p_filesz <= (1 << 20) &&
		    (d = core_mem(c, ph[i].p_vaddr + bias, ph[i].p_filesz)))
			id = build_id_note(d, ph[i].p_filesz, len);
	}
	return id;
}

/* Does the ELF file at path carry this GNU build-id? Reads its headers and notes only. */
static int file_has_build_id(const char *path, const unsigned char *id, size_t len)
{
	unsigned char notes[4096];
	Elf64_Phdr ph[64];
	Elf64_Ehdr eh;
	int fd, i, found = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	if (pread(fd, &eh, sizeof(eh), 0) == sizeof(eh) && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
	    eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(ph[0]) &&
	    eh.e_phnum <= 64 &&
	    pread(fd, ph, eh.e_phnum * sizeof(ph[0]), eh.e_phoff) == eh.e_phnum * (ssize_t)sizeof(ph[0]))
		for (i = 0; i < eh.e_phnum && !found; i++) {
			const unsigned char *d;
			size_t n;

			if (ph[i].p_type != PT_NOTE || ph[i].p_filesz > sizeof(notes) ||
			    pread(fd, notes, ph[i].p_filesz, ph[i].p_offset) != (ssize_t)ph[i].p_filesz)
				continue;
			d = build_id_note(notes, ph[i].p_filesz, &n);
			found = d && n == len && !memcmp(d, id, len);
		}
	close(fd);
	return found;
}

/* The executable's ELF and program headers as the core keeps them (its first page), and
 * their length; NULL when the core kept no header page. */
static const Elf64_Ehdr *core_exe_headers(struct core_file *c, uint64_t start, size_t *n)
{
	const Elf64_Ehdr *eh = core_mem(c, start, sizeof(*eh));

	if (!eh || eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > 65536 ||
	    !core_mem(c, start, eh->e_phoff + (size_t)eh->e_phnum * sizeof(Elf64_Phdr)))
		return NULL;
	*n = eh->e_phoff + (size_t)eh->e_phnum * sizeof(Elf64_Phdr);
	return eh;
}

/* Does the file at path start with these ELF and program headers (n bytes from eh)? */
static int file_has_headers(const char *path, const Elf64_Ehdr *eh, size_t n)
{
	unsigned char *buf = malloc(n);
	int fd = open(path, O_RDONLY | O_CLOEXEC), same;

	same = fd >= 0 && buf && pread(fd, buf, n, 0) == (ssize_t)n &&
	       !memcmp(buf, eh, sizeof(*eh)) &&
	       !memcmp(buf + eh->e_phoff, (const char *)eh + eh->e_phoff, n - eh->e_phoff);
	free(buf);
	if (fd >= 0)
		close(fd);
	return same;
}

/* What tells the core's executable: its GNU build-id, else its headers (Go binaries
 * carry no GNU build-id by default). */
struct exe_id {
	const unsigned char *build_id;
	size_t len;
	const Elf64_Ehdr *eh;
	size_t hdr_len;
};

static int file_is(const char *path, const struct exe_id *x)
{
	return x->build_id ? file_has_build_id(path, x->build_id, x->len) :
			     file_has_headers(path, x->eh, x->hdr_len);
}

/* --debug-dir: the file with the core's build-id, as DIR/.build-id/xx/yyyy (a tree of
 * links to the binaries, not to .debug files: those carry no code), or with its build-id
 * or headers, DIR/NAME, or any file in DIR or one level below (at most MAX_DIR_SCAN
 * looked at). NULL if none. */
#define MAX_DIR_SCAN 4096

static char *scan_dir(const char *dir, const struct exe_id *x, int depth, int *budget)
{
	struct dirent *de;
	char *hit = NULL, *p;
	DIR *d = opendir(dir);

	while (d && !hit && (de = readdir(d)) && (*budget)-- > 0) {
		struct stat st;

		if (de->d_name[0] == '.' || asprintf(&p, "%s/%s", dir, de->d_name) < 0)
			continue;
		if (!stat(p, &st) && S_ISREG(st.st_mode) && file_is(p, x))
			hit = p;
		else if (!stat(p, &st) && S_ISDIR(st.st_mode) && depth)
			hit = scan_dir(p, x, depth - 1, budget), free(p);
		else
			free(p);
	}
	if (d)
		closedir(d);
	return hit;
}

static char *find_exe(const char *dir, const char *name, const struct exe_id *x)
{
	char hexid[130] = "", *p;
	const char *base = strrchr(name, '/');
	int budget = MAX_DIR_SCAN;

	if (x->build_id && x->len > 1) {
		hex(hexid, sizeof(hexid), x->build_id, x->len);
		if (asprintf(&p, "%s/.build-id/%.2s/%s", dir, hexid, hexid + 2) >= 0) {
			if (file_is(p, x))
				return p;
			free(p);
		}
	}
	if (asprintf(&p, "%s/%s", dir, base ? base + 1 : name) >= 0) {
		if (file_is(p, x))
			return p;
		free(p);
	}
	return scan_dir(dir, x, 1, &budget);
}

/* Does the executable match the core? Build-ids when both have one; otherwise the ELF
 * and program headers, which differ between any two builds of different code (Go
 * binaries carry no GNU build-id by default). Unknown (core kept no header page): yes. */
static int check_exe(struct target *t, struct module *m, char *err, size_t errlen)
{
	struct core_file *c = t->core;
	struct elf_file *e = module_elf(m);
	const unsigned char *cid;
	const Elf64_Ehdr *eh;
	const char *fid;
	size_t clen = 0, flen = 0, n;

	if (!e) {
		snprintf(err, errlen, "%s: not a readable ELF file", m->open_path);
		return EXIT_NO_TARGET;
	}
	if (m->bias_map_off)
		return 0;
	cid = core_build_id(c, m->bias_map_start, &clen);
	fid = elf_build_id(e, &flen);
	if (cid && fid) {
		char a[80] = "", b[80] = "";

		if (clen == flen && !memcmp(cid, fid, clen))
			return 0;
		hex(a, sizeof(a), cid, clen);
		hex(b, sizeof(b), (const unsigned char *)fid, flen);
		snprintf(err, errlen, "core is from another binary: build-id %s in the core, %s in %s",
			 a, b, m->open_path);
		return EXIT_BAD_CORE;
	}
	if (!(eh = core_exe_headers(c, m->bias_map_start, &n)) ||
	    file_has_headers(m->open_path, eh, n))
		return 0;
	snprintf(err, errlen, "core is from another binary: its ELF headers differ from %s",
		 m->open_path);
	return EXIT_BAD_CORE;
}

/* The executable: the one given, else the one the core names; when that is missing or
 * is not the core's (a deploy replaced it), the file in debug_dir with the core's
 * build-id. */
static int pick_exe(struct target *t, struct module *m, const char *exe, const char *debug_dir,
		    char *err, size_t errlen)
{
	const char *named = exe ? exe : m->path;
	struct exe_id x = { 0 };
	char *found;
	size_t n;
	int ret;

	if (access(named, R_OK)) {
		if (exe)
			snprintf(err, errlen, "cannot read executable %s: %s", exe, strerror(errno));
		else
			snprintf(err, errlen, "executable %s (named in the core) not found: give it after "
				 "the core, or --debug-dir", named);
		ret = EXIT_NO_TARGET;
	} else {
		if (!(m->open_path = strdup(named))) {
			snprintf(err, errlen, "out of memory");
			return EXIT_FAILURE_;
		}
		ret = check_exe(t, m, err, errlen);
	}
	if (!ret || !debug_dir)
		return ret;
	if (!(x.build_id = core_build_id(t->core, m->bias_map_start, &x.len)) &&
	    !(x.eh = core_exe_headers(t->core, m->bias_map_start, &x.hdr_len)))
		return ret;
	if (!(found = find_exe(debug_dir, m->path, &x))) {
		n = strlen(err);
		snprintf(err + n, errlen - n, "; no file in %s or one level below has the core's %s",
			 debug_dir, x.build_id ? "build-id" : "ELF headers");
		return ret;
	}
	elf_file_close(m->elf);
	m->elf = NULL;
	m->elf_failed = 0;
	free(m->open_path);
	m->open_path = found;
	return check_exe(t, m, err, errlen);
}

struct extent {
	uint64_t off, end;
};

static int cmp_extent(const void *a, const void *b)
{
	const struct extent *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* Every segment's bytes must be in the file. Kernel and gcore cores never overlap
 * segments in the file, so when they do not and the last ones run past the end, the dump
 * was cut short (a full disk, a killed dumper): say "truncated", not "corrupt". They
 * also follow one another (padding aside), so overlapping, far apart or past any address
 * space, they are garbage; how far past the cut they end says nothing (a Go heap is
 * gigabytes). */
#define CORE_SEGMENT_GAP_MAX (1u << 20)
static int check_layout(const struct core_file *c, const char *core, const Elf64_Phdr *ph,
			uint64_t phnum, char *err, size_t errlen)
{
	struct extent *x = calloc(phnum, sizeof(*x));
	uint64_t i, n = 0, end = 0;
	int garbage = 0, outside = 0;

	if (!x)
		return bad(err, errlen, core, "out of memory");
	for (i = 0; i < phnum; i++) {
		if ((ph[i].p_type != PT_LOAD && ph[i].p_type != PT_NOTE) || !ph[i].p_filesz)
			continue;
		if (ph[i].p_offset + ph[i].p_filesz < ph[i].p_offset) {
			free(x);
			return bad(err, errlen, core, "corrupt core: a segment's size overflows");
		}
		x[n++] = (struct extent){ ph[i].p_offset, ph[i].p_offset + ph[i].p_filesz };
		outside |= !core_bytes(c, ph[i].p_offset, ph[i].p_filesz);
	}
	qsort(x, n, sizeof(*x), cmp_extent);
	for (i = 0; i < n; i++) {
		garbage |= i && (x[i].off < x[i - 1].end ||
				 x[i].off - x[i - 1].end > CORE_SEGMENT_GAP_MAX);
		if (x[i].end > end)
			end = x[i].end;
	}
	free(x);
	if (!outside)
		return 0;
	/* Nor can they hold more than a process's whole address space (47 bits). */
	if (garbage || end > (1ull << 47))
		return bad(err, errlen, core, "corrupt core: segments point outside the file");
	snprintf(err, errlen, "%s: truncated core: %llu of %llu bytes", core,
		 (unsigned long long)c->size, (unsigned long long)end);
	return EXIT_BAD_CORE;
}

/* Program headers, PT_LOAD segments and the notes we use. */
static int parse_core(struct core_file *c, const char *core, struct file_entry **fe, size_t *nfe,
		      char *comm, size_t commlen, uint64_t *entry, char *err, size_t errlen)
{
	const Elf64_Ehdr *eh = core_bytes(c, 0, sizeof(*eh));
	const Elf64_Phdr *ph;
	uint64_t phnum, i;
	int ret;

	if (!eh)
		return bad(err, errlen, core, "truncated core: shorter than an ELF header");
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return bad(err, errlen, core, "not an ELF file");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64)
		return bad(err, errlen, core, "not an x86-64 core file");
	if (eh->e_type != ET_CORE)
		return bad(err, errlen, core, "not a core file (ELF type is not CORE)");
	if (eh->e_phentsize != sizeof(*ph))
		return bad(err, errlen, core, "corrupt core: bad program header size");
	phnum = eh->e_phnum;
	if (phnum == PN_XNUM) {
		/* More than 65534 segments: the real count is in section header 0. */
		const Elf64_Shdr *sh = core_bytes(c, eh->e_shoff, sizeof(*sh));

		if (!sh || eh->e_shentsize != sizeof(*sh))
			return bad(err, errlen, core, "corrupt core: bad extended segment count");
		phnum = sh->sh_info;
	}
	if (!phnum)
		return bad(err, errlen, core, "corrupt core: no program headers");
	ph = core_bytes(c, eh->e_phoff, phnum * sizeof(*ph));
	if (!ph)
		return bad(err, errlen, core, "truncated core: program headers past end of file");
	ret = check_layout(c, core, ph, phnum, err, errlen);
	if (ret)
		return ret;
	c->segs = calloc(phnum, sizeof(*c->segs));
	if (!c->segs)
		return bad(err, errlen, core, "out of memory");
	for (i = 0; i < phnum; i++) {
		const unsigned char *d;
		uint64_t pos = 0;

		if (ph[i].p_type == PT_LOAD) {
			if (ph[i].p_filesz > ph[i].p_memsz || ph[i].p_vaddr + ph[i].p_memsz < ph[i].p_vaddr)
				return bad(err, errlen, core, "corrupt core: bad segment sizes");
			if (!ph[i].p_memsz)
				continue;
			c->segs[c->nsegs++] = (struct core_seg){ ph[i].p_vaddr, ph[i].p_memsz,
								 ph[i].p_filesz, ph[i].p_offset };
			continue;
		}
		if (ph[i].p_type != PT_NOTE)
			continue;
		d = c->map + ph[i].p_offset;	/* in the file: check_layout() */
		while (pos + sizeof(Elf64_Nhdr) <= ph[i].p_filesz) {
			Elf64_Nhdr nh;
			uint64_t name, desc;

			memcpy(&nh, d + pos, sizeof(nh));
			name = pos + sizeof(nh);
			desc = name + ((nh.n_namesz + 3ull) & ~3ull);
			if (desc > ph[i].p_filesz || nh.n_descsz > ph[i].p_filesz - desc)
				return bad(err, errlen, core, "corrupt core: a note overruns its segment");
			pos = desc + ((nh.n_descsz + 3ull) & ~3ull);
			if (nh.n_namesz != 5 || memcmp(d + name, "CORE", 5))
				continue;
			if (nh.n_type == NT_PRPSINFO && nh.n_descsz >= PRPSINFO_SIZE)
				snprintf(comm, commlen, "%.16s", d + desc + PRPSINFO_FNAME);
			else if (nh.n_type == NT_AUXV) {
				uint64_t j, kv[2];

				for (j = 0; j + 16 <= nh.n_descsz; j += 16) {
					memcpy(kv, d + desc + j, 16);
					if (kv[0] == AT_ENTRY)
						*entry = kv[1];
				}
			} else if (nh.n_type == NT_FILE && !*fe &&
				   parse_nt_file(d + desc, nh.n_descsz, fe, nfe))
				return bad(err, errlen, core, "corrupt core: bad NT_FILE note");
		}
	}
	if (!*fe)
		return bad(err, errlen, core, "core has no NT_FILE note (mapped files): cannot find the modules");
	qsort(c->segs, c->nsegs, sizeof(*c->segs), cmp_seg);
	for (i = 1; i < c->nsegs; i++)
		if (c->segs[i].vaddr < c->segs[i - 1].vaddr + c->segs[i - 1].memsz)
			return bad(err, errlen, core, "corrupt core: overlapping segments");
	return 0;
}

int target_open_core(struct target *t, const char *core, const char *exe, const char *debug_dir,
		     char *err, size_t errlen)
{
	struct file_entry *fe = NULL;
	struct module *exe_mod;
	struct core_file *c;
	char *exe_dir = NULL;
	uint64_t entry = 0;
	size_t nfe = 0, i;
	struct stat st;
	int ret, j, exe_i = -1;

	memset(t, 0, sizeof(*t));
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return EXIT_FAILURE_;
	}
	t->core = c;
	c->fd = open(core, O_RDONLY | O_CLOEXEC);
	if (c->fd < 0 || fstat(c->fd, &st)) {
		snprintf(err, errlen, "cannot read core %s: %s", core, strerror(errno));
		ret = EXIT_NO_TARGET;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = bad(err, errlen, core, "not a regular file");
		goto fail;
	}
	c->size = st.st_size;
	if (c->size < sizeof(Elf64_Ehdr)) {
		ret = bad(err, errlen, core, "truncated core: shorter than an ELF header");
		goto fail;
	}
	c->map = mmap(NULL, c->size, PROT_READ, MAP_PRIVATE, c->fd, 0);
	if (c->map == MAP_FAILED) {
		c->map = NULL;
		snprintf(err, errlen, "cannot map core %s: %s", core, strerror(errno));
		ret = EXIT_NO_TARGET;
		goto fail;
	}
	ret = parse_core(c, core, &fe, &nfe, t->comm, sizeof(t->comm), &entry, err, errlen);
	if (ret)
		goto fail;

	for (i = 0; i < nfe; i++) {
		struct module *m;

		if (target_path_is_shared_memory(fe[i].path))
			continue;
		if (!(m = add_module(t, &fe[i]))) {
			snprintf(err, errlen, "out of memory");
			ret = EXIT_FAILURE_;
			goto fail;
		}
		/* The executable is the file holding the entry point (AT_ENTRY), or the
		 * first mapping when the core has no auxv. (An index: t->mods moves.) */
		if (entry ? entry >= fe[i].start && entry < fe[i].end : !i)
			exe_i = m - t->mods;
	}
	if (exe_i < 0) {
		ret = bad(err, errlen, core, "no mapped file holds the entry point: cannot find the executable");
		goto fail;
	}
	exe_mod = &t->mods[exe_i];
	snprintf(t->exe, sizeof(t->exe), "%s", exe_mod->path);
	ret = pick_exe(t, exe_mod, exe, debug_dir, err, errlen);
	if (ret)
		goto fail;
	if (!(exe_dir = strdup(exe_mod->open_path))) {
		snprintf(err, errlen, "out of memory");
		ret = EXIT_FAILURE_;
		goto fail;
	}
	if (strrchr(exe_dir, '/'))
		*strrchr(exe_dir, '/') = 0;
	else
		strcpy(exe_dir, ".");	/* fits: the path was at least one byte */
	for (j = 0; j < t->nmods; j++)
		if (!t->mods[j].open_path &&
		    !(t->mods[j].open_path = locate(t->mods[j].path, exe_dir))) {
			snprintf(err, errlen, "out of memory");
			ret = EXIT_FAILURE_;
			goto fail;
		}
	free(exe_dir);
	free(fe);
	t->pid = 0;
	return 0;
fail:
	free(exe_dir);
	free(fe);
	target_close(t);
	return ret;
}
