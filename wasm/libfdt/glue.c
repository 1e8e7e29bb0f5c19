// SPDX-License-Identifier: BSD-2-Clause
/*
 * xlite glue for libfdt compiled to WebAssembly: functions for what libfdt only offers as
 * macros, plus a heap probe the tests use to prove the JS bindings do not leak.
 */
#include <stddef.h>
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

/*
 * memcmp (and bcmp, what clang turns `memcmp(...) == 0` into) for the whole module, in place
 * of libc's out-of-line one. libfdt's string-table search (fdt_find_string_) calls it at every
 * byte offset of the table for every property written; built with -flto, this definition is
 * inlined there. Same contract as ISO C memcmp.
 */
int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *l = a, *r = b;

	for (; n && *l == *r; n--, l++, r++)
		;
	return n ? *l - *r : 0;
}

int bcmp(const void *a, const void *b, size_t n)
{
	return memcmp(a, b, n);
}
