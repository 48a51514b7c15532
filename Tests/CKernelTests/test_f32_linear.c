// Every f32 Linear weight format x kernel (ep_f32_linear_list_kernels) against a double-precision
// product of the same dense matrix, on random shapes, batches, row ranges and sparsities, with a
// zero pattern drawn to fit each format (blocks, N:M groups, or anything). Also: a blob must pass
// its own validation, a truncated blob or the wrong shape must not, rows outside the range and
// columns past `rows` in Y are never written, and a pattern a format cannot hold is refused.
#include "test_support.h"

#include <stdint.h>

// Random W (rows x cols, row-major) whose zeros fit `f` at roughly `sparsity`.
static void random_weights(const ep_f32_linear_format* f, size_t rows, size_t cols,
                           double sparsity, float* w) {
    const unsigned cut = (unsigned)(sparsity * 10000.0);
    fill(w, rows * cols);
    if (f->nm_m > 0) {
        // Keep at most n of every m consecutive columns (the last group may be partial).
        for (size_t r = 0; r < rows; r++) {
            for (size_t g = 0; g < cols; g += f->nm_m) {
                // Visit the group's positions from a random start; keep up to n of them.
                const size_t start = rnd() % f->nm_m;
                size_t kept = 0;
                for (size_t t = 0; t < f->nm_m; t++) {
                    const size_t j = g + (start + t) % f->nm_m;
                    if (j >= cols) continue;
                    if (kept < f->nm_n && rnd() % 10000 >= cut / 2) kept++;
                    else w[r * cols + j] = 0.0f;
                }
            }
        }
    } else if (f->block_rows > 0) {
        const size_t br = f->block_rows, bc = f->block_cols;
        for (size_t r0 = 0; r0 < rows; r0 += br) {
            for (size_t c0 = 0; c0 < cols; c0 += bc) {
                if (rnd() % 10000 >= cut) continue;
                for (size_t r = r0; r < r0 + br && r < rows; r++)
                    for (size_t c = c0; c < c0 + bc && c < cols; c++) w[r * cols + c] = 0.0f;
            }
        }
        // Some zeros inside kept blocks too: a block format stores them as values.
        for (size_t i = 0; i < rows * cols; i++) if (rnd() % 8 == 0) w[i] = 0.0f;
    } else {
        for (size_t i = 0; i < rows * cols; i++) if (rnd() % 10000 < cut) w[i] = 0.0f;
    }
}

