// Private declarations of the qs8-linear kernels and format descriptors (included by config.c),
// the blob layout shared by pack, validate and the kernels, and the requantization step.
//
// Blob layout (all offsets from the blob start; GR = rows per group: 8 for bsr8x4, else 4;
// RP = rows rounded up to GR, G = RP / GR groups):
//   [0, 64)              ep_qs8_linear_header
//   bias_raw  int32[RP]  bias[n] - x_zp * sum_k W[n, k]        (kernels that read x as packed)
//   bias_flip int32[RP]  bias[n] - (x_zp - 128) * sum_k W[n, k] for uint8 x, else == bias_raw
//                        (kernels that read uint8 x as int8 via x ^ 0x80: the ARM kernels)
//   mult      f32[RP]    multiplier[n] (0 in padding rows)
//   then, 64-byte aligned:
//   dense:  G groups of KC = ceil(cols / 16) chunks of 64 bytes: chunk c of group g holds rows
//           4g..4g+3 (16 bytes each) of columns 16c..16c+15, zero-padded.
//   bsr4x4: ptr uint32[G + 1] (blocks of group g are ptr[g]..ptr[g+1]), idx uint16[blocks] (block
//           column = k / 4, strictly ascending within a group), then 64-byte aligned
//           values int8[blocks][4][4] (row-major inside a block, zero-padded past rows / cols).
//   bsr8x4: ptr and idx as bsr4x4 (groups of 8 rows), then 64-byte aligned values
//           int8[blocks][2][8][2]: half h (columns 4c+2h, 4c+2h+1) holds, for rows r = 0..7,
//           the pair (W[8g+r, 4c+2h], W[8g+r, 4c+2h+1]) (zero-padded past rows / cols).
#ifndef EP_QS8_LINEAR_UKERNELS_H
#define EP_QS8_LINEAR_UKERNELS_H

#include "../ep_ukernels.h"

#include <string.h>

enum {
    EP_QS8_MAGIC_DENSE = 0x4e443851u,   // "Q8DN"
    EP_QS8_MAGIC_BSR4X4 = 0x34423851u,  // "Q8B4"
    EP_QS8_MAGIC_BSR8X4 = 0x38423851u,  // "Q8B8"
    EP_QS8_VERSION = 1,
    EP_QS8_MAX_ROWS = 1 << 24,
    EP_QS8_MAX_COLS = 1 << 18,
};

typedef struct {
    uint32_t magic;
    uint32_t version;
    uint32_t rows;
    uint32_t cols;
    uint32_t x_unsigned;    // 1: uint8 activations, 0: int8
    int32_t x_zero_point;   // informational: already folded into bias_raw / bias_flip
    uint32_t blocks;        // bsr4x4 / bsr8x4: stored blocks; dense: 0
    uint32_t reserved;      // 0
    uint64_t size;          // total bytes
    uint8_t pad[24];
} ep_qs8_linear_header;

/// Layout kinds (the `kind` argument below): 0 dense, 1 bsr4x4, 2 bsr8x4.
enum { EP_QS8_KIND_DENSE = 0, EP_QS8_KIND_BSR4X4 = 1, EP_QS8_KIND_BSR8X4 = 2 };

typedef struct {
    size_t groups, padded_rows, bias_raw, bias_flip, mult, ptr, idx, values, total;
} ep_qs8_layout;

static inline size_t ep_qs8_align64(size_t v) { return (v + 63) & ~(size_t)63; }

/// Rows per group of a layout kind.
static inline size_t ep_qs8_group_rows(int kind) { return kind == EP_QS8_KIND_BSR8X4 ? 8 : 4; }

/// Offsets of every array for a shape (bsr: with `blocks` stored blocks).
static inline ep_qs8_layout ep_qs8_layout_of(int kind, size_t rows, size_t cols, size_t blocks) {
    ep_qs8_layout l;
    const size_t gr = ep_qs8_group_rows(kind);
    const size_t rp = (rows + gr - 1) / gr * gr;
    l.groups = rp / gr;
    l.padded_rows = rp;
    l.bias_raw = 64;
    l.bias_flip = l.bias_raw + 4 * rp;
    l.mult = l.bias_flip + 4 * rp;
    const size_t arrays = ep_qs8_align64(l.mult + 4 * rp);
    if (kind == EP_QS8_KIND_DENSE) {
        l.ptr = l.idx = 0;
        l.values = arrays;
        l.total = arrays + l.groups * ((cols + 15) / 16) * 64;
    } else {
        l.ptr = arrays;
        l.idx = l.ptr + 4 * (l.groups + 1);
        l.values = ep_qs8_align64(l.idx + 2 * blocks);
        l.total = l.values + 4 * gr * blocks;
    }
    return l;
}

#define EP_QS8_AT(type, blob, offset) ((const type*)((const char*)(blob) + (offset)))

