// Interposes the allocation functions of glibc in the test binary and counts calls made on the
// thread that enabled counting (other threads, e.g. the test runner's, are not counted).
#define _GNU_SOURCE
#include "alloc_counter.h"
#include <stdlib.h>

#ifndef __has_feature
#define __has_feature(x) 0
#endif
// Sanitizers intercept malloc themselves; interposing it too would bypass them (and crash).
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__) || __has_feature(thread_sanitizer) || \
    __has_feature(address_sanitizer)
#define EP_ALLOC_COUNTER_OFF 1
#endif

#if defined(__GLIBC__) && !defined(EP_ALLOC_COUNTER_OFF)
extern void* __libc_malloc(size_t);
extern void* __libc_calloc(size_t, size_t);
extern void* __libc_realloc(void*, size_t);
extern void* __libc_memalign(size_t, size_t);
extern void __libc_free(void*);

static _Thread_local int counting = 0;
static _Thread_local size_t allocations = 0;

int ep_alloc_counter_available(void) { return 1; }
void ep_alloc_counter_start(void) { allocations = 0; counting = 1; }
size_t ep_alloc_counter_stop(void) { counting = 0; return allocations; }

void* malloc(size_t n) { if (counting) allocations++; return __libc_malloc(n); }
void* calloc(size_t a, size_t b) { if (counting) allocations++; return __libc_calloc(a, b); }
void* realloc(void* p, size_t n) { if (counting) allocations++; return __libc_realloc(p, n); }
void free(void* p) { __libc_free(p); }
void* memalign(size_t al, size_t n) { if (counting) allocations++; return __libc_memalign(al, n); }
void* aligned_alloc(size_t al, size_t n) { if (counting) allocations++; return __libc_memalign(al, n); }
int posix_memalign(void** out, size_t al, size_t n) {
    if (counting) allocations++;
    void* p = __libc_memalign(al, n);
    if (!p) return 12;
    *out = p;
    return 0;
}
#else
// Not glibc, or under a sanitizer: counting is unavailable; the tests that need it skip.
int ep_alloc_counter_available(void) { return 0; }
void ep_alloc_counter_start(void) {}
size_t ep_alloc_counter_stop(void) { return (size_t)-1; }
#endif
