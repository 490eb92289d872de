/* A target: a live process or a core file, seen as modules plus readable memory.
 * Runtime walkers read through this interface only, so one walker serves
 * codefer-top's attach-time census, codefer-dump and the gdb commands.
 */
#ifndef CODEFER_TARGET_H
#define CODEFER_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "elfsym.h"

struct elf_file;

struct module {
	char *path;		/* as the process mapped it (/proc/PID/maps, NT_FILE), " (deleted)" cut */
	char *open_path;	/* where to open the mapped file from here: /proc/PID/root/PATH when
				 * that is the mapped inode, else /proc/PID/map_files/..., the file */
	unsigned dev_major, dev_minor;	/* the mapped file, from /proc/PID/maps (live only) */
	uint64_t ino;
	int deleted;		/* the mapped file was deleted or replaced on disk since */
	uint64_t start, end;	/* lowest and highest address of its mappings */
	uint64_t bias;		/* runtime address = ELF vaddr + bias (set by module_elf()) */
	uint64_t bias_map_start;	/* the lowest mapping's address ... */
	uint64_t bias_map_off;		/* ... and the file offset it maps: they give the bias */
	struct elf_file *elf;	/* opened on first use: see module_elf() */
	int elf_failed;
};

struct core_file;

struct target {
	pid_t pid;		/* live process, or 0 for a core */
	struct core_file *core;
	char comm[64];
	char exe[4096];		/* main executable as mapped */
	/* Who it is: its start time (a reused pid's differs) and where its arguments lie
	 * (an exec's new stack moves them) */
	uint64_t start_time, arg_start;
	struct module *mods;
	int nmods;
	uint64_t reads, read_bytes, read_failures;
};

/* Exit codes shared by the command-line tools (documented in README). */
enum exit_code {
	EXIT_OK = 0,
	EXIT_FAILURE_ = 1,	/* internal failure (BPF load, out of memory) */
	EXIT_USAGE = 2,		/* bad command line or probe spec */
	EXIT_NO_TARGET = 3,	/* no such process, or the core/executable cannot be read */
	EXIT_NOT_ROOT = 4,	/* needs root (CAP_BPF, CAP_SYS_PTRACE) */
	EXIT_NO_RUNTIME = 5,	/* no supported runtime found / runtime support incomplete */
	EXIT_SYMBOL = 6,	/* a symbol or offset the runtime needs is missing (stripped?) */
	EXIT_TARGET_GONE = 7,	/* the target exited while codefer was attached */
	EXIT_BAD_CORE = 8,	/* truncated, corrupt, or not matching the executable */
};

int target_open_pid(struct target *t, pid_t pid, char *err, size_t errlen);
/* exe: NULL for the one the core names; debug_dir: where to look for the executable
 * with the core's build-id when that one is missing or another build (NULL: nowhere). */
int target_open_core(struct target *t, const char *core, const char *exe, const char *debug_dir,
		     char *err, size_t errlen);
void target_close(struct target *t);
int target_alive(const struct target *t);
/* How a target that is no longer alive went: "exited", or that its pid now runs another
 * program (an exec, or the pid reused). */
const char *target_gone_how(const struct target *t);

/* Reads exactly len bytes at addr: 0, or -1 when any of it is unreadable. */
int target_read(struct target *t, uint64_t addr, void *buf, size_t len);
/* Reads n blocks of len bytes, block i at addrs[i] into bufs + i * len, in as few system
 * calls as it can; ok[i] says whether block i was read. Returns how many were. */
size_t target_read_many(struct target *t, const uint64_t *addrs, size_t n, size_t len, void *bufs,
			uint8_t *ok);
int target_read_u64(struct target *t, uint64_t addr, uint64_t *v);
int target_read_u32(struct target *t, uint64_t addr, uint32_t *v);
/* Reads a NUL-terminated string of at most len-1 bytes; returns its length or -1. */
int target_read_str(struct target *t, uint64_t addr, char *buf, size_t len);

/* The module a user names as perf and bpftrace take it: a path to the file (symlinks
 * followed; matched by device and inode, in the target's root or ours), a file name or
 * soname ("libpcl.so.1" finds libpcl.so.1.0.11) or a library name ("libpcl"); an exact
 * file name wins. NULL if none. NULL name: the main executable. */
struct module *target_module(struct target *t, const char *name);
/* "name, name, ..." of the mapped files, for an error saying what could have matched. */
void target_module_names(const struct target *t, char *buf, size_t len);
struct module *target_module_at(struct target *t, uint64_t addr);
/* Shared memory (/dev/zero, /dev/shm, SysV, memfd) is mapped from a file name but holds no
 * code: no module. A Swoole server maps many under one name, in a core (no inode to tell
 * them apart) one range that would cover the libraries mapped among them. */
bool target_path_is_shared_memory(const char *path);
struct elf_file *module_elf(struct module *m);

/* Runtime address of a symbol in a module (0 if absent). With m == NULL every module
 * is searched, the main executable first; *mp tells which one had it. */
uint64_t target_sym(struct target *t, struct module *m, const char *name, struct module **mp);

/* "func+0x1a file.c:12" for a code address, "0x..." when unknown. A return address
 * (is_return) is given the line of the call before it; `skip`: see elf_dwarf_line(). */
void target_describe_pc(struct target *t, uint64_t pc, int is_return, elf_skip_fn skip, char *buf,
			size_t len);

#endif
