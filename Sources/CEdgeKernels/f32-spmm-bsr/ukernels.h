// Private declarations of the f32-spmm-bsr kernels and format descriptors (included by config.c).
//
// Block-sparse formats "bsr<R>x<C>" (block = R output rows x C input columns; whole zero blocks are
// skipped, zeros inside kept blocks are stored). Blob layout (offsets in bytes from the blob start,
// all derived from the counts and checked by validate):
//   [0, 64)         ep_f32_bsr_header
//   row_ptr_offset  uint32 row_ptr[block_row_count + 1]: blocks of block row i are
//                   [row_ptr[i], row_ptr[i+1]); row_ptr[0] == 0, row_ptr[last] == blocks
//   col_idx_offset  uint16 col_idx[blocks]: block column (input columns C*c .. C*c+C-1), strictly
//                   increasing within a block row, < block_col_count (<= 65536)
//   values_offset   float values[blocks][R][C] (64-byte aligned), row-major inside a block; rows
//                   past `rows` and columns past `cols` (padding of the last block row / column)
//                   hold zeros, and kernels never read x past `cols`.
#ifndef EP_F32_SPMM_BSR_UKERNELS_H
#define EP_F32_SPMM_BSR_UKERNELS_H

#include "../ep_ukernels.h"

enum {
    EP_F32_BSR_MAGIC = 0x424C5045u,  // "EPLB" little-endian
    EP_F32_BSR_VERSION = 1,
    EP_F32_BSR_HEADER = 64,
    EP_F32_BSR_MAX_BLOCK_COLS = 65536,  // 16-bit block-column indices
};

typedef struct {
    uint32_t magic;
    uint32_t version;
    uint32_t block_rows, block_cols;   // R, C
    uint32_t rows, cols;
    uint32_t block_row_count;          // ceil(rows / R)
    uint32_t block_col_count;          // ceil(cols / C)
    uint32_t blocks;                   // stored blocks
    uint32_t row_ptr_offset, col_idx_offset, values_offset;
    uint32_t size;                     // bytes of the whole blob
    uint32_t reserved[3];
} ep_f32_bsr_header;

static inline const uint32_t* ep_f32_bsr_row_ptr(const ep_f32_bsr_header* h) {
    return (const uint32_t*)((const unsigned char*)h + h->row_ptr_offset);
}
static inline const uint16_t* ep_f32_bsr_col_idx(const ep_f32_bsr_header* h) {
    return (const uint16_t*)((const unsigned char*)h + h->col_idx_offset);
}
static inline const float* ep_f32_bsr_values(const ep_f32_bsr_header* h) {
    return (const float*)((const unsigned char*)h + h->values_offset);
}

extern const ep_f32_linear_format ep_f32_linear_bsr1x4_format;
extern const ep_f32_linear_format ep_f32_linear_bsr4x1_format;
extern const ep_f32_linear_format ep_f32_linear_bsr8x1_format;
extern const ep_f32_linear_format ep_f32_linear_bsr16x1_format;
extern const ep_f32_linear_format ep_f32_linear_bsr32x1_format;

/// Scalar reference for any R x C (reads R and C from the header); the per-format __scalar
/// kernels call it.
void ep_f32_linear_bsr_run__scalar(const void* packed, size_t row_begin, size_t row_end,
                                   size_t batch, const float* x, size_t ldx, float* y, size_t ldy,
                                   const float* bias, const ep_f32_minmax_params* params);

#define EP_DECLARE_F32_LINEAR_BSR(fn)                                                          \
    void fn(const void* packed, size_t row_begin, size_t row_end, size_t batch, const float* x, \
            size_t ldx, float* y, size_t ldy, const float* bias,                               \
            const ep_f32_minmax_params* params)

EP_DECLARE_F32_LINEAR_BSR(ep_f32_linear_bsr1x4_minmax_ukernel_1x4__scalar);
EP_DECLARE_F32_LINEAR_BSR(ep_f32_linear_bsr4x1_minmax_ukernel_4x1__scalar);
EP_DECLARE_F32_LINEAR_BSR(ep_f32_linear_bsr8x1_minmax_ukernel_8x1__scalar);
EP_DECLARE_F32_LINEAR_BSR(ep_f32_linear_bsr16x1_minmax_ukernel_16x1__scalar);
EP_DECLARE_F32_LINEAR_BSR(ep_f32_linear_bsr32x1_minmax_ukernel_32x1__scalar);
#if EP_ARCH_X86_64
EP_DECLARE_F32_LINEAR_BSR(ep_f32_linear_bsr1x4_minmax_ukernel_1x4__sse41);
EP_DECLARE_F32_LINEAR_BSR(ep_f32_linear_bsr4x1_minmax_ukernel_4x1__sse41);
EP_DECLARE_F32_LINEAR_BSR(ep_f32_linear_bsr8x1_minmax_ukernel_8x1__sse41);
EP_DECLARE_F32_LINEAR_BSR(ep_f32_linear_bsr16x1_minmax_ukernel_16x1__sse41);
EP_DECLARE_F32_LINEAR_BSR(ep_f32_linear_bsr32x1_minmax_ukernel_32x1__sse41);
EP_DECLARE_F32_LINEAR_BSR(ep_f32_linear_bsr1x4_minmax_ukernel_1x4__avx2_fma);
EP_DECLARE_F32_LINEAR_BSR(ep_f32_linear_bsr4x1_minmax_ukernel_4x1__avx2_fma);
EP_DECLARE_F32_LINEAR_BSR(ep_f32_linear_bsr8x1_minmax_ukernel_8x1__avx2_fma);
EP_DECLARE_F32_LINEAR_BSR(ep_f32_linear_bsr16x1_minmax_ukernel_16x1__avx2_fma);
EP_DECLARE_F32_LINEAR_BSR(ep_f32_linear_bsr32x1_minmax_ukernel_32x1__avx2_fma);
#endif
#if EP_ARCH_ARM64
EP_DECLARE_F32_LINEAR_BSR(ep_f32_linear_bsr1x4_minmax_ukernel_1x4__neon);
EP_DECLARE_F32_LINEAR_BSR(ep_f32_linear_bsr4x1_minmax_ukernel_4x1__neon);
EP_DECLARE_F32_LINEAR_BSR(ep_f32_linear_bsr8x1_minmax_ukernel_8x1__neon);
EP_DECLARE_F32_LINEAR_BSR(ep_f32_linear_bsr16x1_minmax_ukernel_16x1__neon);
EP_DECLARE_F32_LINEAR_BSR(ep_f32_linear_bsr32x1_minmax_ukernel_32x1__neon);
#endif

#endif
