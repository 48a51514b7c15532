// Weight packers: the single-pass packers must produce exactly the bytes of the earlier,
// straightforward packers (kept below, renamed, as the reference), because blobs are stored in
// .epm files. Random matrices of every sparsity (with -0 and NaN), block-structured zeros,
// row-major, column-major, padded and fully strided layouts, shapes crossing the packers' tiles;
// the destination is pre-filled with garbage, so a byte the new packer fails to write shows.
#include "test_support.h"

#include <stdint.h>

#include "../../Sources/CEdgeKernels/f32-spmm-bsr/ukernels.h"
#include "../../Sources/CEdgeKernels/f32-spmm-csr/ukernels.h"

// ---- Reference: the packers as they were before the single-pass rewrite ----

// Fills every header field for R x C blocks, rows x cols and `blocks` stored blocks.
// Returns 0, or -1 when the shape is out of range (zero dims, > 65536 block columns, > 4 GiB).
static int old_bsr_layout(size_t R, size_t C, size_t rows, size_t cols, uint64_t blocks,
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

static int old_block_nonzero(size_t R, size_t C, size_t rows, size_t cols, const float* w, size_t rs,
                         size_t cs, size_t r0, size_t c0) {
    for (size_t r = r0; r < r0 + R && r < rows; r++)
        for (size_t c = c0; c < c0 + C && c < cols; c++)
            if (w[r * rs + c * cs] != 0.0f) return 1;
    return 0;
}

static size_t old_bsr_packed_size(size_t R, size_t C, size_t rows, size_t cols, const float* w,
                              size_t rs, size_t cs) {
    if (rows == 0 || cols == 0) return 0;
    uint64_t blocks = 0;
    if ((cols + C - 1) / C <= EP_F32_BSR_MAX_BLOCK_COLS)
        for (size_t r0 = 0; r0 < rows; r0 += R)
            for (size_t c0 = 0; c0 < cols; c0 += C) blocks += old_block_nonzero(R, C, rows, cols, w, rs, cs, r0, c0);
    ep_f32_bsr_header h;
    return old_bsr_layout(R, C, rows, cols, blocks, &h) == 0 ? h.size : 0;
}

static int old_bsr_pack(size_t R, size_t C, size_t rows, size_t cols, const float* w, size_t rs,
                    size_t cs, void* dst) {
    const size_t size = old_bsr_packed_size(R, C, rows, cols, w, rs, cs);
    if (size == 0) return -1;
    uint64_t blocks = 0;
    for (size_t r0 = 0; r0 < rows; r0 += R)
        for (size_t c0 = 0; c0 < cols; c0 += C) blocks += old_block_nonzero(R, C, rows, cols, w, rs, cs, r0, c0);
    ep_f32_bsr_header h;
    if (old_bsr_layout(R, C, rows, cols, blocks, &h) != 0) return -1;
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
            if (!old_block_nonzero(R, C, rows, cols, w, rs, cs, r0, c0)) continue;
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


static size_t old_align64(size_t n) { return (n + 63) & ~(size_t)63; }

static size_t old_count_nonzeros(size_t rows, size_t cols, const float* w, size_t rs, size_t cs) {
    size_t nnz = 0;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) nnz += w[r * rs + c * cs] != 0.0f;
    return nnz;
}

// Layout of a blob; returns 0 when the shape is out of range (the offsets must fit the header).
static size_t old_csr_layout(size_t rows, size_t cols, size_t nnz, ep_f32_sparse_header* h) {
    if (rows == 0 || cols == 0 || cols > 65536 || rows > 0x7fffffffu || nnz > 0x7fffffffu) return 0;
    memset(h, 0, sizeof *h);
    h->magic = EP_CSR_MAGIC;
    h->version = 1;
    h->rows = rows;
    h->cols = cols;
    h->nnz = nnz;
    h->off_val = sizeof *h;
    h->off_ptr = old_align64(h->off_val + 4 * nnz);
    h->off_idx = old_align64(h->off_ptr + 4 * (rows + 1));
    h->size = old_align64(h->off_idx + 2 * nnz);
    return (size_t)h->size;
}

static size_t old_csc_layout(size_t rows, size_t cols, size_t nnz, ep_f32_sparse_header* h) {
    if (rows == 0 || cols == 0 || rows > 0x7fffffffu || cols > 0x7fffffu || nnz > 0x7fffffffu) return 0;
    const size_t panels = (rows + EP_CSC_PANEL - 1) / EP_CSC_PANEL;
    memset(h, 0, sizeof *h);
    h->magic = EP_CSC_MAGIC;
    h->version = 1;
    h->rows = rows;
    h->cols = cols;
    h->nnz = nnz;
    h->off_val = sizeof *h;
    h->off_ptr = old_align64(h->off_val + 4 * nnz);
    h->off_idx = old_align64(h->off_ptr + 4 * panels * (cols + 1));
    h->size = old_align64(h->off_idx + nnz);
    return (size_t)h->size;
}

static size_t old_csr_packed_size(size_t rows, size_t cols, const float* w, size_t rs, size_t cs) {
    ep_f32_sparse_header h;
    return old_csr_layout(rows, cols, old_count_nonzeros(rows, cols, w, rs, cs), &h);
}

static size_t old_csc_packed_size(size_t rows, size_t cols, const float* w, size_t rs, size_t cs) {
    ep_f32_sparse_header h;
    return old_csc_layout(rows, cols, old_count_nonzeros(rows, cols, w, rs, cs), &h);
}

static int old_csr_pack(size_t rows, size_t cols, const float* w, size_t rs, size_t cs, void* dst) {
    ep_f32_sparse_header h;
    const size_t size = old_csr_layout(rows, cols, old_count_nonzeros(rows, cols, w, rs, cs), &h);
    if (size == 0) return -1;
    unsigned char* blob = dst;
    memset(blob, 0, size);
    memcpy(blob, &h, sizeof h);
    float* val = (float*)(blob + h.off_val);
    uint32_t* ptr = (uint32_t*)(blob + h.off_ptr);
    uint16_t* idx = (uint16_t*)(blob + h.off_idx);
    uint32_t j = 0;
    ptr[0] = 0;
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < cols; c++) {
            const float v = w[r * rs + c * cs];
            if (v == 0.0f) continue;
            val[j] = v;
            idx[j] = (uint16_t)c;
            j++;
        }
        ptr[r + 1] = j;
    }
    return 0;
}

