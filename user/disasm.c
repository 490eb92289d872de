// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <capstone/capstone.h>
#include <stdio.h>
#include <stdlib.h>
#include "disasm.h"

#define MAX_FUNC_BYTES (1 << 20)

/* The instructions of [start, start + size), decoded in order from the entry (a 0xc3 byte
 * inside another instruction is no RET), with operands when `detail`; *n of them, and
 * *whole when they reach the end. NULL when the code cannot be read or decoded. */
static cs_insn *decode(struct elf_file *e, uint64_t start, uint64_t size, int detail, size_t *n,
		       int *whole)
{
	cs_insn *insn = NULL;
	uint8_t *buf;
	csh cs;

	*n = 0;
	if (!size || size > MAX_FUNC_BYTES || !(buf = malloc(size)))
		return NULL;
	if (!elf_read_vaddr(e, start, buf, size) && !cs_open(CS_ARCH_X86, CS_MODE_64, &cs)) {
		if (detail)
			cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
		*n = cs_disasm(cs, buf, size, start, 0, &insn);
		*whole = *n && insn[*n - 1].address + insn[*n - 1].size == start + size;
		cs_close(&cs);
	}
	free(buf);
	return *n ? insn : NULL;
}

int disasm_returns(struct elf_file *e, uint64_t start, uint64_t size, uint64_t *out, int max)
{
	size_t n, i;
	int whole, found = 0;
	cs_insn *insn = decode(e, start, size, 0, &n, &whole);

	if (!insn)
		return -1;
	for (i = 0; i < n; i++)
		if (insn[i].id == X86_INS_RET && found < max)
			out[found++] = insn[i].address;
	cs_free(insn, n);
	return whole || found ? found : -1;
}

int disasm_boundary(struct elf_file *e, uint64_t start, uint64_t size, uint64_t at)
{
	size_t n, i;
	int whole, found = -1;
	cs_insn *insn = decode(e, start, size, 0, &n, &whole);

	if (!insn)
		return -1;
	for (i = 0; i < n && insn[i].address <= at; i++)
		found = insn[i].address == at ? 1 : insn[i].address + insn[i].size > at ? 0 : -1;
	cs_free(insn, n);
	return found;
}

/* Whether insn (decoded with detail) is a direct jump or call to `at`. */
static int branches_to(const cs_insn *insn, uint64_t at)
{
	const cs_detail *d = insn->detail;
	int i, branch = 0;

	for (i = 0; i < d->groups_count; i++)
		branch |= d->groups[i] == CS_GRP_JUMP || d->groups[i] == CS_GRP_CALL;
	return branch && d->x86.op_count == 1 && d->x86.operands[0].type == X86_OP_IMM &&
	       (uint64_t)d->x86.operands[0].imm == at;
}

int disasm_tail_jumps(struct elf_file *e, uint64_t start, uint64_t size)
{
	size_t n, i;
	int whole, found = 0;
	cs_insn *insn = decode(e, start, size, 1, &n, &whole);

	for (i = 0; insn && i < n; i++) {
		const cs_x86 *x = &insn[i].detail->x86;

		found += insn[i].id == X86_INS_JMP && x->op_count == 1 &&
			 x->operands[0].type == X86_OP_IMM &&
			 ((uint64_t)x->operands[0].imm < start ||
			  (uint64_t)x->operands[0].imm >= start + size);
	}
	if (insn)
		cs_free(insn, n);
	return found;
}

uint64_t disasm_entry(struct elf_file *e, uint64_t start, uint64_t size)
{
	size_t n, i;
	int whole;
	cs_insn *insn = decode(e, start, size, 1, &n, &whole);
	uint64_t at = start;

	if (insn && whole && n > 1 && insn[0].id == X86_INS_ENDBR64) {
		at = insn[1].address;
		for (i = 1; i < n && at != start; i++)
			if (branches_to(&insn[i], at))
				at = start;
	}
	if (insn)
		cs_free(insn, n);
	return at;
}

int disasm_at(struct elf_file *e, uint64_t vaddr, char *text, size_t len)
{
	size_t n;
	int whole, emulated = -1;
	cs_insn *insn = decode(e, vaddr, 15, 1, &n, &whole);
	const cs_detail *d;
	int i, jump = 0;

	if (!insn)
		return -1;
	snprintf(text, len, "%s%s%s", insn->mnemonic, insn->op_str[0] ? " " : "", insn->op_str);
	d = insn->detail;
	for (i = 0; i < d->groups_count; i++)
		jump |= d->groups[i] == CS_GRP_JUMP || d->groups[i] == CS_GRP_CALL;
	/* What x86 uprobes emulate: NOPs, direct jumps and calls, a PUSH of a register. */
	emulated = insn->id == X86_INS_NOP ||
		   (jump && d->x86.op_count == 1 && d->x86.operands[0].type == X86_OP_IMM) ||
		   (insn->id == X86_INS_PUSH && d->x86.op_count == 1 &&
		    d->x86.operands[0].type == X86_OP_REG);
	cs_free(insn, n);
	return emulated;
}
