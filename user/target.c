// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Live targets: modules from /proc/PID/maps and memory through process_vm_readv. A module
 * is opened where its mapped inode is: /proc/PID/root/PATH when device and inode agree
 * with the maps, else /proc/PID/map_files/ (chroots, whose maps name host paths;
 * binaries deleted or replaced since they were mapped). Core files: core.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>
#include "core.h"
#include "elfsym.h"
#include "escape.h"
#include "target.h"

static int same_file(const struct module *m, const struct stat *st)
{
	return st->st_ino == m->ino && major(st->st_dev) == m->dev_major &&
	       minor(st->st_dev) == m->dev_minor;
}

/* Where to open a module from: its path in the target's root if that is still the mapped
 * inode, else the mapping itself. Never a file that merely has the mapped name. */
static char *open_path_of(pid_t pid, const struct module *m, uint64_t start, uint64_t end)
{
	char p[4200];
	struct stat st;

	snprintf(p, sizeof(p), "/proc/%d/root%s", pid, m->path);
	if (!m->deleted && !stat(p, &st) && same_file(m, &st))
		return strdup(p);
	snprintf(p, sizeof(p), "/proc/%d/map_files/%llx-%llx", pid, (unsigned long long)start,
		 (unsigned long long)end);
	return strdup(p);
}

/* One module per mapped file: path and inode (a library replaced and loaded again maps
 * two files under one path). */
static struct module *module_for(struct target *t, const char *path, unsigned maj, unsigned min,
				 uint64_t ino)
{
	struct module *mods;
	int i;

	for (i = 0; i < t->nmods; i++)
		if (!strcmp(t->mods[i].path, path) && t->mods[i].ino == ino &&
		    t->mods[i].dev_major == maj && t->mods[i].dev_minor == min)
			return &t->mods[i];
	if (!(mods = realloc(t->mods, (t->nmods + 1) * sizeof(*t->mods))))
		return NULL;
	t->mods = mods;
	memset(&t->mods[t->nmods], 0, sizeof(*t->mods));
	if (!(t->mods[t->nmods].path = strdup(path)))
		return NULL;
	t->mods[t->nmods].bias = UINT64_MAX;
	t->mods[t->nmods].dev_major = maj;
	t->mods[t->nmods].dev_minor = min;
	t->mods[t->nmods].ino = ino;
	return &t->mods[t->nmods++];
}

static int read_maps(struct target *t, char *err, size_t errlen)
{
	char path[64], line[4096 + 256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", t->pid);
	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, off, ino;
		char perms[8], file[4096] = "";
		unsigned maj, min;
		struct module *m;
		size_t n;
		int deleted;

		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %4095[^\n]", &start, &end, perms, &off,
			   &maj, &min, &ino, file) < 8 || file[0] != '/' ||
		    target_path_is_shared_memory(file))
			continue;
		n = strlen(file);
		if ((deleted = n > 10 && !strcmp(file + n - 10, " (deleted)")))
			file[n - 10] = 0;
		if (!(m = module_for(t, file, maj, min, ino))) {
			fclose(f);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (!m->open_path) {
			m->deleted = deleted;
			m->open_path = open_path_of(t->pid, m, start, end);
		}
		if (!m->start || start < m->start)
			m->start = start;
		if (end > m->end)
			m->end = end;
		/* The bias comes from the lowest mapping's file offset (see module_elf). */
		if (m->bias == UINT64_MAX || start < m->bias_map_start) {
			m->bias_map_start = start;
			m->bias_map_off = off;
			m->bias = 0;
		}
	}
	fclose(f);
	return 0;
}

/* From /proc/PID/stat: its state letter, start time (field 22) and arg_start (48). 0, or
 * -1 when it cannot be read. */
static int read_stat(pid_t pid, char *state, uint64_t *start_time, uint64_t *arg_start)
{
	char path[64], buf[1024], *p, *end;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	/* The name may hold anything: the fields start after its last ')'. */
	if (!(p = strrchr(buf, ')')) || p[1] != ' ')
		return -1;
	*state = p[2];
	*start_time = *arg_start = 0;
	for (p += 2, field = 3; *p; field++) {
		if (field == 22)
			*start_time = strtoull(p, NULL, 10);
		else if (field == 48)
			*arg_start = strtoull(p, NULL, 10);
		if (!(end = strchr(p, ' ')))
			break;
		p = end + 1;
	}
	return 0;
}

