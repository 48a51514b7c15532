// Private declarations of the f32-spmm-pixels kernels and format descriptors (included by config.c),
// and the blob layout every kernel of the family reads.
//
// Blob layout (all fields little-endian fixed-width, offsets relative to the blob's start, so the
// blob is position-independent and can live in an mmapped model file):
//   [0, 64)   header: magic, format, rows, cols, count, block_rows, then zeros
//   [64, ..)  values: float32
//             dense:  ceil(rows/4) row blocks x cols x 4 (the 4 rows of a block interleaved per k;
//                     rows past `rows` in the last block are zero)
//             csr:    count non-zeros, row by row
//             bsr4x1: count kept blocks x 4 (4 consecutive rows at one k; padded rows are zero)
//   then      ptr:    uint32 x (groups + 1), groups = ceil(rows / block_rows) (csr, bsr4x1 only)
//   then      idx:    uint16 x count, the k of each non-zero / block (csr, bsr4x1 only)
//   the blob's size is the end of the last array rounded up to 4 bytes.
#ifndef EP_F32_SPMM_PIXELS_UKERNELS_H
#define EP_F32_SPMM_PIXELS_UKERNELS_H

#include "../ep_ukernels.h"

enum {
    EP_SPX_MAGIC = 0x58505345u,  // "ESPX"
    EP_SPX_FORMAT_DENSE = 1,
    EP_SPX_FORMAT_CSR = 2,
    EP_SPX_FORMAT_BSR4X1 = 3,
    EP_SPX_HEADER_BYTES = 64,
};

typedef struct {
    uint32_t magic;
    uint32_t format;
    uint32_t rows;
    uint32_t cols;
    uint32_t count;       // dense: rows*cols; csr: non-zeros; bsr4x1: kept blocks
    uint32_t block_rows;  // rows per values group (dense 4, csr 1, bsr4x1 4)
    uint32_t reserved[10];
} ep_spx_header;

static inline const ep_spx_header* ep_spx_head(const void* blob) {
    return (const ep_spx_header*)blob;
}
static inline const float* ep_spx_values(const void* blob) {
    return (const float*)((const char*)blob + EP_SPX_HEADER_BYTES);
}
// Floats in the values array.
static inline size_t ep_spx_value_count(const ep_spx_header* h) {
    if (h->format == EP_SPX_FORMAT_DENSE)
        return ((size_t)h->rows + 3) / 4 * 4 * (size_t)h->cols;
    return (size_t)h->count * h->block_rows;
}
static inline const uint32_t* ep_spx_ptr(const void* blob) {
    return (const uint32_t*)(ep_spx_values(blob) + ep_spx_value_count(ep_spx_head(blob)));
}
static inline const uint16_t* ep_spx_idx(const void* blob) {
    const ep_spx_header* h = ep_spx_head(blob);
    return (const uint16_t*)(ep_spx_ptr(blob) + ((size_t)h->rows + h->block_rows - 1) / h->block_rows + 1);
}

// X rows `ldx` floats apart that map to few L1 sets (a stride with a large power-of-two factor,
// e.g. the 4 KB planes of a 32x32 NCHW input) evict each other while a pixel tile walks K of them.
// Kernels then copy each full pixel tile (K x tile) into a contiguous stack buffer of up to
// EP_SPX_STACK_FLOATS floats first (32 KB; K <= 256 for a 32-pixel tile); strides that spread over
// the sets (im2col panels, most plane sizes) are read in place.
enum { EP_SPX_STACK_FLOATS = 8192 };

static inline int ep_spx_copy_tiles(size_t ldx, size_t cols, size_t tile) {
    if (ldx * sizeof(float) < 1024 || cols * tile > EP_SPX_STACK_FLOATS) return 0;
    const size_t bytes = ldx * sizeof(float) % 4096;
    size_t low = bytes & (~bytes + 1);  // largest power of two dividing the stride (mod 4 KB)
    if (bytes == 0) low = 4096;
    if (low < 64) low = 64;
    const size_t positions = 4096 / low;  // distinct 64-byte set positions the rows start at
    return cols > 4 * positions;
}

EP_NO_MEMCPY_IDIOM static inline void ep_spx_copy_tile(float* dst, size_t tile, const float* x,
                                                       size_t ldx, size_t cols) {
    for (size_t k = 0; k < cols; k++)
        for (size_t i = 0; i < tile; i += 8) ep_copy8(dst + k * tile + i, x + k * ldx + i);
}

// Format descriptors (ep_f32_spmm_pixels_formats.c).
extern const ep_f32_spmm_pixels_format ep_f32_spmm_pixels_format_dense;
extern const ep_f32_spmm_pixels_format ep_f32_spmm_pixels_format_csr;
extern const ep_f32_spmm_pixels_format ep_f32_spmm_pixels_format_bsr4x1;

#define EP_DECLARE_F32_SPMM_PIXELS(fn)                                                        \
    void fn(const void* packed, size_t row_begin, size_t row_end, size_t pixels,              \
            const float* x, size_t ldx, float* y, size_t ldy, const float* bias,              \
            const ep_f32_minmax_params* params)

EP_DECLARE_F32_SPMM_PIXELS(ep_f32_spmm_pixels_dense_minmax_ukernel_1x4__scalar);
EP_DECLARE_F32_SPMM_PIXELS(ep_f32_spmm_pixels_csr_minmax_ukernel_1x1__scalar);
EP_DECLARE_F32_SPMM_PIXELS(ep_f32_spmm_pixels_bsr4x1_minmax_ukernel_1x4__scalar);
#if EP_ARCH_X86_64
EP_DECLARE_F32_SPMM_PIXELS(ep_f32_spmm_pixels_dense_minmax_ukernel_16x4__avx2_fma);
EP_DECLARE_F32_SPMM_PIXELS(ep_f32_spmm_pixels_csr_minmax_ukernel_32x1__avx2_fma);
EP_DECLARE_F32_SPMM_PIXELS(ep_f32_spmm_pixels_bsr4x1_minmax_ukernel_16x4__avx2_fma);
#endif
#if EP_ARCH_ARM64
EP_DECLARE_F32_SPMM_PIXELS(ep_f32_spmm_pixels_dense_minmax_ukernel_16x4__neon);
EP_DECLARE_F32_SPMM_PIXELS(ep_f32_spmm_pixels_csr_minmax_ukernel_16x1__neon);
EP_DECLARE_F32_SPMM_PIXELS(ep_f32_spmm_pixels_bsr4x1_minmax_ukernel_16x4__neon);
#endif

#endif
