/* Instruction decoding for probe placement (capstone): a function's return
 * instructions, for reading results without uretprobes, and where its entry probe sits. */
#ifndef CODEFER_DISASM_H
#define CODEFER_DISASM_H

#include <stdint.h>
#include "elfsym.h"

/* ELF vaddrs of the RET instructions in [start, start + size); returns how many (at most
 * max), or -1 when the code cannot be read or decoded. */
int disasm_returns(struct elf_file *e, uint64_t start, uint64_t size, uint64_t *out, int max);

/* How many direct jumps out of [start, start + size) it has: tail calls, a way out that
 * no probe on its RETs sees (an -O2 function ending in `jmp malloc`). */
int disasm_tail_jumps(struct elf_file *e, uint64_t start, uint64_t size);

/* Where an entry probe on the function [start, start + size) belongs: just past its
 * ENDBR64, which the kernel single-steps (on a VM, ~15x a probe on an instruction it
 * emulates, such as the PUSH that usually follows), unless a branch in the function lands
 * there (the probe would count it as a call); else start. ENDBR64 changes no register and
 * no memory: the probe sees what it would at the entry. */
uint64_t disasm_entry(struct elf_file *e, uint64_t start, uint64_t size);

/* Is at an instruction's start, decoding [start, start + size) from start: 1, 0 (inside
 * one: a probe there would corrupt the code it traps), -1 when not decoded that far. */
int disasm_boundary(struct elf_file *e, uint64_t start, uint64_t size, uint64_t at);

/* The instruction at vaddr, as text; returns 1 when x86 uprobes emulate it (a PUSH of a
 * register, a NOP, a direct jump or call: the trap alone), 0 when the kernel single-steps
 * it (a second trap: on a VM, an order of magnitude more), -1 when it cannot be decoded. */
int disasm_at(struct elf_file *e, uint64_t vaddr, char *text, size_t len);

#endif
