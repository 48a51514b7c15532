// f32 sparse weights x dense pixels (convolution in GEMM form) against a double-precision product.
// Every kernel of ep_f32_spmm_pixels_list_kernels, on random shapes (rows, K, pixels with tails),
// ldx/ldy padding, row ranges, bias or none, clamps and sparsities from 0 to 1, with X's padding
// poisoned with NaN and its end against an unreadable page (no read past `pixels`), and Y
// surrounded by sentinels (nothing written outside the row range and the pixels). Also: the blob
// checks (own blob accepted; truncated, wrong shape and corrupted blobs rejected with the right
// message), the transposed view packing to the same bytes, stored counts, and whole convolutions
// over ep_f32_im2col_packed panels against a naive convolution.
#include "test_support.h"

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

// ---------------------------------------------------------------------------------------------
// Helpers

static void* aligned_blob(size_t size) {
    void* p = NULL;
    if (posix_memalign(&p, 64, size ? size : 64) != 0) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

// `count` floats that end exactly where an unreadable page starts (a read past the end faults).
typedef struct {
    void* base;
    size_t length;
    float* data;
} guarded;

static guarded guarded_floats(size_t count) {
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    const size_t bytes = count * sizeof(float);
    const size_t data_pages = (bytes + page - 1) / page;
    guarded g;
    g.length = (data_pages + 1) * page;
    g.base = mmap(NULL, g.length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g.base == MAP_FAILED) {
        fprintf(stderr, "mmap failed\n");
        exit(2);
    }
    char* guard = (char*)g.base + data_pages * page;
    if (mprotect(guard, page, PROT_NONE) != 0) {
        fprintf(stderr, "mprotect failed\n");
        exit(2);
    }
    g.data = (float*)(guard - bytes);
    return g;
}

static void guarded_free(guarded g) { munmap(g.base, g.length); }

// Random W (rows x cols, row-major) whose zeros fit `f` at roughly `sparsity`: 4x1 blocks (with
// some zeros inside kept blocks) for a block format, anything otherwise.
static void random_weights(const ep_f32_spmm_pixels_format* f, size_t rows, size_t cols,
                           double sparsity, float* w) {
    const unsigned cut = (unsigned)(sparsity * 10000.0);
    fill(w, rows * cols);
    if (f->block_rows > 1) {
        for (size_t r0 = 0; r0 < rows; r0 += f->block_rows) {
            for (size_t c = 0; c < cols; c++) {
                if (rnd() % 10000 >= cut) continue;
                for (size_t r = r0; r < r0 + f->block_rows && r < rows; r++) w[r * cols + c] = 0.0f;
            }
        }
        for (size_t i = 0; i < rows * cols; i++) if (rnd() % 8 == 0) w[i] = 0.0f;
    } else {
        for (size_t i = 0; i < rows * cols; i++) if (rnd() % 10000 < cut) w[i] = 0.0f;
    }
}

// ---------------------------------------------------------------------------------------------
// Kernels against a double product

static void kernel_case(const ep_f32_spmm_pixels_kernel* const* ks, size_t first, size_t last) {
    static const double sparsities[] = {0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0};
    const ep_f32_spmm_pixels_format* f = ks[first]->format;
    const size_t rows = rnd() % 8 == 0 ? rnd_range(1, 5) : rnd_range(1, 70);
    const size_t cols = rnd() % 8 == 0 ? rnd_range(1, 4) : rnd_range(1, 200);
    size_t pixels;
    switch (rnd() % 4) {
        case 0: pixels = rnd_range(1, 8); break;
        case 1: pixels = 8 * rnd_range(1, 8); break;       // whole tiles
        case 2: pixels = 8 * rnd_range(1, 8) + rnd_range(1, 7); break;
        default: pixels = rnd_range(1, 100);
    }
    const double sparsity = sparsities[rnd() % 8];
    // Sometimes a plane-sized stride (a multiple of 1 KB): kernels copy such tiles to the stack.
    const size_t ldx = rnd() % 5 == 0 ? 256 * rnd_range(1, 8) : pixels + (rnd() % 2 ? rnd_range(0, 5) : 0);
    const size_t ldy = pixels + (rnd() % 2 ? rnd_range(0, 5) : 0);
    const size_t xcount = (cols - 1) * ldx + pixels;  // the last row ends at `pixels`
    float* w = xmalloc(sizeof(float) * rows * cols);
    guarded xg = guarded_floats(xcount);
    float* x = xg.data;
    float* bias = rnd() % 2 ? xmalloc(sizeof(float) * rows) : NULL;
    float* y = xmalloc(sizeof(float) * (rows * ldy + 8));
    random_weights(f, rows, cols, sparsity, w);
    fill(x, xcount);
    // Padding between pixels and ldx is never read: poison it so a read shows up as NaN.
    for (size_t k = 0; k + 1 < cols; k++)
        for (size_t p = pixels; p < ldx; p++) x[k * ldx + p] = NAN;
    if (rnd() % 2) for (size_t i = 0; i < xcount; i++) x[i] = x[i] < 0 ? 0.0f : x[i];  // Relu'd
    if (bias) fill(bias, rows);
    const ep_f32_minmax_params prm = random_clamp();

    const size_t size = f->packed_size(rows, cols, w, cols, 1);
    check(size > 0, "%s: packed_size 0 for %zux%zu", f->name, rows, cols);
    if (size == 0) goto done;
    unsigned char* blob = aligned_blob(size);
    check(f->pack(rows, cols, w, cols, 1, blob) == 0, "%s: pack failed", f->name);
    const char* what = NULL;
    size_t where = 0;
    check(f->validate(blob, size, rows, cols, &what, &where) == 0,
          "%s: validate rejects its own %zux%zu blob: %s at %zu", f->name, rows, cols,
          what ? what : "?", where);
    size_t nnz = 0;
    for (size_t i = 0; i < rows * cols; i++) nnz += w[i] != 0.0f;
    const size_t stored = f->stored(blob);
    if (f->block_rows == 0) {
        check(stored == rows * cols, "%s: stored %zu for %zux%zu", f->name, stored, rows, cols);
    } else if (f->block_rows == 1) {
        check(stored == nnz, "%s: stored %zu for %zu non-zeros", f->name, stored, nnz);
    } else {
        size_t kept = 0;  // real rows of every block with a non-zero
        for (size_t r0 = 0; r0 < rows; r0 += 4) {
            for (size_t c = 0; c < cols; c++) {
                int any = 0;
                for (size_t r = r0; r < r0 + 4 && r < rows; r++) any |= w[r * cols + c] != 0.0f;
                if (any) kept += (rows - r0 < 4 ? rows - r0 : 4);
            }
        }
        check(stored == kept, "%s: stored %zu, expected %zu", f->name, stored, kept);
    }

    float* ref = xmalloc(sizeof(float) * (rows * ldy + 8));
    for (size_t ki = first; ki <= last; ki++) {
        const ep_f32_spmm_pixels_kernel* k = ks[ki];
        const size_t row_begin = rnd() % 3 == 0 ? rnd() % rows : 0;
        const size_t row_end = rnd() % 3 == 0 ? rnd_range(row_begin + 1, rows) : rows;
        for (size_t i = 0; i < rows * ldy + 8; i++) y[i] = kSentinel;
        k->run(blob, row_begin, row_end, pixels, x, ldx, y, ldy, bias, &prm);
        for (size_t i = 0; i < rows * ldy + 8; i++) ref[i] = kSentinel;
        ks[first]->run(blob, row_begin, row_end, pixels, x, ldx, ref, ldy, bias, &prm);
        int ok = 1;
        size_t bad_n = 0, bad_p = 0;
        for (size_t n = 0; n < rows && ok; n++) {
            for (size_t p = 0; p < ldy && ok; p++) {
                const float got = y[n * ldy + p];
                if (n < row_begin || n >= row_end || p >= pixels) {
                    ok = got == kSentinel;
                } else {
                    double want = bias ? bias[n] : 0.0;
                    for (size_t c = 0; c < cols; c++) want += (double)w[n * cols + c] * x[c * ldx + p];
                    want = clampd(want, &prm);
                    ok = got == got && close_enough(got, want, cols) &&
                         close_enough(got, (double)ref[n * ldy + p], cols);
                }
                if (!ok) { bad_n = n; bad_p = p; }
            }
        }
        for (size_t i = rows * ldy; i < rows * ldy + 8; i++) ok &= y[i] == kSentinel;
        check(ok, "%s rows %zu K %zu pixels %zu sparsity %.2f range [%zu,%zu) ldx %zu ldy %zu bias %d: y[%zu,%zu]",
              k->name, rows, cols, pixels, sparsity, row_begin, row_end, ldx, ldy, bias != NULL,
              bad_n, bad_p);
    }
    free(ref);
    free(blob);
done:
    free(w); guarded_free(xg); free(bias); free(y);
}

// ---------------------------------------------------------------------------------------------
// Blob checks

static void expect_reject(const ep_f32_spmm_pixels_format* f, const void* blob, size_t size,
                          size_t rows, size_t cols, const char* message, const char* how) {
    const char* what = NULL;
    size_t where = 0;
    const int rc = f->validate(blob, size, rows, cols, &what, &where);
    check(rc != 0 && what != NULL && strcmp(what, message) == 0,
          "%s: %s: expected \"%s\", got %d \"%s\"", f->name, how, message, rc, what ? what : "");
}

static void blob_checks(const ep_f32_spmm_pixels_format* f) {
    const size_t rows = 11, cols = 37;
    float w[11 * 37], wt[37 * 11];
    random_weights(f, rows, cols, 0.6, w);
    w[0] = 0.5f;  // row group 0 is not empty (a pointer to corrupt)
    for (size_t r = 0; r < rows; r++) for (size_t c = 0; c < cols; c++) wt[c * rows + r] = w[r * cols + c];
    const size_t size = f->packed_size(rows, cols, w, cols, 1);
    unsigned char* blob = aligned_blob(size + 64);
    unsigned char* copy = aligned_blob(size + 64);
    unsigned char* blob_t = aligned_blob(size + 64);
    check(f->pack(rows, cols, w, cols, 1, blob) == 0, "%s: pack failed", f->name);
    check(f->packed_size(rows, cols, wt, 1, rows) == size && f->pack(rows, cols, wt, 1, rows, blob_t) == 0 &&
              memcmp(blob, blob_t, size) == 0,
          "%s: packing the transposed view (rs=1, cs=rows) differs", f->name);
    const char* what = NULL;
    size_t where = 0;
    check(f->validate(blob, size, rows, cols, &what, &where) == 0, "%s: own blob rejected: %s", f->name,
          what ? what : "?");
    const char* size_msg = f->block_rows == 0 ? "blob size does not match its shape"
                                              : "blob size does not match its counts";
    expect_reject(f, blob, size - 1, rows, cols, size_msg, "truncated");
    expect_reject(f, blob, size + 4, rows, cols, size_msg, "too long");
    expect_reject(f, blob, 10, rows, cols, "blob is smaller than its header", "tiny");
    expect_reject(f, blob, size, rows + 1, cols, "row count does not match", "rows + 1");
    expect_reject(f, blob, size, rows, cols - 1, "column count does not match", "cols - 1");
    expect_reject(f, NULL, size, rows, cols, "blob is NULL", "NULL");
    memcpy(copy + 4, blob, size);
    expect_reject(f, copy + 4 + 1, size, rows, cols, "blob is not 4-byte aligned", "misaligned");

    // One corrupted field at a time (header words: magic, format, rows, cols, count, block_rows).
    uint32_t* h = (uint32_t*)copy;
#define CORRUPT(stmt, message, how)                      \
    do {                                                 \
        memcpy(copy, blob, size);                        \
        stmt;                                            \
        expect_reject(f, copy, size, rows, cols, message, how); \
    } while (0)
    CORRUPT(h[0] ^= 1, "bad magic", "magic");
    CORRUPT(h[1] = h[1] % 3 + 1, "blob holds another format", "format");
    CORRUPT(h[5] += 1, "block rows do not match the format", "block rows");
    if (f->block_rows == 0) {
        CORRUPT(h[4] += 1, "stored count is not rows x cols", "count");
    } else {
        const size_t groups = (rows + f->block_rows - 1) / f->block_rows;
        const size_t count = ((const uint32_t*)blob)[4];
        const size_t values = count * f->block_rows;
        uint32_t* ptr = (uint32_t*)(copy + 64 + values * 4);
        uint16_t* idx = (uint16_t*)(ptr + groups + 1);
        CORRUPT(h[4] = (uint32_t)(groups * cols + 1), "stored count exceeds rows x cols", "count");
        CORRUPT(h[4] += 1, "blob size does not match its counts", "count + 1");
        CORRUPT(ptr[0] = 1, "row pointer does not start at 0", "ptr[0]");
        CORRUPT(ptr[1] = (uint32_t)count, "row pointer decreases", "ptr decreasing");
        CORRUPT(ptr[groups - 1] = (uint32_t)count + 1, "row pointer past the stored count", "ptr past count");
        CORRUPT(ptr[groups] = (uint32_t)count - 1, "last row pointer is not the stored count", "ptr end");
        CORRUPT(idx[count / 2] = (uint16_t)cols, "column index out of range", "index = cols");
        CORRUPT(idx[count - 1] = 0xFFFF, "column index out of range", "index 65535");
        // A blob for more than 65536 columns is out of range for 16-bit indices.
        check(f->packed_size(1, 65537, w, 0, 0) == 0, "%s: 65537 columns accepted", f->name);
    }
#undef CORRUPT
    free(blob); free(copy); free(blob_t);
}

// ---------------------------------------------------------------------------------------------
// Whole convolutions: im2col panels (any nr) + a kernel per panel, against a naive convolution.

static void conv_case(const ep_f32_spmm_pixels_kernel* k) {
    ep_conv2d_geometry g;
    while (!random_geometry(&g, rnd() % 4 == 0, 1, 12, 1, 14)) {
    }
    const size_t K = g.in_c * g.k_h * g.k_w, N = g.out_h * g.out_w;
    const size_t out_c = rnd_range(1, 20);
    static const size_t nrs[] = {4, 8, 16, 32, 64};
    const size_t nr = nrs[rnd() % 5];
    float* in = xmalloc(sizeof(float) * g.in_c * g.in_h * g.in_w);
    float* w = xmalloc(sizeof(float) * out_c * K);
    float* bias = xmalloc(sizeof(float) * out_c);
    float* packed = xmalloc(sizeof(float) * ep_f32_gemm_packed_b_size(K, N, nr));
    float* out = xmalloc(sizeof(float) * out_c * N);
    fill(in, g.in_c * g.in_h * g.in_w);
    random_weights(k->format, out_c, K, 0.6, w);
    fill(bias, out_c);
    const ep_f32_minmax_params prm = random_clamp();
    const size_t size = k->format->packed_size(out_c, K, w, K, 1);
    unsigned char* blob = aligned_blob(size);
    k->format->pack(out_c, K, w, K, 1, blob);
    ep_f32_im2col_packed(&g, nr, in, packed);
    for (size_t p0 = 0; p0 < N; p0 += nr) {
        const size_t pixels = N - p0 < nr ? N - p0 : nr;
        k->run(blob, 0, out_c, pixels, packed + p0 * K, nr, out + p0, N, bias, &prm);
    }
    int ok = 1;
    for (size_t o = 0; o < out_c && ok; o++) {
        for (size_t oh = 0; oh < g.out_h && ok; oh++) {
            for (size_t ow = 0; ow < g.out_w && ok; ow++) {
                const double want = clampd(naive_conv_point(&g, in, w + o * K, oh, ow) + bias[o], &prm);
                ok = close_enough(out[o * N + oh * g.out_w + ow], want, K);
            }
        }
    }
    char desc[256];
    describe_geometry(desc, sizeof desc, &g);
    check(ok, "%s conv over im2col panels nr=%zu out_c=%zu %s", k->name, nr, out_c, desc);
    free(in); free(w); free(bias); free(packed); free(out); free(blob);
}

void test_f32_spmm_pixels(void) {
    const ep_f32_spmm_pixels_kernel* ks[32];
    const size_t nk = ep_f32_spmm_pixels_list_kernels(ks, 32);
    check(nk >= 3 && nk <= 32, "spmm-pixels kernel count %zu", nk);
    printf("spmm-pixels kernels:");
    for (size_t i = 0; i < nk; i++) printf(" %s%s", ks[i]->name, ks[i]->reference ? "(ref)" : "");
    printf("\n");
    for (size_t first = 0; first < nk;) {
        size_t last = first;
        while (last + 1 < nk && ks[last + 1]->format == ks[first]->format) last++;
        check(ks[first]->reference, "%s: format %s does not list its reference first", ks[first]->name,
              ks[first]->format->name);
        for (size_t i = first + 1; i <= last; i++)
            check(!ks[i]->reference && ks[i]->pixel_tile >= 1, "%s: a second reference or no tile", ks[i]->name);
        for (int it = 0; it < 300; it++) kernel_case(ks, first, last);
        blob_checks(ks[first]->format);
        for (size_t i = first; i <= last; i++)
            for (int it = 0; it < 30; it++) conv_case(ks[i]);
        first = last + 1;
    }
}
