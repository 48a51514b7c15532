// The "csr" and "csc" f32 Linear formats: size, pack, validate, stored (layout in ukernels.h).
#include <string.h>

#include "ukernels.h"

static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

// |w| as bits: non-zero exactly when w != 0.0f (-0 is zero, NaN is not).
static inline uint32_t magnitude_bits(const float* p) {
    uint32_t u;
    memcpy(&u, p, sizeof u);
    return u & 0x7fffffffu;
}

// 1 when *p != 0.0f, without a branch: (m + 0x7fffffff) has bit 31 set exactly when m != 0.
static inline uint32_t is_nonzero(const float* p) { return (magnitude_bits(p) + 0x7fffffffu) >> 31; }

// Non-zeros of W, read in memory order (row- or column-major W as one flat run), branch-free so
// the loop vectorises: a compare-and-branch per element mispredicts on pruned weights.
static size_t count_nonzeros(size_t rows, size_t cols, const float* w, size_t rs, size_t cs) {
    size_t outer = rows, inner = cols, os = rs, is = cs;
    if (rs == 1 && cs != 1) { outer = cols; inner = rows; os = cs; is = rs; }
    if (is == 1 && os == inner) { inner *= outer; outer = 1; }
    size_t nnz = 0;
    for (size_t o = 0; o < outer; o++) {
        const float* p = w + o * os;
        uint32_t n = 0;  // per run: at most 2^32 - 1 elements in a flat run is checked below
        if (is == 1 && inner < 0xffffffffu) {
            for (size_t i = 0; i < inner; i++) n += is_nonzero(p + i);
            nnz += n;
        } else {
            for (size_t i = 0; i < inner; i++) nnz += is_nonzero(p + i * is);
        }
    }
    return nnz;
}

// Layout of a blob; returns 0 when the shape is out of range (the offsets must fit the header).
static size_t csr_layout(size_t rows, size_t cols, size_t nnz, ep_f32_sparse_header* h) {
    if (rows == 0 || cols == 0 || cols > 65536 || rows > 0x7fffffffu || nnz > 0x7fffffffu) return 0;
    memset(h, 0, sizeof *h);
    h->magic = EP_CSR_MAGIC;
    h->version = 1;
    h->rows = rows;
    h->cols = cols;
    h->nnz = nnz;
    h->off_val = sizeof *h;
    h->off_ptr = align64(h->off_val + 4 * nnz);
    h->off_idx = align64(h->off_ptr + 4 * (rows + 1));
    h->size = align64(h->off_idx + 2 * nnz);
    return (size_t)h->size;
}

static size_t csc_layout(size_t rows, size_t cols, size_t nnz, ep_f32_sparse_header* h) {
    if (rows == 0 || cols == 0 || rows > 0x7fffffffu || cols > 0x7fffffu || nnz > 0x7fffffffu) return 0;
    const size_t panels = (rows + EP_CSC_PANEL - 1) / EP_CSC_PANEL;
    memset(h, 0, sizeof *h);
    h->magic = EP_CSC_MAGIC;
    h->version = 1;
    h->rows = rows;
    h->cols = cols;
    h->nnz = nnz;
    h->off_val = sizeof *h;
    h->off_ptr = align64(h->off_val + 4 * nnz);
    h->off_idx = align64(h->off_ptr + 4 * panels * (cols + 1));
    h->size = align64(h->off_idx + nnz);
    return (size_t)h->size;
}

static size_t csr_packed_size(size_t rows, size_t cols, const float* w, size_t rs, size_t cs) {
    ep_f32_sparse_header h;
    return csr_layout(rows, cols, count_nonzeros(rows, cols, w, rs, cs), &h);
}

static size_t csc_packed_size(size_t rows, size_t cols, const float* w, size_t rs, size_t cs) {
    ep_f32_sparse_header h;
    return csc_layout(rows, cols, count_nonzeros(rows, cols, w, rs, cs), &h);
}

// Zeroes the padding between the sections and after the last one (the blob is written once, not
// cleared first: the bytes equal those of a clear-then-fill packer).
static void zero_gaps(unsigned char* blob, const ep_f32_sparse_header* h, size_t val_bytes,
                      size_t ptr_bytes, size_t idx_bytes) {
    memset(blob + h->off_val + val_bytes, 0, h->off_ptr - (h->off_val + val_bytes));
    memset(blob + h->off_ptr + ptr_bytes, 0, h->off_idx - (h->off_ptr + ptr_bytes));
    memset(blob + h->off_idx + idx_bytes, 0, h->size - (h->off_idx + idx_bytes));
}