static int old_csc_pack(size_t rows, size_t cols, const float* w, size_t rs, size_t cs, void* dst) {
    ep_f32_sparse_header h;
    const size_t size = old_csc_layout(rows, cols, old_count_nonzeros(rows, cols, w, rs, cs), &h);
    if (size == 0) return -1;
    unsigned char* blob = dst;
    memset(blob, 0, size);
    memcpy(blob, &h, sizeof h);
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


static void old_gemm_pack_b(size_t k, size_t n, size_t nr, const float* b, size_t rs, size_t cs,
                        float* packed) {
    for (size_t n0 = 0; n0 < n; n0 += nr) {
        const size_t cols = n - n0 < nr ? n - n0 : nr;
        const float* src = b + n0 * cs;
        if (cs == 1) {
            // Row-major B: each packed row is a contiguous slice of a B row.
            if (cols == nr && nr % 8 == 0) {
                // Full panel of a multiple of 8 columns (the common case): inline 8-float moves,
                // no per-row memcpy call.
                for (size_t p = 0; p < k; p++) {
                    const float* s = src + p * rs;
                    for (size_t j = 0; j < nr; j += 8) ep_copy8(packed + j, s + j);
                    packed += nr;
                }
            } else {
                for (size_t p = 0; p < k; p++) {
                    memcpy(packed, src + p * rs, cols * sizeof(float));
                    for (size_t j = cols; j < nr; j++) packed[j] = 0.0f;
                    packed += nr;
                }
            }
        } else {
            // General / transposed B (e.g. weights W[n, k] with rs = 1, cs = K): walk each source
            // column contiguously in k and scatter into the panel.
            for (size_t j = 0; j < cols; j++) {
                const float* col = src + j * cs;
                for (size_t p = 0; p < k; p++) packed[p * nr + j] = col[p * rs];
            }
            for (size_t p = 0; p < k; p++) {
                for (size_t j = cols; j < nr; j++) packed[p * nr + j] = 0.0f;
            }
            packed += k * nr;
        }
    }
}

// ---- Tests ----

typedef struct {
    const char* name;
    size_t (*old_size)(size_t, size_t, const float*, size_t, size_t);
    int (*old_pack)(size_t, size_t, const float*, size_t, size_t, void*);
} pack_reference;

#define OLD_BSR(R, C)                                                                            \
    static size_t old_bsr##R##x##C##_size(size_t r, size_t c, const float* w, size_t rs, size_t cs) { \
        return old_bsr_packed_size(R, C, r, c, w, rs, cs);                                       \
    }                                                                                            \
    static int old_bsr##R##x##C##_pack(size_t r, size_t c, const float* w, size_t rs, size_t cs,  \
                                       void* d) {                                                \
        return old_bsr_pack(R, C, r, c, w, rs, cs, d);                                           \
    }