int target_open_pid(struct target *t, pid_t pid, char *err, size_t errlen)
{
	char path[64], state;
	ssize_t n;
	FILE *f;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	if (pid <= 0 || (kill(pid, 0) && errno == ESRCH)) {
		snprintf(err, errlen, "no process with pid %d", pid);
		return EXIT_NO_TARGET;
	}
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if ((f = fopen(path, "re"))) {
		if (fgets(t->comm, sizeof(t->comm), f))
			t->comm[strcspn(t->comm, "\n")] = 0;
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, t->exe, sizeof(t->exe) - 1);
	if (n < 0 && errno == ENOENT && kill(pid, 0) == 0) {
		/* There, but with no program: a kernel thread (or a zombie). */
		char comm[4 * sizeof(t->comm)];

		tty_str(comm, sizeof(comm), t->comm);	/* a zombie's is its program's choice */
		snprintf(err, errlen, "pid %d (%s) runs no program (a kernel thread, or exited)", pid,
			 comm);
		return EXIT_NO_TARGET;
	}
	if (n < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return errno == EACCES || errno == EPERM ? EXIT_NOT_ROOT : EXIT_NO_TARGET;
	}
	t->exe[n] = 0;
	/* A replaced binary reads " (deleted)", as its maps do (read_maps cuts it too). */
	if (n > 10 && !strcmp(t->exe + n - 10, " (deleted)"))
		t->exe[n - 10] = 0;
	if (read_maps(t, err, errlen))
		return EXIT_NO_TARGET;
	read_stat(pid, &state, &t->start_time, &t->arg_start);
	return 0;
}

/* Alive, not a zombie (a dead child its parent has not reaped yet), and still the
 * program it was: not another process with its pid, nor one it exec'd. */
int target_alive(const struct target *t)
{
	uint64_t start_time, arg_start;
	char state;

	if (t->pid <= 0 || (kill(t->pid, 0) && errno == ESRCH) ||
	    read_stat(t->pid, &state, &start_time, &arg_start))
		return 0;
	return state != 'Z' && state != 'X' && start_time == t->start_time &&
	       arg_start == t->arg_start;
}

const char *target_gone_how(const struct target *t)
{
	uint64_t start_time, arg_start;
	char state;

	if (t->pid > 0 && !read_stat(t->pid, &state, &start_time, &arg_start) && state != 'Z' &&
	    state != 'X')
		return "now runs another program (exec, or its pid reused)";
	return "exited";
}

void target_close(struct target *t)
{
	int i;

	for (i = 0; i < t->nmods; i++) {
		elf_file_close(t->mods[i].elf);
		free(t->mods[i].path);
		free(t->mods[i].open_path);
	}
	free(t->mods);
	if (t->core)
		core_close(t->core);
	memset(t, 0, sizeof(*t));
}

struct elf_file *module_elf(struct module *m)
{
	int64_t delta;

	if (m->elf || m->elf_failed)
		return m->elf;
	m->elf = elf_file_open(m->open_path ? m->open_path : m->path);
	if (!m->elf) {
		m->elf_failed = 1;
		return NULL;
	}
	/* runtime = vaddr + bias, where the lowest mapping maps file offset bias_map_off. */
	if (elf_offset_delta(m->elf, m->bias_map_off, &delta) == 0)
		m->bias = m->bias_map_start - (m->bias_map_off + delta);
	else
		m->bias = 0;
	return m->elf;
}

/* Blocks per process_vm_readv (IOV_MAX is 1024). */
#define BATCH_IOV 512

int target_read(struct target *t, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
	int ok;

	t->reads++;
	if (t->core)
		ok = core_read(t, addr, buf, len) == 0;
	else
		ok = process_vm_readv(t->pid, &local, 1, &remote, 1, 0) == (ssize_t)len;
	if (!ok) {
		t->read_failures++;
		return -1;
	}
	t->read_bytes += len;
	return 0;
}

/* Blocks this close to the one before them are read with it, in one span: the kernel
 * pins the pages of each piece process_vm_readv reads (about a microsecond a piece on
 * these machines), and a Go walk's gs and _defer records sit next to each other. */
#define SPAN_GAP 512
#define SPAN_MAX (64 << 10)

struct span {
	uint64_t lo, hi;	/* the target's bytes [lo, hi) */
	size_t at;		/* where they go in the scratch buffer */
	int ok;
};

struct block {
	uint64_t addr;
	size_t i;		/* its index in the caller's arrays */
};

