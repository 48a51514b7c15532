// Run-time CPU feature detection, done once and cached.
//   x86-64: cpuid leaves 1 and 7, plus xgetbv to check the OS saves the AVX (ymm) state.
//   aarch64: NEON (Advanced SIMD) is architectural; dot-product from getauxval(AT_HWCAP) on Linux
//            or sysctl on Apple platforms.
#include "ep_ukernels.h"

#if EP_ARCH_X86_64
#include <cpuid.h>
#endif
#if EP_ARCH_ARM64 && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1UL << 20)
#endif
#endif
#if EP_ARCH_ARM64 && defined(__APPLE__)
#include <sys/sysctl.h>
#endif

static ep_cpu_features detect(void) {
    ep_cpu_features f = {0, 0, 0, 0, 0};
#if EP_ARCH_X86_64
    unsigned int eax, ebx, ecx, edx;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
        f.sse4_1 = (ecx >> 19) & 1;
        const int fma = (ecx >> 12) & 1;
        const int osxsave = (ecx >> 27) & 1;
        const int avx = (ecx >> 28) & 1;
        int ymm_enabled = 0;
        if (osxsave && avx) {
            unsigned int xcr0_lo, xcr0_hi;
            __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
            ymm_enabled = (xcr0_lo & 0x6) == 0x6;  // XMM and YMM state saved by the OS
        }
        if (ymm_enabled) {
            f.fma = fma;
            if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) f.avx2 = (ebx >> 5) & 1;
        }
    }
#elif EP_ARCH_ARM64
    f.neon = 1;
#if defined(__linux__)
    f.neon_dotprod = (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#elif defined(__APPLE__)
    int value = 0;
    size_t size = sizeof(value);
    if (sysctlbyname("hw.optional.arm.FEAT_DotProd", &value, &size, NULL, 0) == 0) {
        f.neon_dotprod = value != 0;
    }
#endif
#endif
    return f;
}

// Cached result. state: 0 = not detected, 1 = a thread is detecting, 2 = ready.
static ep_cpu_features g_features;
static int g_features_state;

const ep_cpu_features* ep_cpu_get_features(void) {
    if (__atomic_load_n(&g_features_state, __ATOMIC_ACQUIRE) != 2) {
        int expected = 0;
        if (__atomic_compare_exchange_n(&g_features_state, &expected, 1, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE)) {
            g_features = detect();
            __atomic_store_n(&g_features_state, 2, __ATOMIC_RELEASE);
        } else {
            while (__atomic_load_n(&g_features_state, __ATOMIC_ACQUIRE) != 2) {
            }
        }
    }
    return &g_features;
}
