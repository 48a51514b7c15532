// f32 bsr: block-sparse format specifics (validation of corrupt blobs, shapes a block pattern does
// not divide, 16-bit index limits), plus the dense format's header checks.
#include "test_support.h"

#include <stdint.h>

static const ep_f32_linear_format* find_format(const char* name, const ep_f32_linear_kernel** ks,
                                               size_t nk) {
    for (size_t i = 0; i < nk; i++)
        if (strcmp(ks[i]->format->name, name) == 0) return ks[i]->format;
    return NULL;
}

static void* blob_copy(const void* src, size_t size) {
    void* p = NULL;
    if (posix_memalign(&p, 64, size ? size : 64) != 0) exit(2);
    memcpy(p, src, size);
    return p;
}

// Applies `patch` (bytes at offset) to a copy of blob and expects validate to fail with `msg`.
static void expect_reject(const ep_f32_linear_format* f, const unsigned char* blob, size_t size,
                          size_t rows, size_t cols, size_t offset, const void* patch, size_t n,
                          const char* msg) {
    unsigned char* b = blob_copy(blob, size);
    memcpy(b + offset, patch, n);
    const char* what = NULL;
    size_t where = 0;
    const int rc = f->validate(b, size, rows, cols, &what, &where);
    check(rc != 0 && what != NULL && strcmp(what, msg) == 0, "%s: corrupt blob (offset %zu) gave %d '%s', want '%s'",
          f->name, offset, rc, what ? what : "(none)", msg);
    free(b);
}

static uint32_t u32_at(const unsigned char* b, size_t off) {
    uint32_t v;
    memcpy(&v, b + off, 4);
    return v;
}