static int csr_pack(size_t rows, size_t cols, const float* w, size_t rs, size_t cs, void* dst) {
    ep_f32_sparse_header h;
    const size_t nnz = count_nonzeros(rows, cols, w, rs, cs);
    const size_t size = csr_layout(rows, cols, nnz, &h);
    if (size == 0) return -1;
    unsigned char* blob = dst;
    memcpy(blob, &h, sizeof h);
    zero_gaps(blob, &h, 4 * nnz, 4 * (rows + 1), 2 * nnz);
    float* val = (float*)(blob + h.off_val);
    uint32_t* ptr = (uint32_t*)(blob + h.off_ptr);
    uint16_t* idx = (uint16_t*)(blob + h.off_idx);
    size_t j = 0;
    if (cs == 1) {
        // Row-major W: every element is written at the next free slot and the slot advances
        // only past non-zeros (no branch to mispredict). A row is done this way only while a
        // whole row of slots remains below nnz, so the extra writes stay inside the sections.
        for (size_t r = 0; r < rows; r++) {
            const float* row = w + r * rs;
            if (nnz - j >= cols) {
                for (size_t c = 0; c < cols; c++) {
                    val[j] = row[c];
                    idx[j] = (uint16_t)c;
                    j += is_nonzero(row + c);
                }
            } else {
                for (size_t c = 0; c < cols; c++) {
                    if (magnitude_bits(row + c) == 0) continue;
                    val[j] = row[c];
                    idx[j] = (uint16_t)c;
                    j++;
                }
            }
            ptr[r + 1] = (uint32_t)j;
        }
    } else if (rs == 1 && rows > 1) {
        // Column-major W (a row is strided): count each row's non-zeros reading columns
        // contiguously, then fill 64 rows at a time column by column, so the reads are runs of
        // 64 floats and the writes stay in 128 streams (a row-by-row walk touches a new cache
        // line per element).
        for (size_t r = 0; r <= rows; r++) ptr[r] = 0;
        for (size_t c = 0; c < cols; c++) {
            const float* col = w + c * cs;
            for (size_t r = 0; r < rows; r++) ptr[r + 1] += is_nonzero(col + r);
        }
        for (size_t r = 0; r < rows; r++) ptr[r + 1] += ptr[r];
        enum { ROWS = 64 };
        uint32_t next[ROWS];
        for (size_t r0 = 0; r0 < rows; r0 += ROWS) {
            const size_t n = rows - r0 < ROWS ? rows - r0 : ROWS;
            for (size_t i = 0; i < n; i++) next[i] = ptr[r0 + i];
            for (size_t c = 0; c < cols; c++) {
                const float* col = w + c * cs + r0;
                for (size_t i = 0; i < n; i++) {
                    if (magnitude_bits(col + i) == 0) continue;
                    val[next[i]] = col[i];
                    idx[next[i]] = (uint16_t)c;
                    next[i]++;
                }
            }
        }
    } else {
        for (size_t r = 0; r < rows; r++) {
            for (size_t c = 0; c < cols; c++) {
                const float* p = w + r * rs + c * cs;
                if (magnitude_bits(p) == 0) continue;
                val[j] = *p;
                idx[j] = (uint16_t)c;
                j++;
            }
            ptr[r + 1] = (uint32_t)j;
        }
    }
    ptr[0] = 0;
    return 0;
}

static int csc_pack(size_t rows, size_t cols, const float* w, size_t rs, size_t cs, void* dst) {
    ep_f32_sparse_header h;
    const size_t size = csc_layout(rows, cols, count_nonzeros(rows, cols, w, rs, cs), &h);
    if (size == 0) return -1;
    unsigned char* blob = dst;
    memcpy(blob, &h, sizeof h);
    zero_gaps(blob, &h, 4 * h.nnz, 4 * ((rows + EP_CSC_PANEL - 1) / EP_CSC_PANEL) * (cols + 1), h.nnz);
    float* val = (float*)(blob + h.off_val);
    uint32_t* ptr = (uint32_t*)(blob + h.off_ptr);
    uint8_t* idx = blob + h.off_idx;
    uint32_t j = 0;
    for (size_t r0 = 0, p = 0; r0 < rows; r0 += EP_CSC_PANEL, p++) {
        const size_t r1 = rows - r0 < EP_CSC_PANEL ? rows : r0 + EP_CSC_PANEL;
        uint32_t* cp = ptr + p * (cols + 1);
        cp[0] = j;
        for (size_t c = 0; c < cols; c++) {
            for (size_t r = r0; r < r1; r++) {
                const float v = w[r * rs + c * cs];
                if (v == 0.0f) continue;
                val[j] = v;
                idx[j] = (uint8_t)(r - r0);
                j++;
            }
            cp[c + 1] = j;
        }
    }
    return 0;
}

static int fail(const char** what, size_t* where, const char* message, size_t at) {
    *what = message;
    *where = at;
    return 1;
}