static int cmp_block(const void *a, const void *b)
{
	const struct block *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Reads spans [0, n) into scratch, BATCH_IOV to a call; a span the call stopped at is
 * read again alone (ok says which were). */
static void read_spans(struct target *t, struct span *sp, size_t n, uint8_t *scratch)
{
	struct iovec local[BATCH_IOV], remote[BATCH_IOV];
	size_t i = 0, k, m;
	ssize_t got;

	while (i < n) {
		m = n - i < BATCH_IOV ? n - i : BATCH_IOV;
		for (k = 0; k < m; k++) {
			local[k] = (struct iovec){ scratch + sp[i + k].at, sp[i + k].hi - sp[i + k].lo };
			remote[k] = (struct iovec){ (void *)(uintptr_t)sp[i + k].lo, local[k].iov_len };
		}
		t->reads++;
		got = process_vm_readv(t->pid, local, m, remote, m, 0);
		/* It stops at the first piece it cannot read whole: the ones before are in. */
		for (k = 0; k < m && got >= (ssize_t)local[k].iov_len; k++) {
			sp[i + k].ok = 1;
			got -= local[k].iov_len;
		}
		i += k;
		if (k < m) {
			sp[i].ok = 0;
			i++;
		}
	}
}

size_t target_read_many(struct target *t, const uint64_t *addrs, size_t n, size_t len, void *bufs,
			uint8_t *ok)
{
	size_t *in = NULL, i, k, nsp = 0, bytes = 0, done = 0;
	struct block *order = NULL;
	struct span *sp = NULL;
	uint8_t *scratch = NULL;

	if (!n)
		return 0;
	if (t->core || !(order = malloc(n * sizeof(*order))) || !(in = malloc(n * sizeof(*in))) ||
	    !(sp = malloc(n * sizeof(*sp))))
		goto each;
	for (i = 0; i < n; i++)
		order[i] = (struct block){ .addr = addrs[i], .i = i };
	qsort(order, n, sizeof(*order), cmp_block);
	for (k = 0; k < n; k++) {
		uint64_t a = order[k].addr;

		if (!nsp || a > sp[nsp - 1].hi + SPAN_GAP || a + len - sp[nsp - 1].lo > SPAN_MAX ||
		    a + len < a) {
			if (nsp)
				bytes += sp[nsp - 1].hi - sp[nsp - 1].lo;
			sp[nsp++] = (struct span){ .lo = a, .hi = a + len, .at = bytes };
		} else if (a + len > sp[nsp - 1].hi) {
			sp[nsp - 1].hi = a + len;
		}
		in[order[k].i] = nsp - 1;
	}
	bytes += sp[nsp - 1].hi - sp[nsp - 1].lo;
	if (!(scratch = malloc(bytes)))
		goto each;
	read_spans(t, sp, nsp, scratch);
	for (i = 0; i < n; i++) {
		const struct span *s = &sp[in[i]];

		if (s->ok) {
			memcpy((char *)bufs + i * len, scratch + s->at + (addrs[i] - s->lo), len);
			t->read_bytes += len;
			ok[i] = 1;
		} else {
			/* The span failed: it may hold a gap that is not mapped. */
			ok[i] = !target_read(t, addrs[i], (char *)bufs + i * len, len);
		}
		done += ok[i];
	}
	goto out;
each:
	for (i = 0; i < n; i++) {
		ok[i] = !target_read(t, addrs[i], (char *)bufs + i * len, len);
		done += ok[i];
	}
out:
	free(order);
	free(in);
	free(sp);
	free(scratch);
	return done;
}

int target_read_u64(struct target *t, uint64_t addr, uint64_t *v)
{
	return target_read(t, addr, v, sizeof(*v));
}

int target_read_u32(struct target *t, uint64_t addr, uint32_t *v)
{
	return target_read(t, addr, v, sizeof(*v));
}

int target_read_str(struct target *t, uint64_t addr, char *buf, size_t len)
{
	size_t got = 0;

	if (!len)
		return -1;
	/* Chunks that never cross a page, so a string near an unmapped page still reads. */
	while (got < len - 1) {
		size_t chunk = 64 - ((addr + got) & 63), i;

		if (chunk > len - 1 - got)
			chunk = len - 1 - got;
		if (target_read(t, addr + got, buf + got, chunk))
			break;
		for (i = 0; i < chunk; i++)
			if (!buf[got + i]) {
				return (int)(got + i);
			}
		got += chunk;
	}
	buf[got] = 0;
	return got ? (int)got : -1;
}

/* How well a module answers to a file or library name: 2 its file name, 1 a soname or
 * library name of it (libpcl, libpcl.so.1 for libpcl.so.1.0.11), 0 not at all. */
static int name_score(const char *path, const char *name)
{
	const char *base = strrchr(path, '/');
	size_t n = strlen(name);

	base = base ? base + 1 : path;
	if (!strcmp(base, name))
		return 2;
	return !strncmp(base, name, n) && (base[n] == '.' || base[n] == '-');
}

/* A path given by the user: the module mapping the same inode, seen from our root or from
 * the target's; for a core (no inodes), the module mapped at that path. */
static struct module *module_by_path(struct target *t, const char *name)
{
	char p[4200];
	struct stat st[2];
	int ok[2], i, j;

	snprintf(p, sizeof(p), "/proc/%d/root%s", t->pid, name);
	ok[0] = !stat(name, &st[0]);
	ok[1] = t->pid > 0 && name[0] == '/' && !stat(p, &st[1]);
	for (i = 0; i < t->nmods; i++) {
		struct module *m = &t->mods[i];
		struct stat mst;

		if (!t->pid) {
			if (!strcmp(m->path, name))
				return m;
			continue;
		}
		for (j = 0; j < 2; j++)
			/* The mapped inode; through overlayfs, the one the open path shows. */
			if (ok[j] && (same_file(m, &st[j]) ||
				      (!stat(m->open_path, &mst) && mst.st_dev == st[j].st_dev &&
				       mst.st_ino == st[j].st_ino)))
				return m;
	}
	return NULL;
}

struct module *target_module(struct target *t, const char *name)
{
	struct module *best = NULL;
	int i, score, best_score = 0;

	if (name && strchr(name, '/'))
		return module_by_path(t, name);
	for (i = 0; i < t->nmods; i++) {
		if (!name) {
			if (!strcmp(t->mods[i].path, t->exe))
				return &t->mods[i];
			continue;
		}
		score = name_score(t->mods[i].path, name);
		if (score > best_score) {
			best = &t->mods[i];
			best_score = score;
		}
	}
	return best;
}

void target_module_names(const struct target *t, char *buf, size_t len)
{
	size_t n = 0;
	int i;

	if (len)
		buf[0] = 0;
	for (i = 0; i < t->nmods && n < len; i++) {
		const char *base = strrchr(t->mods[i].path, '/');

		n += snprintf(buf + n, len - n, "%s%s", i ? ", " : "", base ? base + 1 : t->mods[i].path);
	}
}

/* The narrowest module's range that holds addr: a library mapped between two mappings
 * of another file (a gap its range spans) is the one mapped there. */
struct module *target_module_at(struct target *t, uint64_t addr)
{
	struct module *best = NULL;
	int i;

	for (i = 0; i < t->nmods; i++)
		if (addr >= t->mods[i].start && addr < t->mods[i].end &&
		    (!best || t->mods[i].end - t->mods[i].start < best->end - best->start))
			best = &t->mods[i];
	return best;
}

bool target_path_is_shared_memory(const char *path)
{
	return !strncmp(path, "/dev/", 5) || !strncmp(path, "/memfd:", 7) ||
	       !strncmp(path, "/SYSV", 5);
}

static uint64_t sym_in(struct module *m, const char *name)
{
	struct elf_file *e = module_elf(m);
	const struct elf_sym *s = e ? elf_sym_by_name(e, name) : NULL;

	return s && !s->is_tls ? s->value + m->bias : 0;
}

uint64_t target_sym(struct target *t, struct module *m, const char *name, struct module **mp)
{
	struct module *exe = target_module(t, NULL);
	uint64_t a;
	int i;

	if (m) {
		a = sym_in(m, name);
		if (a && mp)
			*mp = m;
		return a;
	}
	if (exe && (a = sym_in(exe, name))) {
		if (mp)
			*mp = exe;
		return a;
	}
	for (i = 0; i < t->nmods; i++) {
		if (&t->mods[i] == exe || !(a = sym_in(&t->mods[i], name)))
			continue;
		if (mp)
			*mp = &t->mods[i];
		return a;
	}
	return 0;
}

void target_describe_pc(struct target *t, uint64_t pc, int is_return, elf_skip_fn skip, char *buf,
			size_t len)
{
	struct module *m = target_module_at(t, pc);
	struct elf_file *e = m ? module_elf(m) : NULL;
	const struct elf_sym *s;
	const char *file, *base, *inlined = NULL;
	int line;

	if (!e || !(s = elf_sym_by_addr(e, pc - m->bias))) {
		snprintf(buf, len, "0x%llx", (unsigned long long)pc);
		return;
	}
	/* A return address points past the call: the call's line is that of pc - 1. With a
	 * line, the offset into the function says nothing more. */
	if (!elf_dwarf_line(e, pc - m->bias - (is_return ? 1 : 0), skip, &inlined, &file, &line)) {
		base = strrchr(file, '/');
		snprintf(buf, len, "%s %s:%d", inlined ? inlined : s->name, base ? base + 1 : file,
			 line);
	} else {
		snprintf(buf, len, "%s+0x%llx", s->name, (unsigned long long)(pc - m->bias - s->value));
	}
}
