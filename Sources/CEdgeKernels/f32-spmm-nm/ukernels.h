// Private declarations of the f32-spmm-nm kernels and format descriptors (included by config.c),
// and the N:M blob layout they share.
#ifndef EP_F32_SPMM_NM_UKERNELS_H
#define EP_F32_SPMM_NM_UKERNELS_H

#include "../ep_ukernels.h"

// N:M blob (n non-zeros kept in every group of m consecutive input columns, per output row).
// Rows are packed in panels of 8 (the last panel padded with zero rows); columns in groups of m
// (the last group may be partial: width cols - g*m). Per (panel p, group g), in that order:
//   values: n slots x 8 rows of f32 at off_val + 4 * ((p*groups + g)*n*8 + slot*8 + row);
//   meta:   n*bits bytes at off_meta + (p*groups + g)*n*bits, bits = log2(m): the column (within
//           the group) of slot s, row r is the little-endian bit field at bit (s*8 + r)*bits.
// A group with fewer than n non-zeros stores zeros (at the smallest unused columns). 4 spare
// bytes follow the meta section (kernels read each slot's fields as one 32-bit word).
typedef struct {
    uint32_t magic;      // EP_NM_MAGIC
    uint32_t version;    // 1
    uint32_t rows, cols;
    uint32_t n, m;
    uint32_t groups;     // ceil(cols / m)
    uint32_t panels;     // ceil(rows / 8)
    uint64_t off_meta, off_val, size;
    uint64_t reserved;   // 0
} ep_f32_nm_header;

#define EP_NM_MAGIC 0x314d4e45u  // "ENM1"

// Column within its group of slot `slot`, row `row` of a group's meta block.
static inline unsigned ep_nm_index(const uint8_t* meta, unsigned bits, unsigned slot, unsigned row) {
    const unsigned bit = (slot * 8 + row) * bits;
    const unsigned word = (unsigned)meta[bit >> 3] | ((unsigned)meta[(bit >> 3) + 1] << 8);
    return (word >> (bit & 7)) & ((1u << bits) - 1);
}

extern const ep_f32_linear_format ep_f32_linear_format_nm2_4;
extern const ep_f32_linear_format ep_f32_linear_format_nm4_8;

#define EP_DECLARE_F32_LINEAR_NM(fn)                                                       \
    void fn(const void* packed, size_t row_begin, size_t row_end, size_t batch,            \
            const float* x, size_t ldx, float* y, size_t ldy, const float* bias,           \
            const ep_f32_minmax_params* params)

EP_DECLARE_F32_LINEAR_NM(ep_f32_linear_nm2x4_minmax_ukernel_8x1__scalar);
EP_DECLARE_F32_LINEAR_NM(ep_f32_linear_nm4x8_minmax_ukernel_8x1__scalar);
#if EP_ARCH_X86_64
EP_DECLARE_F32_LINEAR_NM(ep_f32_linear_nm2x4_minmax_ukernel_8x4__sse41);
EP_DECLARE_F32_LINEAR_NM(ep_f32_linear_nm4x8_minmax_ukernel_8x4__sse41);
EP_DECLARE_F32_LINEAR_NM(ep_f32_linear_nm2x4_minmax_ukernel_8x8__avx2_fma);
EP_DECLARE_F32_LINEAR_NM(ep_f32_linear_nm4x8_minmax_ukernel_8x8__avx2_fma);
#endif
#if EP_ARCH_ARM64
EP_DECLARE_F32_LINEAR_NM(ep_f32_linear_nm2x4_minmax_ukernel_8x4__neon);
EP_DECLARE_F32_LINEAR_NM(ep_f32_linear_nm4x8_minmax_ukernel_8x4__neon);
#endif

#endif
