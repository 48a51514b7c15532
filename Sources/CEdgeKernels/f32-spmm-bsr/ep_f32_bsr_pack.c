// Block-sparse formats bsr1x4, bsr4x1, bsr8x1, bsr16x1, bsr32x1: packing W (zero blocks dropped)
// and validating blobs from files. The layout is described in ukernels.h.
#include "ukernels.h"

#include <string.h>

// Fills every header field for R x C blocks, rows x cols and `blocks` stored blocks.
// Returns 0, or -1 when the shape is out of range (zero dims, > 65536 block columns, > 4 GiB).
static int bsr_layout(size_t R, size_t C, size_t rows, size_t cols, uint64_t blocks,
                      ep_f32_bsr_header* h) {
    if (rows == 0 || cols == 0 || rows > UINT32_MAX || cols > UINT32_MAX) return -1;
    const uint64_t nbr = (rows + R - 1) / R, ncb = (cols + C - 1) / C;
    if (ncb > EP_F32_BSR_MAX_BLOCK_COLS || blocks > nbr * ncb) return -1;
    const uint64_t row_ptr_offset = EP_F32_BSR_HEADER;
    const uint64_t col_idx_offset = row_ptr_offset + 4 * (nbr + 1);
    const uint64_t values_offset = (col_idx_offset + 2 * blocks + 63) & ~(uint64_t)63;
    const uint64_t size = values_offset + blocks * R * C * sizeof(float);
    if (size > UINT32_MAX) return -1;
    memset(h, 0, sizeof *h);
    h->magic = EP_F32_BSR_MAGIC;
    h->version = EP_F32_BSR_VERSION;
    h->block_rows = (uint32_t)R;
    h->block_cols = (uint32_t)C;
    h->rows = (uint32_t)rows;
    h->cols = (uint32_t)cols;
    h->block_row_count = (uint32_t)nbr;
    h->block_col_count = (uint32_t)ncb;
    h->blocks = (uint32_t)blocks;
    h->row_ptr_offset = (uint32_t)row_ptr_offset;
    h->col_idx_offset = (uint32_t)col_idx_offset;
    h->values_offset = (uint32_t)values_offset;
    h->size = (uint32_t)size;
    return 0;
}

static int block_nonzero(size_t R, size_t C, size_t rows, size_t cols, const float* w, size_t rs,
                         size_t cs, size_t r0, size_t c0) {
    for (size_t r = r0; r < r0 + R && r < rows; r++)
        for (size_t c = c0; c < c0 + C && c < cols; c++)
            if (w[r * rs + c * cs] != 0.0f) return 1;
    return 0;
}

static size_t bsr_packed_size(size_t R, size_t C, size_t rows, size_t cols, const float* w,
                              size_t rs, size_t cs) {
    if (rows == 0 || cols == 0) return 0;
    uint64_t blocks = 0;
    if ((cols + C - 1) / C <= EP_F32_BSR_MAX_BLOCK_COLS)
        for (size_t r0 = 0; r0 < rows; r0 += R)
            for (size_t c0 = 0; c0 < cols; c0 += C) blocks += block_nonzero(R, C, rows, cols, w, rs, cs, r0, c0);
    ep_f32_bsr_header h;
    return bsr_layout(R, C, rows, cols, blocks, &h) == 0 ? h.size : 0;
}

static int bsr_pack(size_t R, size_t C, size_t rows, size_t cols, const float* w, size_t rs,
                    size_t cs, void* dst) {
    const size_t size = bsr_packed_size(R, C, rows, cols, w, rs, cs);
    if (size == 0) return -1;
    uint64_t blocks = 0;
    for (size_t r0 = 0; r0 < rows; r0 += R)
        for (size_t c0 = 0; c0 < cols; c0 += C) blocks += block_nonzero(R, C, rows, cols, w, rs, cs, r0, c0);
    ep_f32_bsr_header h;
    if (bsr_layout(R, C, rows, cols, blocks, &h) != 0) return -1;
    unsigned char* base = dst;
    memset(base, 0, h.size);
    memcpy(base, &h, sizeof h);
    uint32_t* row_ptr = (uint32_t*)(base + h.row_ptr_offset);
    uint16_t* col_idx = (uint16_t*)(base + h.col_idx_offset);
    float* values = (float*)(base + h.values_offset);
    uint32_t j = 0;
    row_ptr[0] = 0;
    for (size_t br = 0; br < h.block_row_count; br++) {
        const size_t r0 = br * R;
        for (size_t bc = 0; bc < h.block_col_count; bc++) {
            const size_t c0 = bc * C;
            if (!block_nonzero(R, C, rows, cols, w, rs, cs, r0, c0)) continue;
            col_idx[j] = (uint16_t)bc;
            float* v = values + (size_t)j * R * C;
            for (size_t r = 0; r < R; r++)
                for (size_t c = 0; c < C; c++)
                    v[r * C + c] = r0 + r < rows && c0 + c < cols ? w[(r0 + r) * rs + (c0 + c) * cs] : 0.0f;
            j++;
        }
        row_ptr[br + 1] = j;
    }
    return 0;
}