static void* aligned_blob(size_t size) {
    void* p = NULL;
    if (posix_memalign(&p, 64, size ? size : 64) != 0) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

static void test_case(const ep_f32_linear_kernel* const* ks, size_t first, size_t last) {
    static const double sparsities[] = {0.0, 0.3, 0.5, 0.7, 0.9, 0.99, 1.0};
    const ep_f32_linear_format* f = ks[first]->format;
    const size_t rows = rnd() % 8 == 0 ? rnd_range(1, 3) : rnd_range(1, 90);
    const size_t cols = rnd() % 8 == 0 ? rnd_range(1, 5) : rnd_range(1, 300);
    const size_t batch = rnd() % 3 == 0 ? rnd_range(1, 9) : 1;
    const double sparsity = sparsities[rnd() % 7];
    const size_t ldx = cols + rnd_range(0, 3), ldy = rows + rnd_range(0, 3);
    float* w = xmalloc(sizeof(float) * rows * cols);
    float* x = xmalloc(sizeof(float) * batch * ldx);
    float* bias = rnd() % 2 ? xmalloc(sizeof(float) * rows) : NULL;
    float* y = xmalloc(sizeof(float) * (batch * ldy + 8));
    random_weights(f, rows, cols, sparsity, w);
    fill(x, batch * ldx);
    if (rnd() % 2) for (size_t i = 0; i < batch * ldx; i++) x[i] = x[i] < 0 ? 0.0f : x[i];  // Relu'd
    if (bias) fill(bias, rows);
    const ep_f32_minmax_params p = random_clamp();

    const size_t size = f->packed_size(rows, cols, w, cols, 1);
    check(size > 0, "%s: packed_size 0 for a %zux%zu matrix drawn to fit", f->name, rows, cols);
    if (size == 0) goto done;
    // A transposed view of the same matrix packs to the same bytes.
    float* wt = xmalloc(sizeof(float) * rows * cols);
    for (size_t r = 0; r < rows; r++) for (size_t c = 0; c < cols; c++) wt[c * rows + r] = w[r * cols + c];
    unsigned char* blob = aligned_blob(size);
    unsigned char* blob_t = aligned_blob(size);
    check(f->pack(rows, cols, w, cols, 1, blob) == 0, "%s: pack failed", f->name);
    check(f->packed_size(rows, cols, wt, 1, rows) == size && f->pack(rows, cols, wt, 1, rows, blob_t) == 0 &&
              memcmp(blob, blob_t, size) == 0,
          "%s: packing the transposed view (rs=1, cs=rows) differs", f->name);
    const char* what = NULL;
    size_t where = 0;
    check(f->validate(blob, size, rows, cols, &what, &where) == 0, "%s: validate rejects its own %zux%zu blob: %s at %zu",
          f->name, rows, cols, what ? what : "?", where);
    check(f->validate(blob, size - 1, rows, cols, &what, &where) != 0, "%s: validate accepts a truncated blob", f->name);
    check(f->validate(blob, size, rows + 1, cols, &what, &where) != 0, "%s: validate accepts the wrong row count", f->name);
    check(f->validate(blob, size, rows, cols + 1, &what, &where) != 0 || f->nm_m > 0 || f->block_cols > 1,
          "%s: validate accepts the wrong column count", f->name);
    size_t nnz = 0;
    for (size_t i = 0; i < rows * cols; i++) nnz += w[i] != 0.0f;
    const int unstructured = f->block_rows == 1 && f->block_cols == 1 && f->nm_m == 0;
    check(f->stored(blob) >= nnz && (!unstructured || f->stored(blob) == nnz),
          "%s: stored %zu for %zu non-zeros", f->name, f->stored(blob), nnz);

    for (size_t ki = first; ki <= last; ki++) {
        const ep_f32_linear_kernel* k = ks[ki];
        // A random row range, aligned to the format's row group.
        const size_t groups = (rows + f->row_group - 1) / f->row_group;
        const size_t g0 = rnd() % 3 == 0 ? rnd() % groups : 0;
        const size_t row_begin = g0 * f->row_group;
        const size_t row_end = rnd() % 3 == 0 ? rnd_range(row_begin + 1, rows) : rows;
        for (size_t i = 0; i < batch * ldy + 8; i++) y[i] = kSentinel;
        k->run(blob, row_begin, row_end, batch, x, ldx, y, ldy, bias, &p);
        int ok = 1;
        size_t bad_b = 0, bad_n = 0;
        for (size_t b = 0; b < batch && ok; b++) {
            for (size_t n = 0; n < ldy && ok; n++) {
                const float got = y[b * ldy + n];
                if (n < row_begin || n >= row_end) {
                    ok = got == kSentinel;
                } else {
                    double want = bias ? bias[n] : 0.0;
                    for (size_t c = 0; c < cols; c++) want += (double)w[n * cols + c] * x[b * ldx + c];
                    ok = close_enough(got, clampd(want, &p), cols) && got == got;
                }
                if (!ok) { bad_b = b; bad_n = n; }
            }
        }
        for (size_t i = batch * ldy; i < batch * ldy + 8; i++) ok &= y[i] == kSentinel;
        check(ok, "%s rows %zu cols %zu batch %zu sparsity %.2f range [%zu,%zu) ldx %zu ldy %zu: y[%zu,%zu]",
              k->name, rows, cols, batch, sparsity, row_begin, row_end, ldx, ldy, bad_b, bad_n);
    }
    free(wt); free(blob); free(blob_t);
done:
    free(w); free(x); free(bias); free(y);
}

void test_f32_linear(void) {
    const ep_f32_linear_kernel* ks[64];
    const size_t count = ep_f32_linear_list_kernels(ks, 64);
    check(count <= 64, "more than 64 linear kernels");
    const size_t nk = count < 64 ? count : 64;
    printf("linear kernels:");
    for (size_t i = 0; i < nk; i++) printf(" %s%s", ks[i]->name, ks[i]->reference ? "(ref)" : "");
    printf("\n");
    for (size_t first = 0; first < nk;) {
        size_t last = first;
        while (last + 1 < nk && ks[last + 1]->format == ks[first]->format) last++;
        check(ks[first]->reference, "%s: format %s does not list its reference first", ks[first]->name,
              ks[first]->format->name);
        for (int it = 0; it < 250; it++) test_case(ks, first, last);
        first = last + 1;
    }
    // A pattern a structured format cannot hold is refused, not silently densified.
    for (size_t i = 0; i < nk; i++) {
        const ep_f32_linear_format* f = ks[i]->format;
        if (!ks[i]->reference || (f->nm_m == 0 && (f->block_rows <= 1 && f->block_cols <= 1))) continue;
        float dense[64];
        for (int j = 0; j < 64; j++) dense[j] = 1.0f;
        check(f->packed_size(8, 8, dense, 8, 1) == 0 || f->nm_m == 0,
              "%s: a dense 8x8 matrix fits N:M", f->name);
    }
}
