// Private declarations of the f32-linear-dense kernels and format descriptors (included by config.c).
//
// Format "dense": W (rows x cols) as W^T in panels of 16 output rows, k-major, so a kernel reads a
// panel as one contiguous stream and broadcasts one input per k:
//   blob = 64-byte header, then panel p (rows 16p .. 16p+15) at byte 64 + p*cols*64:
//   panel[k*16 + j] = W[16p + j, k], rows past `rows` zero.
// Kernels step over several panels (or several k) at once so enough FMA accumulators are in flight.
#ifndef EP_F32_LINEAR_DENSE_UKERNELS_H
#define EP_F32_LINEAR_DENSE_UKERNELS_H

#include "../ep_ukernels.h"

enum {
    EP_F32_DENSE_MAGIC = 0x444C5045u,  // "EPLD" little-endian
    EP_F32_DENSE_VERSION = 1,
    EP_F32_DENSE_PANEL = 16,           // output rows per panel (= row_group)
    EP_F32_DENSE_HEADER = 64,          // header bytes; panels start here (64-byte aligned)
};

typedef struct {
    uint32_t magic;
    uint32_t version;
    uint32_t rows;
    uint32_t cols;
    uint32_t panel;     // EP_F32_DENSE_PANEL
    uint32_t panels;    // ceil(rows / panel)
    uint32_t reserved[10];
} ep_f32_dense_header;

extern const ep_f32_linear_format ep_f32_linear_dense_format;

#define EP_DECLARE_F32_LINEAR_DENSE(fn)                                                              \
    void fn(const void* packed, size_t row_begin, size_t row_end, size_t batch, const float* x, \
            size_t ldx, float* y, size_t ldy, const float* bias,                               \
            const ep_f32_minmax_params* params)

EP_DECLARE_F32_LINEAR_DENSE(ep_f32_linear_dense_minmax_ukernel_16x1__scalar);
#if EP_ARCH_X86_64
EP_DECLARE_F32_LINEAR_DENSE(ep_f32_linear_dense_minmax_ukernel_32x1__sse41);
EP_DECLARE_F32_LINEAR_DENSE(ep_f32_linear_dense_minmax_ukernel_64x1__avx2_fma);
#endif
#if EP_ARCH_ARM64
EP_DECLARE_F32_LINEAR_DENSE(ep_f32_linear_dense_minmax_ukernel_64x1__neon);
#endif

#endif
