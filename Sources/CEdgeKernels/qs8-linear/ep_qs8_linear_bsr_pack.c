// The block-sparse int8 Linear formats: block rows of R x 4 blocks (R output rows x 4 input
// columns), a block stored when any of its weights is non-zero, so any zero pattern fits (blocks
// keep their inner zeros); u32 block pointers per block row, u16 block-column indices ascending.
//   "bsr4x4": 16 bytes per block, row-major (4 rows x 4 columns): one SDOT / two PMADDWD per
//             block and input vector.
//   "bsr8x4": 32 bytes per block as two 16-byte halves, columns (k0, k1) and (k2, k3), each
//             holding the 8 rows' weight pairs in row order: sign-extended to int16 a half is
//             8 rows x 2 columns, so one PMADDWD against the broadcast input pair gives the 8
//             rows' partial sums in 8 int32 lanes (no horizontal reduction anywhere). The ARM
//             dot-product kernel regroups the halves into 4 rows x 4 columns with one 16-bit zip.
#include "ukernels.h"

static int block_nonzero(int kind, size_t rows, size_t cols, const int8_t* w, size_t rs, size_t cs,
                         size_t g, size_t bc) {
    const size_t br = ep_qs8_group_rows(kind);
    for (size_t r = 0; r < br; r++) {
        const size_t n = br * g + r;
        if (n >= rows) break;
        for (size_t j = 0; j < 4; j++) {
            const size_t k = 4 * bc + j;
            if (k < cols && w[n * rs + k * cs] != 0) return 1;
        }
    }
    return 0;
}

static size_t count_blocks(int kind, size_t rows, size_t cols, const int8_t* w, size_t rs, size_t cs) {
    const size_t br = ep_qs8_group_rows(kind);
    size_t blocks = 0;
    for (size_t g = 0; g < (rows + br - 1) / br; g++) {
        for (size_t bc = 0; bc < (cols + 3) / 4; bc++) blocks += block_nonzero(kind, rows, cols, w, rs, cs, g, bc);
    }
    return blocks;
}

// Byte of weight (row r, column j) within a block.
static size_t block_offset(int kind, size_t r, size_t j) {
    return kind == EP_QS8_KIND_BSR8X4 ? 16 * (j / 2) + 2 * r + (j % 2) : 4 * r + j;
}

static size_t packed_size(int kind, size_t rows, size_t cols, const int8_t* w, size_t rs, size_t cs) {
    if (!ep_qs8_shape_ok(rows, cols)) return 0;
    const size_t blocks = count_blocks(kind, rows, cols, w, rs, cs);
    if (blocks > UINT32_MAX) return 0;
    return ep_qs8_layout_of(kind, rows, cols, blocks).total;
}

static int pack(int kind, size_t rows, size_t cols, const int8_t* w, size_t rs, size_t cs,
                const int32_t* bias, const float* multiplier, int32_t x_zero_point, int x_unsigned,
                void* dst) {
    if (!ep_qs8_shape_ok(rows, cols)) return -1;
    const size_t blocks = count_blocks(kind, rows, cols, w, rs, cs);
    if (blocks > UINT32_MAX) return -1;
    if (ep_qs8_pack_common(kind, rows, cols, w, rs, cs, bias, multiplier, x_zero_point, x_unsigned,
                           blocks, dst) != 0)
        return -1;
    const size_t br = ep_qs8_group_rows(kind), block_bytes = 4 * br;
    const ep_qs8_layout l = ep_qs8_layout_of(kind, rows, cols, blocks);
    uint32_t* ptr = (uint32_t*)((char*)dst + l.ptr);
    uint16_t* idx = (uint16_t*)((char*)dst + l.idx);
    int8_t* values = (int8_t*)dst + l.values;
    memset((char*)dst + l.idx + 2 * blocks, 0, l.values - (l.idx + 2 * blocks));
    size_t count = 0;
    ptr[0] = 0;
    for (size_t g = 0; g < l.groups; g++) {
        for (size_t bc = 0; bc < (cols + 3) / 4; bc++) {
            if (!block_nonzero(kind, rows, cols, w, rs, cs, g, bc)) continue;
            idx[count] = (uint16_t)bc;
            int8_t* v = values + block_bytes * count;
            for (size_t r = 0; r < br; r++) {
                const size_t n = br * g + r;
                for (size_t j = 0; j < 4; j++) {
                    const size_t k = 4 * bc + j;
                    v[block_offset(kind, r, j)] = n < rows && k < cols ? w[n * rs + k * cs] : 0;
                }
            }
            count++;
        }
        ptr[g + 1] = (uint32_t)count;
    }
    return 0;
}