static void test_corrupt_bsr(const ep_f32_linear_format* f) {
    // At least three block rows (bsr32x1 too), the last one partial.
    const size_t rows = f->block_rows * 3 > 37 ? f->block_rows * 3 + 5 : 37, cols = 30;
    float* w = xmalloc(sizeof(float) * rows * cols);
    fill(w, rows * cols);
    // Zero half of the blocks so rows have different block counts.
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++)
            if (((r / f->block_rows) * 7 + (c / f->block_cols) * 3) % 5 < 2) w[r * cols + c] = 0.0f;
    const size_t size = f->packed_size(rows, cols, w, cols, 1);
    check(size > 0, "%s: packed_size 0", f->name);
    if (size == 0) {
        free(w);
        return;
    }
    unsigned char* blob = NULL;
    if (posix_memalign((void**)&blob, 64, size) != 0) exit(2);
    check(f->pack(rows, cols, w, cols, 1, blob) == 0, "%s: pack failed", f->name);
    const char* what = NULL;
    size_t where = 0;
    check(f->validate(blob, size, rows, cols, &what, &where) == 0, "%s: own blob rejected: %s", f->name, what ? what : "?");
    const uint32_t blocks = u32_at(blob, 32), nbr = u32_at(blob, 24);
    const uint32_t rp = u32_at(blob, 36), ci = u32_at(blob, 40);
    check(blocks > 2 && nbr > 2, "%s: test matrix too sparse (%u blocks)", f->name, blocks);
    const uint32_t bad = 0xDEADBEEFu, one = 1, zero = 0, big = blocks + 5, blocks_m1 = blocks - 1;
    const uint16_t idx_bad = 0xFFFF;
    expect_reject(f, blob, size, rows, cols, 0, &bad, 4, "not a block-sparse Linear blob (bad magic)");
    expect_reject(f, blob, size, rows, cols, 4, &bad, 4, "unsupported bsr blob version");
    expect_reject(f, blob, size, rows, cols, 8, &bad, 4, "bsr block shape differs from the format");
    expect_reject(f, blob, size, rows, cols, 16, &one, 4, "bsr blob row count differs from the layer");
    expect_reject(f, blob, size, rows, cols, 20, &one, 4, "bsr blob column count differs from the layer");
    expect_reject(f, blob, size, rows, cols, 24, &one, 4, "bsr block grid inconsistent with rows and cols");
    expect_reject(f, blob, size, rows, cols, 32, &blocks_m1, 4, "bsr section offsets inconsistent with the block count");
    expect_reject(f, blob, size, rows, cols, 32, &bad, 4, "bsr block count or shape out of range");
    expect_reject(f, blob, size, rows, cols, 44, &zero, 4, "bsr section offsets inconsistent with the block count");
    expect_reject(f, blob, size, rows, cols, 48, &one, 4, "bsr section offsets inconsistent with the block count");
    expect_reject(f, blob, size, rows, cols, rp, &one, 4, "bsr row_ptr[0] is not 0");
    expect_reject(f, blob, size, rows, cols, rp + 4, &big, 4, "bsr row_ptr past the block count");
    // row_ptr[2] = 0 < row_ptr[1] (block row 0 holds blocks): decreasing.
    if (u32_at(blob, rp + 4) > 0) expect_reject(f, blob, size, rows, cols, rp + 8, &zero, 4, "bsr row_ptr decreases");
    expect_reject(f, blob, size, rows, cols, rp + 4 * nbr, &blocks_m1, 4, "bsr row_ptr end differs from the block count");
    expect_reject(f, blob, size, rows, cols, ci, &idx_bad, 2, "bsr block column index out of range");
    // A block row with two blocks: make the second index equal to the first.
    for (uint32_t br = 0; br < nbr; br++) {
        const uint32_t b0 = u32_at(blob, rp + 4 * br), b1 = u32_at(blob, rp + 4 * br + 4);
        if (b1 - b0 >= 2) {
            uint16_t first;
            memcpy(&first, blob + ci + 2 * b0, 2);
            expect_reject(f, blob, size, rows, cols, ci + 2 * (b0 + 1), &first, 2,
                          "bsr block column indices not increasing in a block row");
            break;
        }
    }
    check(f->validate(blob, size + 4, rows, cols, &what, &where) != 0 && strcmp(what, "bsr blob size does not match its header") == 0,
          "%s: a blob with trailing bytes accepted", f->name);
    check(f->validate(blob, 10, rows, cols, &what, &where) != 0 && strcmp(what, "bsr blob smaller than its header") == 0,
          "%s: a 10-byte blob accepted", f->name);
    free(blob);
    free(w);
}

// Every kernel of format f on a rows x cols matrix of f's block pattern against a double product;
// x rows are exactly cols long (ldx = cols), so the last block column must not be over-read.
static void check_shape(const ep_f32_linear_format* f, const ep_f32_linear_kernel** ks, size_t nk,
                        size_t rows, size_t cols, size_t batch) {
    float* w = xmalloc(sizeof(float) * rows * cols);
    float* x = xmalloc(sizeof(float) * batch * cols);
    float* y = xmalloc(sizeof(float) * batch * rows);
    fill(w, rows * cols);
    fill(x, batch * cols);
    for (size_t r0 = 0; f->block_rows > 0 && r0 < rows; r0 += f->block_rows)
        for (size_t c0 = 0; c0 < cols; c0 += f->block_cols)
            if (rnd() % 2)
                for (size_t r = r0; r < r0 + f->block_rows && r < rows; r++)
                    for (size_t c = c0; c < c0 + f->block_cols && c < cols; c++) w[r * cols + c] = 0.0f;
    const size_t size = f->packed_size(rows, cols, w, cols, 1);
    check(size > 0, "%s: packed_size 0 for %zux%zu", f->name, rows, cols);
    if (size > 0) {
        void* blob = NULL;
        if (posix_memalign(&blob, 64, size) != 0) exit(2);
        f->pack(rows, cols, w, cols, 1, blob);
        const ep_f32_minmax_params p = {-INFINITY, INFINITY};
        for (size_t i = 0; i < nk; i++) {
            if (ks[i]->format != f) continue;
            ks[i]->run(blob, 0, rows, batch, x, cols, y, rows, NULL, &p);
            int ok = 1;
            for (size_t b = 0; b < batch; b++)
                for (size_t n = 0; n < rows; n++) {
                    double want = 0;
                    for (size_t c = 0; c < cols; c++) want += (double)w[n * cols + c] * x[b * cols + c];
                    ok &= close_enough(y[b * rows + n], want, cols);
                }
            check(ok, "%s on %zux%zu batch %zu (block pattern does not divide the shape)", ks[i]->name, rows, cols, batch);
        }
        free(blob);
    }
    free(w); free(x); free(y);
}

