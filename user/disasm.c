// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <capstone/capstone.h>
#include <stdlib.h>
#include "disasm.h"

#define MAX_FUNC_BYTES (1 << 20)

int disasm_returns(struct elf_file *e, uint64_t start, uint64_t size, uint64_t *out, int max)
{
	const uint8_t *code;
	uint8_t *buf;
	uint64_t addr = start;
	size_t left = size;
	cs_insn *insn;
	csh cs;
	int n = 0;

	if (!size || size > MAX_FUNC_BYTES || !(buf = malloc(size)))
		return -1;
	if (elf_read_vaddr(e, start, buf, size) || cs_open(CS_ARCH_X86, CS_MODE_64, &cs)) {
		free(buf);
		return -1;
	}
	insn = cs_malloc(cs);
	code = buf;
	/* Decoding in order from the entry: a 0xc3 byte inside another instruction is no RET. */
	while (cs_disasm_iter(cs, &code, &left, &addr, insn))
		if (insn->id == X86_INS_RET && n < max)
			out[n++] = insn->address;
	cs_free(insn, 1);
	cs_close(&cs);
	free(buf);
	return left ? (n ? n : -1) : n;
}
