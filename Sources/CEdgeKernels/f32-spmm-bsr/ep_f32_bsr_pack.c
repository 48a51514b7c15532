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

// |w| as bits: non-zero exactly when w != 0.0f (-0 is zero, NaN is not).
static inline uint32_t magnitude_bits(const float* p) {
    uint32_t u;
    memcpy(&u, p, sizeof u);
    return u & 0x7fffffffu;
}

enum { BSR_MASK_TILE = 256 };  // block columns per mask tile (a 1 KiB stack array)

// For the block row starting at input row r0 and block columns bc0 .. bc0+nb-1 (nb <=
// BSR_MASK_TILE): m[b] != 0 exactly when block column bc0+b holds a non-zero. Every element is
// read once, in memory order for row-major (cs == 1) and column-major (rs == 1) weights, without
// branches, so the loops vectorise; the old per-block early-exit test mispredicted on pruned
// weights and walked row-major blocks column by column.
static inline __attribute__((always_inline)) void block_masks(size_t R, size_t C, size_t rows,
                                                              size_t cols, const float* w, size_t rs,
                                                              size_t cs, size_t r0, size_t bc0,
                                                              size_t nb, uint32_t* m) {
    const size_t r1 = rows - r0 < R ? rows : r0 + R;
    const size_t c0 = bc0 * C;
    const size_t c1 = cols - c0 < nb * C ? cols : c0 + nb * C;
    for (size_t b = 0; b < nb; b++) m[b] = 0;
    if (cs == 1) {
        for (size_t r = r0; r < r1; r++) {
            const float* row = w + r * rs + c0;
            if (C == 1) {
                for (size_t c = 0; c < c1 - c0; c++) m[c] |= magnitude_bits(row + c);
            } else {
                for (size_t c = 0; c < c1 - c0; c++) m[c / C] |= magnitude_bits(row + c);
            }
        }
    } else if (rs == 1) {
        for (size_t c = c0; c < c1; c++) {
            const float* col = w + c * cs;
            uint32_t any = 0;
            for (size_t r = r0; r < r1; r++) any |= magnitude_bits(col + r);
            m[(c - c0) / C] |= any;
        }
    } else {
        for (size_t r = r0; r < r1; r++)
            for (size_t c = c0; c < c1; c++) m[(c - c0) / C] |= magnitude_bits(w + r * rs + c * cs);
    }
}

// Stored (non-zero) blocks of W.
static inline __attribute__((always_inline)) uint64_t count_blocks(size_t R, size_t C, size_t rows,
                                                                   size_t cols, const float* w,
                                                                   size_t rs, size_t cs) {
    const size_t ncb = (cols + C - 1) / C;
    uint32_t m[BSR_MASK_TILE];
    uint64_t blocks = 0;
    for (size_t r0 = 0; r0 < rows; r0 += R) {
        for (size_t bc0 = 0; bc0 < ncb; bc0 += BSR_MASK_TILE) {
            const size_t nb = ncb - bc0 < BSR_MASK_TILE ? ncb - bc0 : BSR_MASK_TILE;
            block_masks(R, C, rows, cols, w, rs, cs, r0, bc0, nb, m);
            for (size_t b = 0; b < nb; b++) blocks += m[b] != 0;
        }
    }
    return blocks;
}

static inline __attribute__((always_inline)) size_t bsr_packed_size(size_t R, size_t C, size_t rows,
                                                                    size_t cols, const float* w,
                                                                    size_t rs, size_t cs) {
    if (rows == 0 || cols == 0) return 0;
    ep_f32_bsr_header h;
    if (bsr_layout(R, C, rows, cols, 0, &h) != 0) return 0;  // shape out of range
    return bsr_layout(R, C, rows, cols, count_blocks(R, C, rows, cols, w, rs, cs), &h) == 0 ? h.size : 0;
}

