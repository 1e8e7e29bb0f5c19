// SPDX-License-Identifier: BSD-2-Clause
/*
 * xlite glue for libfdt compiled to WebAssembly: functions for what libfdt only offers as
 * macros, plus a heap probe the tests use to prove the JS bindings do not leak.
 */
#include <stdint.h>
#include <unistd.h>

#include "libfdt.h"

/* fdt_totalsize() is a macro in libfdt.h; export it as a function. */
uint32_t xlite_fdt_totalsize(const void *fdt)
{
	return fdt_totalsize(fdt);
}

/* The top of the malloc heap (sbrk(0)): flat across repeated work when nothing leaks. */
uintptr_t xlite_heap_top(void)
{
	return (uintptr_t)sbrk(0);
}