OLD_BSR(1, 4)
OLD_BSR(4, 1)
OLD_BSR(8, 1)
OLD_BSR(16, 1)
OLD_BSR(32, 1)

static const pack_reference k_references[] = {
    {"bsr1x4", old_bsr1x4_size, old_bsr1x4_pack},
    {"bsr4x1", old_bsr4x1_size, old_bsr4x1_pack},
    {"bsr8x1", old_bsr8x1_size, old_bsr8x1_pack},
    {"bsr16x1", old_bsr16x1_size, old_bsr16x1_pack},
    {"bsr32x1", old_bsr32x1_size, old_bsr32x1_pack},
    {"csr", old_csr_packed_size, old_csr_pack},
    {"csc", old_csc_packed_size, old_csc_pack},
};

static const ep_f32_linear_format* format_named(const char* name) {
    const ep_f32_linear_kernel* ks[256];
    const size_t n = ep_f32_linear_list_kernels(ks, 256);
    for (size_t i = 0; i < n; i++)
        if (strcmp(ks[i]->format->name, name) == 0) return ks[i]->format;
    return NULL;
}

static void* aligned(size_t bytes) {
    void* p = NULL;
    if (posix_memalign(&p, 64, bytes ? bytes : 64) != 0) exit(2);
    return p;
}

// Random W (rows x cols) in `storage` at the given strides: a fraction `zeros` of exact zeros
// (some -0), a few NaN, and, when `blocky`, whole 4x4 tiles zeroed so block formats drop blocks.
static void random_weights(float* storage, size_t span, size_t rows, size_t cols, size_t rs, size_t cs,
                           double zeros, int blocky) {
    for (size_t i = 0; i < span; i++) storage[i] = kSentinel;  // outside W: never packed
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < cols; c++) {
            const double u = (double)(rnd() % 1000000) / 1e6;
            float v = rnd_float();
            if (v == 0.0f) v = 0.5f;
            if (u < zeros) v = rnd() % 4 == 0 ? -0.0f : 0.0f;
            else if (rnd() % 997 == 0) v = NAN;
            if (blocky && ((r / 4) * 7 + (c / 4) * 3) % 5 < 3) v = 0.0f;
            storage[r * rs + c * cs] = v;
        }
    }
}