static void test_dense_header(const ep_f32_linear_format* f) {
    const size_t rows = 19, cols = 7;
    float w[19 * 7];
    fill(w, rows * cols);
    const size_t size = f->packed_size(rows, cols, w, cols, 1);
    unsigned char* blob = NULL;
    if (posix_memalign((void**)&blob, 64, size) != 0) exit(2);
    f->pack(rows, cols, w, cols, 1, blob);
    const uint32_t bad = 0xDEADBEEFu, one = 1;
    expect_reject(f, blob, size, rows, cols, 0, &bad, 4, "not a dense Linear blob (bad magic)");
    expect_reject(f, blob, size, rows, cols, 4, &bad, 4, "unsupported dense blob version");
    expect_reject(f, blob, size, rows, cols, 16, &one, 4, "unsupported dense panel width");
    expect_reject(f, blob, size, rows, cols, 20, &bad, 4, "dense panel count inconsistent with rows");
    const char* what = NULL;
    size_t where = 0;
    check(f->validate(blob, size - 4, rows, cols, &what, &where) != 0 && strcmp(what, "dense blob size does not match rows x cols") == 0,
          "dense: a short blob accepted");
    free(blob);
}

void test_f32_bsr(void) {
    const ep_f32_linear_kernel* ks[64];
    size_t nk = ep_f32_linear_list_kernels(ks, 64);
    if (nk > 64) nk = 64;
    static const char* names[] = {"bsr1x4", "bsr4x1", "bsr8x1", "bsr16x1", "bsr32x1"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const ep_f32_linear_format* f = find_format(names[i], ks, nk);
        check(f != NULL, "format %s not listed", names[i]);
        if (f == NULL) continue;
        test_corrupt_bsr(f);
        // Shapes the block does not divide (cols % 4 for 1x4, rows % R for Rx1), batches 1..9.
        for (int it = 0; it < 20; it++) check_shape(f, ks, nk, rnd_range(1, 40), rnd_range(1, 70), rnd_range(1, 9));
        check_shape(f, ks, nk, 3, 7, 1);
        check_shape(f, ks, nk, 17, 1, 2);
        // Batch 1 rows of every length around the 4- and 8-block steps of the batch-1 AVX2
        // routine (0 .. 19 blocks per block row), and two block rows plus a partial one.
        for (size_t c = 1; c <= 40; c += 3) check_shape(f, ks, nk, 2 * f->block_rows + 3, c, 1);
        check_shape(f, ks, nk, 70, 200, 1);
        // 16-bit block-column indices: one block column too many is refused, not truncated.
        const float dummy = 1.0f;
        check(f->packed_size(1, 65536 * f->block_cols + 1, &dummy, 0, 0) == 0,
              "%s: packed_size accepts %zu columns", f->name, 65536 * f->block_cols + 1);
        check(f->packed_size(0, 8, &dummy, 0, 0) == 0, "%s: packed_size accepts 0 rows", f->name);
    }
    const ep_f32_linear_format* d = find_format("dense", ks, nk);
    check(d != NULL, "format dense not listed");
    if (d != NULL) {
        test_dense_header(d);
        for (int it = 0; it < 10; it++) check_shape(d, ks, nk, rnd_range(1, 150), rnd_range(1, 70), rnd_range(1, 9));
    }
}
