// The weight formats of the sparse-pixels family ("dense", "csr", "bsr4x1"): size, pack, validate
// and stored count of the blob described in ukernels.h.
#include "ukernels.h"

#include <string.h>

enum { EP_SPX_MAX_INDEXED_COLS = 65536 };

static inline float w_at(const float* w, size_t rs, size_t cs, size_t n, size_t k) {
    return w[n * rs + k * cs];
}

// Bytes of a blob with `values` floats, `groups` row groups (ptr array; 0 groups: no ptr array)
// and `count` uint16 indices; 0 when it would not fit 32-bit header fields.
static size_t blob_bytes(uint64_t values, uint64_t groups, int indexed, uint64_t count) {
    uint64_t bytes = EP_SPX_HEADER_BYTES + values * 4;
    if (indexed) bytes += (groups + 1) * 4 + count * 2;
    bytes = (bytes + 3) & ~(uint64_t)3;
    if (bytes > (uint64_t)SIZE_MAX) return 0;
    return (size_t)bytes;
}

static void write_header(void* dst, uint32_t format, size_t rows, size_t cols, size_t count,
                         uint32_t block_rows) {
    ep_spx_header h;
    memset(&h, 0, sizeof h);
    h.magic = EP_SPX_MAGIC;
    h.format = format;
    h.rows = (uint32_t)rows;
    h.cols = (uint32_t)cols;
    h.count = (uint32_t)count;
    h.block_rows = block_rows;
    memcpy(dst, &h, sizeof h);
}

static int shape_ok(size_t rows, size_t cols, int indexed) {
    if (rows > UINT32_MAX || cols > UINT32_MAX) return 0;
    if (indexed && cols > EP_SPX_MAX_INDEXED_COLS) return 0;
    return (uint64_t)rows * cols <= UINT32_MAX;
}

// Kept blocks (4 rows x 1 column, any non-zero) of W.
static size_t bsr4x1_blocks(size_t rows, size_t cols, const float* w, size_t rs, size_t cs) {
    size_t blocks = 0;
    for (size_t r0 = 0; r0 < rows; r0 += 4) {
        for (size_t k = 0; k < cols; k++) {
            int any = 0;
            for (size_t r = r0; r < r0 + 4 && r < rows; r++) any |= w_at(w, rs, cs, r, k) != 0.0f;
            blocks += any;
        }
    }
    return blocks;
}

// ---------------------------------------------------------------------------------------------
// Sizes and packing

static size_t dense_packed_size(size_t rows, size_t cols, const float* w, size_t rs, size_t cs) {
    (void)w; (void)rs; (void)cs;
    if (!shape_ok(rows, cols, 0)) return 0;
    return blob_bytes((uint64_t)(rows + 3) / 4 * 4 * cols, 0, 0, 0);
}

static int dense_pack(size_t rows, size_t cols, const float* w, size_t rs, size_t cs, void* dst) {
    const size_t size = dense_packed_size(rows, cols, w, rs, cs);
    if (size == 0) return -1;
    memset(dst, 0, size);
    write_header(dst, EP_SPX_FORMAT_DENSE, rows, cols, rows * cols, 4);
    float* v = (float*)((char*)dst + EP_SPX_HEADER_BYTES);
    for (size_t r0 = 0; r0 < rows; r0 += 4)
        for (size_t k = 0; k < cols; k++)
            for (size_t r = r0; r < r0 + 4; r++) *v++ = r < rows ? w_at(w, rs, cs, r, k) : 0.0f;
    return 0;
}

static size_t csr_packed_size(size_t rows, size_t cols, const float* w, size_t rs, size_t cs) {
    if (!shape_ok(rows, cols, 1)) return 0;
    size_t nnz = 0;
    for (size_t r = 0; r < rows; r++)
        for (size_t k = 0; k < cols; k++) nnz += w_at(w, rs, cs, r, k) != 0.0f;
    return blob_bytes(nnz, rows, 1, nnz);
}

