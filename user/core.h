/* Core files as a target: memory from PT_LOAD segments (falling back to the mapped files
 * for what the core left out), modules from the NT_FILE note. Implemented in core.c. */
#ifndef CODEFER_CORE_H
#define CODEFER_CORE_H

#include <stddef.h>
#include <stdint.h>
#include "target.h"

/* Reads from the core; what it lacks comes from the module files. 0 or -1. */
int core_read(struct target *t, uint64_t addr, void *buf, size_t len);
void core_close(struct core_file *c);

#endif
