/* ELF symbols and DWARF of one file, with its separate debug file when there is one. */
#ifndef CODEFER_ELFSYM_H
#define CODEFER_ELFSYM_H

#include <stddef.h>
#include <stdint.h>

struct elf_sym {
	const char *name;
	uint64_t value;		/* ELF virtual address */
	uint64_t size;
	int is_func;
	int is_tls;		/* STT_TLS: value is the offset in the TLS block */
};

struct elf_file;

struct elf_file *elf_file_open(const char *path);
void elf_file_close(struct elf_file *e);
const char *elf_file_path(const struct elf_file *e);
/* Path of the debug file in use (build-id / .gnu_debuglink), or NULL. */
const char *elf_file_debug_path(const struct elf_file *e);
int elf_file_has_dwarf(struct elf_file *e);
int elf_file_is_stripped(struct elf_file *e);	/* no .symtab anywhere */

const struct elf_sym *elf_sym_by_name(struct elf_file *e, const char *name);
/* Symbol containing vaddr (or the nearest below within max_gap bytes); NULL if none. */
const struct elf_sym *elf_sym_by_addr(struct elf_file *e, uint64_t vaddr);
/* Function symbols from elsewhere (Go's pclntab in a binary without .symtab): names
 * must live as long as e. 0, or -1 out of memory. */
int elf_add_funcs(struct elf_file *e, const struct elf_sym *funcs, size_t n);
/* A line table from elsewhere (Go's pclntab), used where the file has no DWARF: `arg`
 * is kept with e, freed with free_arg when e is closed; elf_ext() gives it back. */
/* Says whether an inlined function, by name, is passed over (elf_dwarf_line). */
typedef int (*elf_skip_fn)(const char *name);
typedef int (*elf_line_fn)(void *arg, uint64_t vaddr, elf_skip_fn skip, const char **inlined,
			   const char **file,
			   int *line);
void elf_set_ext(struct elf_file *e, void *arg, elf_line_fn lines, void (*free_arg)(void *));
void *elf_ext(struct elf_file *e);
/* Calls fn for each symbol; stops when fn returns non-zero and returns that value. */
int elf_sym_each(struct elf_file *e, int (*fn)(const struct elf_sym *s, void *arg), void *arg);

/* File offset of a virtual address (for uprobes); -1 when it is in no PT_LOAD. */
int64_t elf_vaddr_to_offset(struct elf_file *e, uint64_t vaddr);
/* The PT_LOAD segment containing file offset off: its vaddr - offset, for load bias. */
int elf_offset_delta(struct elf_file *e, uint64_t off, int64_t *delta);
/* Reads bytes at an ELF virtual address from the file (code, read-only data). */
int elf_read_vaddr(struct elf_file *e, uint64_t vaddr, void *buf, size_t len);
/* Section contents by name (NULL if absent); *vaddr gets its address. */
const void *elf_section(struct elf_file *e, const char *name, size_t *size, uint64_t *vaddr);
/* The PT_TLS segment: memory size and alignment. */
int elf_tls_segment(struct elf_file *e, uint64_t *memsz, uint64_t *align);
const char *elf_build_id(struct elf_file *e, size_t *len);

/* DWARF: byte offset of member `member` ("a.b" follows nested structs) in struct or
 * class `type` (as named in DWARF: "runtime.g", "lua_State", "swoole::Coroutine").
 * Returns the offset or -1. The size of a named type, or -1. */
long elf_dwarf_member_offset(struct elf_file *e, const char *type, const char *member);
long elf_dwarf_type_size(struct elf_file *e, const char *type);
/* Source file and line of a code vaddr (without DWARF: from elf_set_ext's line table);
 * 0 on success. With `skip` (the functions of a library, say), inlined calls into the
 * functions it names are passed over: the line is that of the innermost frame outside,
 * and *inlined (when not NULL) names that frame's function if it is an inlined one. */
int elf_dwarf_line(struct elf_file *e, uint64_t vaddr, elf_skip_fn skip, const char **inlined,
		   const char **file, int *line);

#endif