static int fail(const char** what, size_t* where, const char* msg, size_t at) {
    *what = msg;
    *where = at;
    return 1;
}

static int bsr_validate(size_t R, size_t C, const void* packed, size_t size, size_t rows,
                        size_t cols, const char** what, size_t* where) {
    *where = 0;
    if (packed == NULL || size < sizeof(ep_f32_bsr_header))
        return fail(what, where, "bsr blob smaller than its header", size);
    ep_f32_bsr_header h, want;
    memcpy(&h, packed, sizeof h);
    if (((uintptr_t)packed & 3) != 0) return fail(what, where, "bsr blob not 4-byte aligned", 0);
    if (h.magic != EP_F32_BSR_MAGIC) return fail(what, where, "not a block-sparse Linear blob (bad magic)", 0);
    if (h.version != EP_F32_BSR_VERSION) return fail(what, where, "unsupported bsr blob version", 4);
    if (h.block_rows != R || h.block_cols != C)
        return fail(what, where, "bsr block shape differs from the format", 8);
    if (h.rows != rows) return fail(what, where, "bsr blob row count differs from the layer", 16);
    if (h.cols != cols) return fail(what, where, "bsr blob column count differs from the layer", 20);
    if (bsr_layout(R, C, rows, cols, h.blocks, &want) != 0)
        return fail(what, where, "bsr block count or shape out of range", 32);
    if (h.block_row_count != want.block_row_count || h.block_col_count != want.block_col_count)
        return fail(what, where, "bsr block grid inconsistent with rows and cols", 24);
    if (h.row_ptr_offset != want.row_ptr_offset || h.col_idx_offset != want.col_idx_offset ||
        h.values_offset != want.values_offset || h.size != want.size)
        return fail(what, where, "bsr section offsets inconsistent with the block count", 36);
    if (size != h.size) return fail(what, where, "bsr blob size does not match its header", size);
    const uint32_t* row_ptr = ep_f32_bsr_row_ptr((const ep_f32_bsr_header*)packed);
    const uint16_t* col_idx = ep_f32_bsr_col_idx((const ep_f32_bsr_header*)packed);
    if (row_ptr[0] != 0) return fail(what, where, "bsr row_ptr[0] is not 0", 0);
    for (size_t br = 0; br < h.block_row_count; br++) {
        const uint32_t begin = row_ptr[br], end = row_ptr[br + 1];
        if (end < begin) return fail(what, where, "bsr row_ptr decreases", br + 1);
        if (end > h.blocks) return fail(what, where, "bsr row_ptr past the block count", br + 1);
        for (uint32_t j = begin; j < end; j++) {
            if (col_idx[j] >= h.block_col_count)
                return fail(what, where, "bsr block column index out of range", j);
            if (j > begin && col_idx[j] <= col_idx[j - 1])
                return fail(what, where, "bsr block column indices not increasing in a block row", j);
        }
    }
    if (row_ptr[h.block_row_count] != h.blocks)
        return fail(what, where, "bsr row_ptr end differs from the block count", h.block_row_count);
    return 0;
}

static size_t bsr_stored(const void* packed) {
    ep_f32_bsr_header h;
    memcpy(&h, packed, sizeof h);
    return (size_t)h.blocks * h.block_rows * h.block_cols;
}

#define EP_BSR_FORMAT(R, C)                                                                       \
    static size_t bsr##R##x##C##_packed_size(size_t rows, size_t cols, const float* w, size_t rs,  \
                                             size_t cs) {                                         \
        return bsr_packed_size(R, C, rows, cols, w, rs, cs);                                      \
    }                                                                                             \
    static int bsr##R##x##C##_pack(size_t rows, size_t cols, const float* w, size_t rs,            \
                                   size_t cs, void* dst) {                                        \
        return bsr_pack(R, C, rows, cols, w, rs, cs, dst);                                        \
    }                                                                                             \
    static int bsr##R##x##C##_validate(const void* packed, size_t size, size_t rows, size_t cols,  \
                                       const char** what, size_t* where) {                        \
        return bsr_validate(R, C, packed, size, rows, cols, what, where);                         \
    }                                                                                             \
    const ep_f32_linear_format ep_f32_linear_bsr##R##x##C##_format = {                            \
        "bsr" #R "x" #C, R, C, 0, 0, R, bsr##R##x##C##_packed_size, bsr##R##x##C##_pack,           \
        bsr##R##x##C##_validate, bsr_stored};

EP_BSR_FORMAT(1, 4)
EP_BSR_FORMAT(4, 1)
EP_BSR_FORMAT(8, 1)
EP_BSR_FORMAT(16, 1)
EP_BSR_FORMAT(32, 1)