static int csr_pack(size_t rows, size_t cols, const float* w, size_t rs, size_t cs, void* dst) {
    const size_t size = csr_packed_size(rows, cols, w, rs, cs);
    if (size == 0) return -1;
    memset(dst, 0, size);
    size_t nnz = 0;
    for (size_t r = 0; r < rows; r++)
        for (size_t k = 0; k < cols; k++) nnz += w_at(w, rs, cs, r, k) != 0.0f;
    write_header(dst, EP_SPX_FORMAT_CSR, rows, cols, nnz, 1);
    float* v = (float*)((char*)dst + EP_SPX_HEADER_BYTES);
    uint32_t* ptr = (uint32_t*)(v + nnz);
    uint16_t* idx = (uint16_t*)(ptr + rows + 1);
    uint32_t j = 0;
    ptr[0] = 0;
    for (size_t r = 0; r < rows; r++) {
        for (size_t k = 0; k < cols; k++) {
            const float value = w_at(w, rs, cs, r, k);
            if (value == 0.0f) continue;
            v[j] = value;
            idx[j] = (uint16_t)k;
            j++;
        }
        ptr[r + 1] = j;
    }
    return 0;
}

static size_t bsr4x1_packed_size(size_t rows, size_t cols, const float* w, size_t rs, size_t cs) {
    if (!shape_ok(rows, cols, 1)) return 0;
    const size_t blocks = bsr4x1_blocks(rows, cols, w, rs, cs);
    return blob_bytes((uint64_t)blocks * 4, (rows + 3) / 4, 1, blocks);
}

static int bsr4x1_pack(size_t rows, size_t cols, const float* w, size_t rs, size_t cs, void* dst) {
    const size_t size = bsr4x1_packed_size(rows, cols, w, rs, cs);
    if (size == 0) return -1;
    memset(dst, 0, size);
    const size_t blocks = bsr4x1_blocks(rows, cols, w, rs, cs);
    const size_t groups = (rows + 3) / 4;
    write_header(dst, EP_SPX_FORMAT_BSR4X1, rows, cols, blocks, 4);
    float* v = (float*)((char*)dst + EP_SPX_HEADER_BYTES);
    uint32_t* ptr = (uint32_t*)(v + blocks * 4);
    uint16_t* idx = (uint16_t*)(ptr + groups + 1);
    uint32_t j = 0;
    ptr[0] = 0;
    for (size_t g = 0; g < groups; g++) {
        const size_t r0 = g * 4;
        for (size_t k = 0; k < cols; k++) {
            int any = 0;
            for (size_t r = r0; r < r0 + 4 && r < rows; r++) any |= w_at(w, rs, cs, r, k) != 0.0f;
            if (!any) continue;
            for (size_t r = r0; r < r0 + 4; r++)
                v[(size_t)j * 4 + (r - r0)] = r < rows ? w_at(w, rs, cs, r, k) : 0.0f;
            idx[j] = (uint16_t)k;
            j++;
        }
        ptr[g + 1] = j;
    }
    return 0;
}

// ---------------------------------------------------------------------------------------------
// Validation

#define FAIL(message, at)   \
    do {                    \
        *what = (message);  \
        *where = (at);      \
        return 1;           \
    } while (0)

// Header checks shared by every format; on success *h holds a copy of the header.
static int check_header(const void* packed, size_t size, size_t rows, size_t cols, uint32_t format,
                        uint32_t block_rows, ep_spx_header* h, const char** what, size_t* where) {
    if (packed == NULL) FAIL("blob is NULL", 0);
    if (((uintptr_t)packed & 3) != 0) FAIL("blob is not 4-byte aligned", 0);
    if (size < EP_SPX_HEADER_BYTES) FAIL("blob is smaller than its header", size);
    memcpy(h, packed, sizeof *h);
    if (h->magic != EP_SPX_MAGIC) FAIL("bad magic", 0);
    if (h->format != format) FAIL("blob holds another format", h->format);
    if (h->block_rows != block_rows) FAIL("block rows do not match the format", h->block_rows);
    if (h->rows != rows) FAIL("row count does not match", h->rows);
    if (h->cols != cols) FAIL("column count does not match", h->cols);
    return 0;
}

