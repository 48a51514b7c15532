// "csr" and "csc" Linear format specifics: corrupt blobs are rejected by validate with the right
// message, and shapes out of range are refused. (Every kernel of both formats is tested against a
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

// Header field offsets (see f32-spmm-csr/ukernels.h): magic 0, version 4, rows 8, cols 16,
// nnz 24, off_ptr 32, off_idx 40, off_val 48, size 56.
static uint64_t field(const unsigned char* blob, size_t at) {
    uint64_t v;
    memcpy(&v, blob + at, 8);
    return v;
}

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

static void test_csr_blob(void) {
    const ep_f32_linear_format* f = find_format("csr");
    check(f != NULL, "format csr is not listed");
    if (f == NULL) return;
    // 3 x 5 with 6 non-zeros.
    const float w[15] = {1, 0, 2, 0, 0, 0, 0, 0, 0, 3, 4, 5, 0, 6, 0};
    const size_t size = f->packed_size(3, 5, w, 5, 1);
    unsigned char* blob = NULL;
    if (posix_memalign((void**)&blob, 64, size) != 0) exit(2);
    check(size > 0 && f->pack(3, 5, w, 5, 1, blob) == 0, "csr: pack failed");
    const char* what = NULL;
    size_t where = 0;
    check(f->validate(blob, size, 3, 5, &what, &where) == 0 && f->stored(blob) == 6, "csr: own blob rejected");
    const uint64_t off_ptr = field(blob, 32), off_idx = field(blob, 40);
    const uint32_t one = 1, big = 7, zero = 0;
    const uint16_t col5 = 5;
    const uint64_t huge = (uint64_t)1 << 40;
    expect_reject(f, blob, size, 3, 5, 0, &zero, 4, "not a blob of this format");
    expect_reject(f, blob, size, 3, 5, 8, &huge, 8, "blob shape differs from the layer");
    expect_reject(f, blob, size, 3, 5, 24, &huge, 8, "non-zero count out of range");
    expect_reject(f, blob, size, 3, 5, 32, &huge, 8, "section offsets inconsistent");
    expect_reject(f, blob, size, 3, 5, off_ptr, &one, 4, "row pointer 0 is not 0");
    expect_reject(f, blob, size, 3, 5, off_ptr + 8, &zero, 4, "row pointers decrease");
    expect_reject(f, blob, size, 3, 5, off_ptr + 12, &big, 4, "last row pointer differs from the non-zero count");
    expect_reject(f, blob, size, 3, 5, off_idx + 2 * 3, &col5, 2, "column index out of range");
    check(f->validate(blob, size + 64, 3, 5, &what, &where) != 0 && strcmp(what, "blob size differs from its header") == 0,
          "csr: a blob with trailing bytes accepted");
    check(f->validate(blob, 40, 3, 5, &what, &where) != 0 && strcmp(what, "blob smaller than its header") == 0,
          "csr: a blob shorter than its header accepted");
    free(blob);
    // 16-bit column indices cannot address more than 65536 columns.
    float* wide = calloc(70000, sizeof(float));
    if (wide == NULL) exit(2);
    wide[69999] = 1.0f;
    check(f->packed_size(1, 70000, wide, 70000, 1) == 0, "csr: 70000 columns accepted");
    free(wide);
}

static void test_csc_blob(void) {
    const ep_f32_linear_format* f = find_format("csc");
    check(f != NULL, "format csc is not listed");
    if (f == NULL) return;
    // 300 x 3 (two panels: 256 + 44 rows), a diagonal-ish pattern.
    const size_t rows = 300, cols = 3;
    float* w = calloc(rows * cols, sizeof(float));
    if (w == NULL) exit(2);
    for (size_t r = 0; r < rows; r++) w[r * cols + r % cols] = (float)(r + 1);
    const size_t size = f->packed_size(rows, cols, w, cols, 1);
    unsigned char* blob = NULL;
    if (posix_memalign((void**)&blob, 64, size) != 0) exit(2);
    check(size > 0 && f->pack(rows, cols, w, cols, 1, blob) == 0, "csc: pack failed");
    const char* what = NULL;
    size_t where = 0;
    check(f->validate(blob, size, rows, cols, &what, &where) == 0 && f->stored(blob) == rows, "csc: own blob rejected");
    const uint64_t off_ptr = field(blob, 32), off_idx = field(blob, 40);
    uint32_t p1c0;  // first column pointer of panel 1
    memcpy(&p1c0, blob + off_ptr + 4 * (cols + 1), 4);
    const uint32_t minus = p1c0 - 1, past = 1000;
    const uint8_t row44 = 44;
    expect_reject(f, blob, size, rows, cols, off_ptr + 4 * (cols + 1), &minus, 4,
                  "column pointers do not continue the previous panel");
    expect_reject(f, blob, size, rows, cols, off_ptr + 4, &p1c0, 4, "column pointers decrease");
    expect_reject(f, blob, size, rows, cols, off_ptr + 4 * cols, &past, 4, "column pointer past the non-zero count");
    // The last panel has 44 rows: a row index of 44 in it is out of range (and fine in panel 0).
    expect_reject(f, blob, size, rows, cols, off_idx + p1c0, &row44, 1, "row index out of range");
    uint8_t ok44 = 44;
    memcpy(blob + off_idx, &ok44, 1);
    check(f->validate(blob, size, rows, cols, &what, &where) == 0, "csc: row 44 of a full panel rejected");
    expect_reject(f, blob, size, rows, cols, 16, &past, 4, "blob shape differs from the layer");
    free(blob);
    free(w);
}

void test_f32_spmm_csr(void) {
    test_csr_blob();
    test_csc_blob();
}