// Two passes: the first writes row_ptr and col_idx (their offsets do not depend on the block
// count), the second copies the stored blocks' values behind them. Every byte of the blob is
// written exactly once (header, sections, the zero gap before the values, block padding), so the
// destination need not be cleared first; the bytes equal those of the earlier
// clear-then-scan-per-block packer.
static inline __attribute__((always_inline)) int bsr_pack(size_t R, size_t C, size_t rows, size_t cols,
                                                          const float* w, size_t rs, size_t cs,
                                                          void* dst) {
    ep_f32_bsr_header h;
    if (rows == 0 || cols == 0 || bsr_layout(R, C, rows, cols, 0, &h) != 0) return -1;
    const size_t nbr = h.block_row_count, ncb = h.block_col_count;
    ep_f32_bsr_header most;
    if (bsr_layout(R, C, rows, cols, (uint64_t)nbr * ncb, &most) != 0 &&
        bsr_layout(R, C, rows, cols, count_blocks(R, C, rows, cols, w, rs, cs), &most) != 0)
        return -1;  // only huge weights get here: the blob would pass 4 GiB
    unsigned char* base = dst;
    uint32_t* row_ptr = (uint32_t*)(base + h.row_ptr_offset);
    uint16_t* col_idx = (uint16_t*)(base + h.col_idx_offset);
    uint32_t m[BSR_MASK_TILE];
    uint32_t j = 0;
    row_ptr[0] = 0;
    for (size_t br = 0; br < nbr; br++) {
        for (size_t bc0 = 0; bc0 < ncb; bc0 += BSR_MASK_TILE) {
            const size_t nb = ncb - bc0 < BSR_MASK_TILE ? ncb - bc0 : BSR_MASK_TILE;
            block_masks(R, C, rows, cols, w, rs, cs, br * R, bc0, nb, m);
            // Compact the stored block columns in place (branch-free: k <= b, so the unused
            // writes land on entries already read).
            size_t k = 0;
            for (size_t b = 0; b < nb; b++) {
                const uint32_t keep = m[b] != 0;
                m[k] = (uint32_t)(bc0 + b);
                k += keep;
            }
            for (size_t b = 0; b < k; b++) col_idx[j + b] = (uint16_t)m[b];
            j += (uint32_t)k;
        }
        row_ptr[br + 1] = j;
    }
    if (bsr_layout(R, C, rows, cols, j, &h) != 0) return -1;
    memcpy(base, &h, sizeof h);
    const size_t idx_end = h.col_idx_offset + 2 * (size_t)j;
    memset(base + idx_end, 0, h.values_offset - idx_end);
    float* values = (float*)(base + h.values_offset);
    float* v = values;
    for (size_t br = 0; br < nbr; br++) {
        const size_t r0 = br * R;
        const int full_rows = rows - r0 >= R;
        if (cs == 1 && full_rows) {
            // Row-major W: copy row by row, 64 blocks at a time. Walking a block's R rows for
            // each block instead reads R lines one row stride apart (4 KiB for 1024 inputs), which
            // share an L1 set and evict each other for R > 8.
            enum { GROUP = 64 };
            const uint32_t b0 = row_ptr[br], b1 = row_ptr[br + 1];
            for (uint32_t g = b0; g < b1; g += GROUP) {
                const uint32_t g1 = b1 - g < GROUP ? b1 : g + GROUP;
                for (size_t r = 0; r < R; r++) {
                    const float* row = w + (r0 + r) * rs;
                    for (uint32_t b = g; b < g1; b++) {
                        const size_t c0 = (size_t)col_idx[b] * C;
                        float* vb = values + (size_t)b * R * C + r * C;
                        if (cols - c0 >= C) {
                            for (size_t c = 0; c < C; c++) vb[c] = row[c0 + c];
                        } else {
                            for (size_t c = 0; c < C; c++) vb[c] = c0 + c < cols ? row[c0 + c] : 0.0f;
                        }
                    }
                }
            }
            v = values + (size_t)b1 * R * C;
            continue;
        }
        for (uint32_t b = row_ptr[br]; b < row_ptr[br + 1]; b++, v += R * C) {
            const size_t c0 = (size_t)col_idx[b] * C;
            const float* src = w + r0 * rs + c0 * cs;
            if (full_rows && cols - c0 >= C) {
                for (size_t r = 0; r < R; r++)
                    for (size_t c = 0; c < C; c++) v[r * C + c] = src[r * rs + c * cs];
            } else {
                for (size_t r = 0; r < R; r++)
                    for (size_t c = 0; c < C; c++)
                        v[r * C + c] = r0 + r < rows && c0 + c < cols ? src[r * rs + c * cs] : 0.0f;
            }
        }
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