static int dense_validate(const void* packed, size_t size, size_t rows, size_t cols,
                          const char** what, size_t* where) {
    ep_spx_header h;
    if (check_header(packed, size, rows, cols, EP_SPX_FORMAT_DENSE, 4, &h, what, where)) return 1;
    if ((uint64_t)h.rows * h.cols > UINT32_MAX) FAIL("shape too large", h.rows);
    if (h.count != h.rows * h.cols) FAIL("stored count is not rows x cols", h.count);
    if (size != blob_bytes((uint64_t)(h.rows + 3) / 4 * 4 * h.cols, 0, 0, 0))
        FAIL("blob size does not match its shape", size);
    return 0;
}

// Shared by csr (block_rows 1) and bsr4x1 (block_rows 4): counts, size, pointers and indices.
static int indexed_validate(const void* packed, size_t size, size_t rows, size_t cols,
                            uint32_t format, uint32_t block_rows, const char** what,
                            size_t* where) {
    ep_spx_header h;
    if (check_header(packed, size, rows, cols, format, block_rows, &h, what, where)) return 1;
    if (h.cols > EP_SPX_MAX_INDEXED_COLS) FAIL("more than 65536 columns", h.cols);
    const uint64_t groups = ((uint64_t)h.rows + block_rows - 1) / block_rows;
    if ((uint64_t)h.count > groups * h.cols) FAIL("stored count exceeds rows x cols", h.count);
    if (size != blob_bytes((uint64_t)h.count * block_rows, groups, 1, h.count))
        FAIL("blob size does not match its counts", size);
    const uint32_t* ptr = ep_spx_ptr(packed);
    const uint16_t* idx = ep_spx_idx(packed);
    if (ptr[0] != 0) FAIL("row pointer does not start at 0", 0);
    for (size_t g = 0; g < groups; g++) {
        if (ptr[g + 1] < ptr[g]) FAIL("row pointer decreases", g + 1);
        if (ptr[g + 1] > h.count) FAIL("row pointer past the stored count", g + 1);
    }
    if (ptr[groups] != h.count) FAIL("last row pointer is not the stored count", (size_t)groups);
    for (size_t j = 0; j < h.count; j++)
        if (idx[j] >= h.cols) FAIL("column index out of range", j);
    return 0;
}

static int csr_validate(const void* packed, size_t size, size_t rows, size_t cols,
                        const char** what, size_t* where) {
    return indexed_validate(packed, size, rows, cols, EP_SPX_FORMAT_CSR, 1, what, where);
}

static int bsr4x1_validate(const void* packed, size_t size, size_t rows, size_t cols,
                           const char** what, size_t* where) {
    return indexed_validate(packed, size, rows, cols, EP_SPX_FORMAT_BSR4X1, 4, what, where);
}

// ---------------------------------------------------------------------------------------------
// Stored weights

static size_t dense_stored(const void* packed) { return ep_spx_head(packed)->count; }
static size_t csr_stored(const void* packed) { return ep_spx_head(packed)->count; }

// Blocks hold 4 rows each, except the last row group's blocks, which hold only the real rows.
static size_t bsr4x1_stored(const void* packed) {
    const ep_spx_header* h = ep_spx_head(packed);
    const size_t groups = ((size_t)h->rows + 3) / 4;
    if (groups == 0) return 0;
    const uint32_t* ptr = ep_spx_ptr(packed);
    const size_t last_blocks = ptr[groups] - ptr[groups - 1];
    const size_t last_rows = h->rows - (groups - 1) * 4;
    return (size_t)h->count * 4 - last_blocks * (4 - last_rows);
}

const ep_f32_spmm_pixels_format ep_f32_spmm_pixels_format_dense = {
    "dense", 0, 0, dense_packed_size, dense_pack, dense_validate, dense_stored};
const ep_f32_spmm_pixels_format ep_f32_spmm_pixels_format_csr = {
    "csr", 1, 1, csr_packed_size, csr_pack, csr_validate, csr_stored};
const ep_f32_spmm_pixels_format ep_f32_spmm_pixels_format_bsr4x1 = {
    "bsr4x1", 4, 1, bsr4x1_packed_size, bsr4x1_pack, bsr4x1_validate, bsr4x1_stored};
