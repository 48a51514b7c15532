// f32 nm: N:M format specifics: patterns that do not fit are refused, partial last groups, and
// corrupt blobs rejected by validate with the right message. (Every kernel is tested against a
// double-precision product by the generic harness in test_f32_linear.c.)
#include "test_support.h"

#include <stdint.h>

static const ep_f32_linear_format* find_format(const char* name) {
    const ep_f32_linear_kernel* ks[64];
    const size_t nk = ep_f32_linear_list_kernels(ks, 64);
    for (size_t i = 0; i < nk && i < 64; i++)
        if (strcmp(ks[i]->format->name, name) == 0) return ks[i]->format;
    return NULL;
}

// Header (f32-spmm-nm/ukernels.h): magic 0, version 4, rows 8, cols 12, n 16, m 20, groups 24,
// panels 28, off_meta 32, off_val 40, size 48.
static void expect_reject(const ep_f32_linear_format* f, const unsigned char* good, size_t size,
                          size_t rows, size_t cols, size_t at, const void* bytes, size_t n,
                          const char* message) {
    unsigned char* bad = NULL;
    if (posix_memalign((void**)&bad, 64, size) != 0) exit(2);
    memcpy(bad, good, size);
    memcpy(bad + at, bytes, n);
    const char* what = NULL;
    size_t where = 0;
    const int rc = f->validate(bad, size, rows, cols, &what, &where);
    check(rc != 0 && what != NULL && strcmp(what, message) == 0,
          "%s: corrupt blob (byte %zu) gave '%s', want '%s'", f->name, at, rc ? what : "accepted", message);
    free(bad);
}

static void test_format(const char* name, size_t n, size_t m) {
    const ep_f32_linear_format* f = find_format(name);
    check(f != NULL, "format %s is not listed", name);
    if (f == NULL) return;
    check(f->nm_n == n && f->nm_m == m && f->block_rows == 1 && f->block_cols == 1 && f->row_group == 8,
          "%s: descriptor fields", name);
    // 9 rows (a padded second panel) x (2m + 1) columns (a partial last group of width 1).
    const size_t rows = 9, cols = 2 * m + 1;
    float w[9 * 17];
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) {
            const size_t in_group = c % m;
            // Row r keeps n columns of each group (fewer in some rows: stored zeros).
            w[r * cols + c] = (in_group + r) % m < n && (r % 3 != 0 || in_group != 0) ? (float)(r * cols + c + 1) : 0.0f;
        }
    const size_t size = f->packed_size(rows, cols, w, cols, 1);
    check(size > 0, "%s: packed_size 0 for a fitting pattern", name);
    if (size == 0) return;
    unsigned char* blob = NULL;
    if (posix_memalign((void**)&blob, 64, size) != 0) exit(2);
    check(f->pack(rows, cols, w, cols, 1, blob) == 0, "%s: pack failed", name);
    const char* what = NULL;
    size_t where = 0;
    check(f->validate(blob, size, rows, cols, &what, &where) == 0, "%s: own blob rejected: %s", name, what ? what : "?");
    size_t nnz = 0;
    for (size_t i = 0; i < rows * cols; i++) nnz += w[i] != 0.0f;
    // Stored value slots: n per group per real row (3 groups here), stored zeros included.
    check(f->stored(blob) == rows * 3 * n && nnz <= rows * 3 * n, "%s: stored %zu, want %zu (%zu non-zeros)", name,
          f->stored(blob), rows * 3 * n, nnz);
    // Every kernel of the format gives the same numbers as a plain product here.
    const ep_f32_linear_kernel* ks[64];
    const size_t nk = ep_f32_linear_list_kernels(ks, 64);
    float x[17], y[9];
    for (size_t c = 0; c < cols; c++) x[c] = (float)c * 0.25f - 1.0f;
    for (size_t i = 0; i < nk && i < 64; i++) {
        if (ks[i]->format != f) continue;
        ks[i]->run(blob, 0, rows, 1, x, cols, y, rows, NULL, NULL);
        int ok = 1;
        for (size_t r = 0; r < rows; r++) {
            double want = 0.0;
            for (size_t c = 0; c < cols; c++) want += (double)w[r * cols + c] * x[c];
            ok &= close_enough(y[r], want, cols);
        }
        check(ok, "%s: wrong result on the 9 x %zu matrix", ks[i]->name, cols);
    }
    // Corruptions.
    uint64_t off_meta;
    memcpy(&off_meta, blob + 32, 8);
    const uint32_t zero = 0, other = (uint32_t)(n + 1), many = 99;
    expect_reject(f, blob, size, rows, cols, 0, &zero, 4, "not an N:M blob");
    expect_reject(f, blob, size, rows, cols, 16, &other, 4, "blob N:M differs from the format");
    expect_reject(f, blob, size, rows, cols, 8, &other, 4, "blob shape differs from the layer");
    expect_reject(f, blob, size, rows, cols, 24, &many, 4, "section offsets inconsistent");
    // The last group (index 2 of 3, width 1): any non-zero column index is past the last column.
    const unsigned bits = m == 4 ? 2 : 3;
    const size_t last_block = 0 * 3 + 2;
    const uint8_t index_one = 1;  // slot 0, row 0 -> column 1 of a 1-wide group
    expect_reject(f, blob, size, rows, cols, off_meta + last_block * n * bits, &index_one, 1,
                  "N:M index past the last column");
    check(f->validate(blob, size - 64, rows, cols, &what, &where) != 0 && strcmp(what, "blob size differs from its header") == 0,
          "%s: short blob accepted", name);
    free(blob);
    // A group holding n + 1 non-zeros does not fit; neither does a dense matrix.
    float dense[2 * 8];
    for (size_t i = 0; i < 2 * 8; i++) dense[i] = 0.0f;
    for (size_t c = 0; c <= n; c++) dense[8 + c] = 1.0f;
    check(f->packed_size(2, 8, dense, 8, 1) == 0, "%s: n + 1 non-zeros in a group accepted", name);
    check(f->pack(2, 8, dense, 8, 1, blob = malloc(4096)) == -1, "%s: pack of a non-fitting pattern succeeded", name);
    free(blob);
}

void test_f32_nm(void) {
    test_format("nm2:4", 2, 4);
    test_format("nm4:8", 4, 8);
}