static void test_linear_packers(void) {
    static const double kZeros[] = {0.0, 0.3, 0.5, 0.7, 0.9, 0.99, 1.0};
    for (size_t trial = 0; trial < 240; trial++) {
        const int big = trial % 12 == 0;
        const size_t rows = big ? rnd_range(200, 700) : rnd_range(1, 90);
        const size_t cols = big ? rnd_range(900, 1300) : rnd_range(1, 90);
        const double zeros = kZeros[trial % 7];
        const int blocky = trial % 5 == 1;
        size_t rs, cs, span;
        switch (trial % 5) {
        case 0: rs = cols; cs = 1; break;              // row-major (Gemm transB=1)
        case 1: rs = 1; cs = rows; break;              // column-major (MatMul)
        case 2: rs = cols + 3; cs = 1; break;          // padded rows
        case 3: rs = 1; cs = rows + 5; break;          // padded columns
        default: rs = 2 * cols + 1; cs = 2; break;     // strided both ways
        }
        span = (rows - 1) * rs + (cols - 1) * cs + 1;
        float* w = xmalloc(span * sizeof(float));
        random_weights(w, span, rows, cols, rs, cs, zeros, blocky);
        for (size_t f = 0; f < sizeof k_references / sizeof k_references[0]; f++) {
            const pack_reference* ref = &k_references[f];
            const ep_f32_linear_format* fmt = format_named(ref->name);
            if (fmt == NULL) { check(0, "pack: format %s not listed", ref->name); continue; }
            const size_t want_size = ref->old_size(rows, cols, w, rs, cs);
            const size_t got_size = fmt->packed_size(rows, cols, w, rs, cs);
            check(got_size == want_size, "pack %s %zux%zu rs=%zu cs=%zu zeros=%.2f: size %zu, reference %zu",
                  ref->name, rows, cols, rs, cs, zeros, got_size, want_size);
            if (got_size != want_size || want_size == 0) continue;
            unsigned char* want = aligned(want_size);
            unsigned char* got = aligned(want_size);
            memset(want, 0, want_size);
            memset(got, 0xA5, want_size);  // garbage: every byte must be written
            const int want_rc = ref->old_pack(rows, cols, w, rs, cs, want);
            const int got_rc = fmt->pack(rows, cols, w, rs, cs, got);
            size_t first = want_size;
            for (size_t i = 0; i < want_size; i++)
                if (want[i] != got[i]) { first = i; break; }
            check(got_rc == want_rc && first == want_size,
                  "pack %s %zux%zu rs=%zu cs=%zu zeros=%.2f blocky=%d: rc %d (reference %d), first differing byte %zu of %zu",
                  ref->name, rows, cols, rs, cs, zeros, blocky, got_rc, want_rc, first, want_size);
            if (got_rc == 0) {
                const char* what = NULL;
                size_t where = 0;
                check(fmt->validate(got, got_size, rows, cols, &what, &where) == 0,
                      "pack %s %zux%zu: packed blob rejected: %s", ref->name, rows, cols, what ? what : "?");
            }
            free(want);
            free(got);
        }
        free(w);
    }
}

static void test_gemm_pack_b(void) {
    for (size_t trial = 0; trial < 120; trial++) {
        const int big = trial % 10 == 0;
        const size_t k = big ? rnd_range(100, 600) : rnd_range(1, 150);
        const size_t n = big ? rnd_range(100, 300) : rnd_range(1, 70);
        const size_t nr = trial % 3 == 0 ? 8 : 16;
        size_t rs, cs;
        switch (trial % 4) {
        case 0: rs = n; cs = 1; break;          // row-major B
        case 1: rs = 1; cs = k; break;          // transposed B (W[n, k])
        case 2: rs = 1; cs = k + 7; break;      // transposed, padded
        default: rs = 2 * n + 3; cs = 2; break; // strided
        }
        const size_t span = (k - 1) * rs + (n - 1) * cs + 1;
        float* b = xmalloc(span * sizeof(float));
        fill(b, span);
        const size_t count = ep_f32_gemm_packed_b_size(k, n, nr);
        float* want = xmalloc(count * sizeof(float));
        float* got = xmalloc(count * sizeof(float));
        memset(want, 0, count * sizeof(float));
        memset(got, 0xA5, count * sizeof(float));
        old_gemm_pack_b(k, n, nr, b, rs, cs, want);
        ep_f32_gemm_pack_b(k, n, nr, b, rs, cs, got);
        check(memcmp(want, got, count * sizeof(float)) == 0, "gemm pack_b k=%zu n=%zu nr=%zu rs=%zu cs=%zu differs from the reference",
              k, n, nr, rs, cs);
        free(b);
        free(want);
        free(got);
    }
}

void test_f32_pack(void) {
    test_linear_packers();
    test_gemm_pack_b();
}
