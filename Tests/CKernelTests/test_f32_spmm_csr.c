// CSR packing, validation and every CSR x dense variant against a double-precision product.
#include "test_support.h"

// ---------------------------------------------------------------------------------------------
// f32 sparse (CSR) x dense

static void test_spmm_csr_case(const ep_f32_spmm_csr_config** cfgs, size_t ncfg) {
    static const double sparsities[] = {0.0, 0.3, 0.5, 0.7, 0.9, 0.99, 1.0};
    const size_t rows = rnd_range(1, 70), cols = rnd_range(1, 300), batch = rnd_range(1, 4);
    const double sparsity = sparsities[rnd() % 7];
    const size_t ldx = cols + rnd_range(0, 3), ldy = rows + rnd_range(0, 3);
    float* w = xmalloc(sizeof(float) * rows * cols);
    float* x = xmalloc(sizeof(float) * batch * ldx);
    float* bias = rnd() % 2 ? xmalloc(sizeof(float) * rows) : NULL;
    float* y = xmalloc(sizeof(float) * batch * ldy);
    for (size_t i = 0; i < rows * cols; i++) w[i] = (rnd() % 10000) < sparsity * 10000 ? 0.0f : rnd_float();
    fill(x, batch * ldx);
    if (bias) fill(bias, rows);
    ep_f32_minmax_params p = {-INFINITY, INFINITY};
    if (rnd() % 3 == 0) { p.min = -0.5f; p.max = 0.5f; }
    const size_t nnz = ep_f32_csr_count_nonzeros(rows, cols, w, cols, 1);
    uint32_t* row_ptr = xmalloc(sizeof(uint32_t) * (rows + 1));
    uint16_t* col_idx = xmalloc(sizeof(uint16_t) * (nnz + 1));
    float* values = xmalloc(sizeof(float) * (nnz + 1));
    ep_f32_csr_pack(rows, cols, w, cols, 1, row_ptr, col_idx, values);
    const ep_f32_csr_matrix m = {rows, cols, row_ptr, col_idx, values};
    size_t where = 0;
    if (ep_f32_csr_validate(&m, nnz, &where) != 0) {
        g_failed++;
        printf("FAIL csr validate rejects a packed matrix %zux%zu\n", rows, cols);
    }
    for (size_t c = 0; c < ncfg; c++) {
        for (size_t i = 0; i < batch * ldy; i++) y[i] = kSentinel;
        cfgs[c]->ukernel(&m, batch, x, ldx, y, ldy, bias, &p);
        int ok = 1;
        for (size_t b = 0; b < batch && ok; b++) {
            for (size_t n = 0; n < ldy && ok; n++) {
                if (n >= rows) {
                    if (y[b * ldy + n] != kSentinel) ok = 0;
                    continue;
                }
                double want = bias ? bias[n] : 0.0;
                for (size_t k = 0; k < cols; k++) want += (double)w[n * cols + k] * x[b * ldx + k];
                if (!close_enough(y[b * ldy + n], clampd(want, &p), cols)) ok = 0;
            }
        }
        if (ok) {
            g_passed++;
        } else {
            g_failed++;
            printf("FAIL %s rows %zu cols %zu batch %zu sparsity %.2f\n", cfgs[c]->name, rows, cols, batch, sparsity);
        }
    }
    free(w); free(x); free(bias); free(y); free(row_ptr); free(col_idx); free(values);
}

static void expect_csr_error(const char* what, const ep_f32_csr_matrix* m, size_t nnz, int code) {
    size_t where = 0;
    const int got = ep_f32_csr_validate(m, nnz, &where);
    if (got == code) {
        g_passed++;
    } else {
        g_failed++;
        printf("FAIL csr validate %s: got %d, want %d\n", what, got, code);
    }
}

void test_f32_spmm_csr(void) {
    const ep_f32_spmm_csr_config* cfgs[8];
    const size_t ncfg = ep_f32_spmm_csr_list_configs(cfgs, 8);
    printf("spmm csr variants:");
    for (size_t i = 0; i < ncfg; i++) printf(" %s", cfgs[i]->name);
    printf("\n");
    for (int it = 0; it < 300; it++) test_spmm_csr_case(cfgs, ncfg);
    if (strcmp(ep_f32_spmm_csr_get_config()->name, cfgs[ncfg - 1]->name) == 0) {
        g_passed++;
    } else {
        g_failed++;
        printf("FAIL spmm csr selected %s is not the preferred listed variant\n", ep_f32_spmm_csr_get_config()->name);
    }
    // Corrupt arrays are rejected with the right code.
    uint32_t rp[4] = {0, 2, 3, 5};
    uint16_t ci[5] = {0, 3, 1, 2, 3};
    const float vals[5] = {1, 2, 3, 4, 5};
    ep_f32_csr_matrix m = {3, 4, rp, ci, vals};
    expect_csr_error("consistent", &m, 5, 0);
    rp[0] = 1;
    expect_csr_error("row_ptr[0] != 0", &m, 5, 1);
    rp[0] = 0; rp[2] = 1;
    expect_csr_error("decreasing row_ptr", &m, 5, 2);
    rp[2] = 3;
    expect_csr_error("row_ptr[rows] != nnz", &m, 6, 3);
    ci[4] = 4;
    expect_csr_error("column out of range", &m, 5, 4);
    // 16-bit indices cannot address more than 65536 columns.
    const float one = 1.0f;
    uint32_t rp1[2];
    if (ep_f32_csr_pack(1, 70000, &one, 0, 0, rp1, NULL, NULL) == -1) {
        g_passed++;
    } else {
        g_failed++;
        printf("FAIL csr pack accepted 70000 columns\n");
    }
}