// Checks the header against the expected shape and layout; fills *h.
static int check_header(const void* packed, size_t size, size_t rows, size_t cols, uint32_t magic,
                        ep_f32_sparse_header* h, const char** what, size_t* where) {
    if (packed == NULL || size < sizeof *h) return fail(what, where, "blob smaller than its header", size);
    memcpy(h, packed, sizeof *h);
    if (h->magic != magic || h->version != 1) return fail(what, where, "not a blob of this format", 0);
    if (h->rows != rows || h->cols != cols) return fail(what, where, "blob shape differs from the layer", 0);
    ep_f32_sparse_header want;
    const size_t need = magic == EP_CSR_MAGIC ? csr_layout(rows, cols, (size_t)(h->nnz & 0xffffffffu), &want)
                                              : csc_layout(rows, cols, (size_t)(h->nnz & 0xffffffffu), &want);
    if (need == 0 || want.nnz != h->nnz) return fail(what, where, "non-zero count out of range", 0);
    if (h->off_ptr != want.off_ptr || h->off_idx != want.off_idx || h->off_val != want.off_val ||
        h->size != want.size)
        return fail(what, where, "section offsets inconsistent", 0);
    if (size != need) return fail(what, where, "blob size differs from its header", size);
    return 0;
}

static int csr_validate(const void* packed, size_t size, size_t rows, size_t cols, const char** what,
                        size_t* where) {
    ep_f32_sparse_header h;
    if (check_header(packed, size, rows, cols, EP_CSR_MAGIC, &h, what, where)) return 1;
    const unsigned char* blob = packed;
    const uint32_t* ptr = (const uint32_t*)(blob + h.off_ptr);
    const uint16_t* idx = (const uint16_t*)(blob + h.off_idx);
    if (ptr[0] != 0) return fail(what, where, "row pointer 0 is not 0", 0);
    for (size_t r = 0; r < rows; r++)
        if (ptr[r + 1] < ptr[r]) return fail(what, where, "row pointers decrease", r + 1);
    if (ptr[rows] != h.nnz) return fail(what, where, "last row pointer differs from the non-zero count", rows);
    for (size_t j = 0; j < h.nnz; j++)
        if (idx[j] >= cols) return fail(what, where, "column index out of range", j);
    return 0;
}

static int csc_validate(const void* packed, size_t size, size_t rows, size_t cols, const char** what,
                        size_t* where) {
    ep_f32_sparse_header h;
    if (check_header(packed, size, rows, cols, EP_CSC_MAGIC, &h, what, where)) return 1;
    const unsigned char* blob = packed;
    const uint32_t* ptr = (const uint32_t*)(blob + h.off_ptr);
    const uint8_t* idx = blob + h.off_idx;
    const size_t panels = (rows + EP_CSC_PANEL - 1) / EP_CSC_PANEL;
    uint32_t prev = 0;
    for (size_t p = 0; p < panels; p++) {
        const uint32_t* cp = ptr + p * (cols + 1);
        const size_t height = rows - p * EP_CSC_PANEL < EP_CSC_PANEL ? rows - p * EP_CSC_PANEL : EP_CSC_PANEL;
        if (cp[0] != prev) return fail(what, where, "column pointers do not continue the previous panel", p * (cols + 1));
        for (size_t c = 0; c < cols; c++) {
            if (cp[c + 1] < cp[c]) return fail(what, where, "column pointers decrease", p * (cols + 1) + c + 1);
            if (cp[c + 1] > h.nnz) return fail(what, where, "column pointer past the non-zero count", p * (cols + 1) + c + 1);
        }
        for (uint32_t j = cp[0]; j < cp[cols]; j++)
            if (idx[j] >= height) return fail(what, where, "row index out of range", j);
        prev = cp[cols];
    }
    if (prev != h.nnz) return fail(what, where, "last column pointer differs from the non-zero count", panels * (cols + 1) - 1);
    return 0;
}

static size_t stored(const void* packed) {
    ep_f32_sparse_header h;
    memcpy(&h, packed, sizeof h);
    return (size_t)h.nnz;
}

void ep_f32_linear_csr_unpack(const void* packed, float* w) {
    ep_f32_sparse_header h;
    memcpy(&h, packed, sizeof h);
    const unsigned char* base = (const unsigned char*)packed;
    const uint32_t* ptr = (const uint32_t*)(base + h.off_ptr);
    const uint16_t* idx = (const uint16_t*)(base + h.off_idx);
    const float* val = (const float*)(base + h.off_val);
    for (size_t i = 0; i < h.rows * h.cols; i++) w[i] = 0.0f;
    for (size_t n = 0; n < h.rows; n++)
        for (uint32_t j = ptr[n]; j < ptr[n + 1]; j++) w[n * h.cols + idx[j]] = val[j];
}

const ep_f32_linear_format ep_f32_linear_format_csr = {
    "csr", 1, 1, 0, 0, 1, csr_packed_size, csr_pack, csr_validate, stored};
const ep_f32_linear_format ep_f32_linear_format_csc = {
    "csc", 1, 1, 0, 0, EP_CSC_PANEL, csc_packed_size, csc_pack, csc_validate, stored};
