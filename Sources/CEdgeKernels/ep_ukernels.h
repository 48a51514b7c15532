// Private declarations of every microkernel variant (not part of the public API in include/).
// config.c is the only file that references ISA-specific kernels; it picks among them at run time.
#ifndef EP_UKERNELS_H
#define EP_UKERNELS_H

#include "edge_kernels.h"

#if defined(__x86_64__) || defined(_M_X64)
#define EP_ARCH_X86_64 1
#endif
#if defined(__aarch64__) || defined(_M_ARM64)
#define EP_ARCH_ARM64 1
#endif

#define EP_DECLARE_F32_GEMM_UKERNEL(fn)                                                  \
    void fn(size_t mr, size_t nr, size_t k, const float* a, size_t lda,                  \
            const float* b_panel, float* c, size_t ldc, const float* bias_m,             \
            const float* bias_n, const ep_f32_minmax_params* params)

EP_DECLARE_F32_GEMM_UKERNEL(ep_f32_gemm_minmax_ukernel_4x4__scalar);
#if EP_ARCH_X86_64
EP_DECLARE_F32_GEMM_UKERNEL(ep_f32_gemm_minmax_ukernel_4x8__sse2);
EP_DECLARE_F32_GEMM_UKERNEL(ep_f32_gemm_minmax_ukernel_6x16__avx2_fma);
#endif
#if EP_ARCH_ARM64
EP_DECLARE_F32_GEMM_UKERNEL(ep_f32_gemm_minmax_ukernel_8x8__neon);
#endif

#define EP_DECLARE_F32_DWCONV2D(fn)                                                      \
    void fn(const ep_conv2d_geometry* g, size_t channels, const float* input,            \
            const float* weights, const float* bias, float* output,                      \
            const ep_f32_minmax_params* params)

#if EP_ARCH_X86_64
EP_DECLARE_F32_DWCONV2D(ep_f32_dwconv2d_minmax_ukernel_row16__avx2_fma);
#endif
#if EP_ARCH_ARM64
EP_DECLARE_F32_DWCONV2D(ep_f32_dwconv2d_minmax_ukernel_row8__neon);
#endif

// The f32 sparse Linear kernels (csr, csc, nm) are declared in their family folders' ukernels.h.

// ---------------------------------------------------------------------------------------------
// Small copy helpers.

// 4 floats moved as one unit (an SSE / NEON register move); unaligned and may alias floats.
// (16-byte units only: without AVX, GCC lowers 32-byte generic vectors through the stack.)
typedef float ep_f32x4 __attribute__((vector_size(16), aligned(4), may_alias));

// Copies 8 floats.
static inline void ep_copy8(float* d, const float* s) {
    const ep_f32x4 lo = *(const ep_f32x4*)s, hi = *(const ep_f32x4*)(s + 4);
    *(ep_f32x4*)d = lo;
    *(ep_f32x4*)(d + 4) = hi;
}

// Rows copied here are short (a few dozen floats): keep the compiler from turning a row-copy loop
// into a memcpy / memset call per row, whose call overhead would dominate.
#if defined(__clang__)
#define EP_NO_MEMCPY_IDIOM __attribute__((no_builtin("memcpy", "memset")))
#elif defined(__GNUC__)
#define EP_NO_MEMCPY_IDIOM __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define EP_NO_MEMCPY_IDIOM
#endif

// Zero-padded channel planes, shared by im2col and the depthwise kernels: a PH x PW stack buffer
// P with P[y][x] = chan[y - pt][x - pl] inside the input and 0 elsewhere, so convolution taps can
// be read without bounds checks. Zero P once (ep_plane_zero), then per channel only the interior
// is rewritten (ep_plane_fill): the borders stay zero.
enum { EP_PLANE_MAX = 8192 - 64 };  // floats of plane (32 KB buffer with the over-read slack)

EP_NO_MEMCPY_IDIOM static inline void ep_plane_zero(float* P, size_t count) {
    for (size_t i = 0; i < count; i++) P[i] = 0.0f;
}

EP_NO_MEMCPY_IDIOM static inline void ep_plane_fill(float* P, size_t PH, size_t PW,
                                                    const float* chan, size_t in_h, size_t in_w,
                                                    size_t pt, size_t pl) {
    if (pl >= PW || pt >= PH) return;
    const size_t w = in_w < PW - pl ? in_w : PW - pl;
    const size_t h = in_h < PH - pt ? in_h : PH - pt;
    for (size_t y = 0; y < h; y++) {
        float* dst = P + (pt + y) * PW + pl;
        const float* src = chan + y * in_w;
        size_t x = 0;
        for (; x + 8 <= w; x += 8) ep_copy8(dst + x, src + x);
        if (x + 4 <= w) {
            *(ep_f32x4*)(dst + x) = *(const ep_f32x4*)(src + x);
            x += 4;
        }
        for (; x < w; x++) dst[x] = src[x];
    }
}

#endif  // EP_UKERNELS_H