// Shared pack / validate steps (ep_qs8_linear_common.c); `kind` as in ep_qs8_layout_of.
/// 1 when the shape is in range.
int ep_qs8_shape_ok(size_t rows, size_t cols);
/// Writes the header, both bias arrays and the multipliers (zero in padding rows). Returns -1 when
/// a multiplier is not finite or x_zero_point is out of the activation type's range.
int ep_qs8_pack_common(int kind, size_t rows, size_t cols, const int8_t* w, size_t rs, size_t cs,
                       const int32_t* bias, const float* multiplier, int32_t x_zero_point,
                       int x_unsigned, size_t blocks, void* dst);
/// Checks size, header fields and multipliers; on success *blocks gets the header's block count.
int ep_qs8_validate_common(int kind, const void* packed, size_t size, size_t rows, size_t cols,
                           const char** what, size_t* where, size_t* blocks);

// Requantization (identical float operations in every variant; see edge_kernels.h).
typedef struct {
    float lo, hi;     // qmin - y_zp, qmax - y_zp
    int32_t zp;
    int y_unsigned;
} ep_qs8_requant;

static inline ep_qs8_requant ep_qs8_requant_of(const ep_qs8_output_params* p) {
    ep_qs8_requant r;
    r.lo = (float)(p->qmin - p->y_zero_point);
    r.hi = (float)(p->qmax - p->y_zero_point);
    r.zp = p->y_zero_point;
    r.y_unsigned = p->y_unsigned;
    return r;
}

/// round_half_to_even(clamp((float)acc * m, lo, hi)) + zp, by the 1.5 * 2^23 magic-number add
/// (exact for |f| < 2^22; the clamp keeps |f| <= 510).
static inline int32_t ep_qs8_requantize(int32_t acc, float m, const ep_qs8_requant* r) {
    float f = (float)acc * m;
    f = f < r->lo ? r->lo : f;
    f = f > r->hi ? r->hi : f;
    f += 12582912.0f;
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return (int32_t)(bits - 0x4B400000u) + r->zp;
}

/// Stores the first `count` of four requantized values (already in the output type's range).
static inline void ep_qs8_store4(void* y, const int32_t v[4], size_t count) {
    uint8_t* out = (uint8_t*)y;
    for (size_t i = 0; i < count; i++) out[i] = (uint8_t)v[i];
}

#define EP_DECLARE_QS8_LINEAR(fn)                                                             \
    void fn(const void* packed, size_t row_begin, size_t row_end, size_t batch, const void* x, \
            size_t ldx, void* y, size_t ldy, const ep_qs8_output_params* params)

extern const ep_qs8_linear_format ep_qs8_linear_format_dense;
extern const ep_qs8_linear_format ep_qs8_linear_format_bsr4x4;
extern const ep_qs8_linear_format ep_qs8_linear_format_bsr8x4;

EP_DECLARE_QS8_LINEAR(ep_qs8_linear_dense_minmax_ukernel_4x16__scalar);
EP_DECLARE_QS8_LINEAR(ep_qs8_linear_bsr4x4_minmax_ukernel_4x4__scalar);
EP_DECLARE_QS8_LINEAR(ep_qs8_linear_bsr8x4_minmax_ukernel_8x4__scalar);
#if EP_ARCH_X86_64
EP_DECLARE_QS8_LINEAR(ep_qs8_linear_dense_minmax_ukernel_4x16__sse41);
EP_DECLARE_QS8_LINEAR(ep_qs8_linear_dense_minmax_ukernel_4x16__avx2);
EP_DECLARE_QS8_LINEAR(ep_qs8_linear_bsr4x4_minmax_ukernel_4x4__sse41);
EP_DECLARE_QS8_LINEAR(ep_qs8_linear_bsr4x4_minmax_ukernel_4x4__avx2);
EP_DECLARE_QS8_LINEAR(ep_qs8_linear_bsr8x4_minmax_ukernel_8x4__sse41);
EP_DECLARE_QS8_LINEAR(ep_qs8_linear_bsr8x4_minmax_ukernel_8x4__avx2);
#endif
#if EP_ARCH_ARM64
EP_DECLARE_QS8_LINEAR(ep_qs8_linear_dense_minmax_ukernel_4x16__neon);
EP_DECLARE_QS8_LINEAR(ep_qs8_linear_dense_minmax_ukernel_4x16__neondot);
EP_DECLARE_QS8_LINEAR(ep_qs8_linear_bsr4x4_minmax_ukernel_4x4__neon);
EP_DECLARE_QS8_LINEAR(ep_qs8_linear_bsr4x4_minmax_ukernel_4x4__neondot);
EP_DECLARE_QS8_LINEAR(ep_qs8_linear_bsr8x4_minmax_ukernel_8x4__neon);
EP_DECLARE_QS8_LINEAR(ep_qs8_linear_bsr8x4_minmax_ukernel_8x4__neondot);
#endif

#endif
