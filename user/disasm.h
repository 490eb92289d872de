/* Instruction decoding for probe placement (capstone): a function's return
 * instructions, for reading results without uretprobes. */
#ifndef CODEFER_DISASM_H
#define CODEFER_DISASM_H

#include <stdint.h>
#include "elfsym.h"

/* ELF vaddrs of the RET instructions in [start, start + size); returns how many (at most
 * max), or -1 when the code cannot be read or decoded. */
int disasm_returns(struct elf_file *e, uint64_t start, uint64_t size, uint64_t *out, int max);

#endif