#define FAIL(message, index) \
    do {                     \
        *what = (message);   \
        *where = (index);    \
        return 1;            \
    } while (0)

static int validate(int kind, const void* packed, size_t size, size_t rows, size_t cols,
                    const char** what, size_t* where) {
    size_t blocks;
    if (ep_qs8_validate_common(kind, packed, size, rows, cols, what, where, &blocks) != 0) return 1;
    const ep_qs8_layout l = ep_qs8_layout_of(kind, rows, cols, blocks);
    const uint32_t* ptr = EP_QS8_AT(uint32_t, packed, l.ptr);
    const uint16_t* idx = EP_QS8_AT(uint16_t, packed, l.idx);
    const size_t block_cols = (cols + 3) / 4;
    if (ptr[0] != 0) FAIL("block pointer 0 not zero", 0);
    for (size_t g = 0; g < l.groups; g++) {
        if (ptr[g + 1] < ptr[g]) FAIL("block pointers decrease", g + 1);
        if (ptr[g + 1] > blocks) FAIL("block pointer past the block count", g + 1);
        for (size_t j = ptr[g]; j < ptr[g + 1]; j++) {
            if (idx[j] >= block_cols) FAIL("block column out of range", j);
            if (j > ptr[g] && idx[j] <= idx[j - 1]) FAIL("block columns not ascending", j);
        }
    }
    if (ptr[l.groups] != blocks) FAIL("last block pointer differs from the block count", l.groups);
    return 0;
}

// Weights a blob stores: 4 x R per block (R from the magic, which validate() has checked).
static size_t stored(const void* packed) {
    ep_qs8_linear_header h;
    memcpy(&h, packed, sizeof h);
    return (size_t)h.blocks * 4 * (h.magic == EP_QS8_MAGIC_BSR8X4 ? 8 : 4);
}

#define EP_QS8_BSR_FORMAT(NAME, KIND, ROWS)                                                        \
    static size_t NAME##_packed_size(size_t rows, size_t cols, const int8_t* w, size_t rs,         \
                                     size_t cs) {                                                   \
        return packed_size(KIND, rows, cols, w, rs, cs);                                           \
    }                                                                                              \
    static int NAME##_pack(size_t rows, size_t cols, const int8_t* w, size_t rs, size_t cs,        \
                           const int32_t* bias, const float* multiplier, int32_t x_zero_point,     \
                           int x_unsigned, void* dst) {                                            \
        return pack(KIND, rows, cols, w, rs, cs, bias, multiplier, x_zero_point, x_unsigned, dst); \
    }                                                                                              \
    static int NAME##_validate(const void* packed, size_t size, size_t rows, size_t cols,          \
                               const char** what, size_t* where) {                                 \
        return validate(KIND, packed, size, rows, cols, what, where);                              \
    }                                                                                              \
    const ep_qs8_linear_format ep_qs8_linear_format_##NAME = {                                     \
        #NAME, ROWS, 4, ROWS, NAME##_packed_size, NAME##_pack, NAME##_validate, stored};

EP_QS8_BSR_FORMAT(bsr4x4, EP_QS8_KIND_BSR4X4, 4)
EP_QS8_BSR_FORMAT(bsr8x4, EP_QS8_KIND_BSR8X4, 8)
