// Test support: counts heap allocations made by the calling thread while counting is enabled.
// malloc/calloc/realloc/free and the aligned variants are interposed in the test executable and
// forwarded to glibc's implementations.
#ifndef ALLOC_COUNTER_H
#define ALLOC_COUNTER_H
#include <stddef.h>
/// 1 when allocations can be counted here (glibc, no sanitizer interposing malloc itself).
int ep_alloc_counter_available(void);
void ep_alloc_counter_start(void);
/// Stops counting and returns the allocations (malloc, calloc, realloc, memalign family) seen.
size_t ep_alloc_counter_stop(void);
#endif
