/* Go's pclntab (Go 1.18+), read from the executable: the function table the runtime keeps
 * for its own tracebacks. A binary built with -ldflags='-s -w' (or run through strip)
 * still has it: function names and entries, lines, funcdata. */
#ifndef CODEFER_GO_PCLN_H
#define CODEFER_GO_PCLN_H

#include <stddef.h>
#include <stdint.h>

struct elf_file;

struct go_pcln {
	struct elf_file *elf;
	const uint8_t *hdr;		/* pcHeader, start of the section */
	size_t size;
	uint64_t vaddr;			/* of hdr */
	const uint8_t *tab;		/* the pclntable: {entryoff, funcoff} pairs, then _funcs */
	size_t tab_size;
	uint32_t nfunc;
	uint64_t text;			/* ELF vaddr entryoff counts from */
	uint64_t gofunc;		/* ELF vaddr funcdata offsets count from (go:func.*) */
	uint64_t types;			/* ELF vaddr type name offsets count from, or 0 */
	size_t func_hdr;		/* bytes of a _func before its pcdata: 40, 44 from 1.20 */
	int v120;			/* the Go 1.20+ layout (_func.startLine, inlinedCall) */
	int added_funcs;		/* its functions stand in for a missing .symtab */
	const char *text_from, *gofunc_from;	/* for --explain */
	char version[32];		/* the Go release it was built with, or "" */
	const char *version_from;
};

/* The pclntab of e, read once and kept with e; its functions are added as e's symbols
 * when e has no .symtab, and its lines stand in for DWARF. NULL when e has none in a
 * layout codefer reads. */
struct go_pcln *go_pcln_of(struct elf_file *e);
/* The _func of the function containing ELF vaddr pc, or NULL; its entry in *entry. */
const uint8_t *go_pcln_func(const struct go_pcln *pl, uint64_t pc, uint64_t *entry);
/* ELF vaddr of funcdata i of _func fn; 0 when it has none. */
uint64_t go_pcln_funcdata(const struct go_pcln *pl, const uint8_t *fn, unsigned int i);

/* The Go version e was built with ("go1.26.3"), from .go.buildinfo (Go 1.18+: inline,
 * length-prefixed at +32; before: a pointer to a string header at +16), else from its
 * pclntab's binary (go_pcln.version). 0, or -1 when neither has it. */
int go_build_version(struct elf_file *e, char *buf, size_t len);
/* An unsigned LEB128 (Go's uvarint) at p: the byte after it, or NULL. */
const uint8_t *go_uvarint(const uint8_t *p, const uint8_t *end, uint32_t *v);

#endif
