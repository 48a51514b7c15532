// Times the selected CSR sparse kernel against the selected dense GEMM on batch-1 Linear layers
// (y = W x, W rows x cols) at several sparsities; prints median microseconds and the speedup.
// Build: cc -O3 -I Sources/CEdgeKernels/include $(find Sources/CEdgeKernels -name '*.c') \
//        Tests/CKernelTests/bench_spmm.c -lm -o /tmp/bench_spmm
#include "edge_kernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp(const void* a, const void* b) {
    const double x = *(const double*)a, y = *(const double*)b;
    return (x > y) - (x < y);
}

int main(void) {
    static const size_t shapes[][2] = {{256, 256}, {512, 512}, {1024, 1024}, {64, 1024}, {10, 1024}};
    static const double sparsities[] = {0.3, 0.5, 0.7, 0.8, 0.9, 0.95};
    const ep_f32_gemm_config* g = ep_f32_gemm_get_config();
    const ep_f32_spmm_csr_config* s = ep_f32_spmm_csr_get_config();
    printf("dense %s, sparse %s\n", g->name, s->name);
    printf("%-11s %8s %9s %9s %8s\n", "rows x cols", "sparsity", "dense_us", "csr_us", "speedup");
    srand(1);
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const size_t rows = shapes[i][0], cols = shapes[i][1];
        float* w = malloc(sizeof(float) * rows * cols);
        float* x = malloc(sizeof(float) * cols);
        float* y = malloc(sizeof(float) * rows);
        float* packed = malloc(sizeof(float) * ep_f32_gemm_packed_b_size(cols, rows, g->nr));
        uint32_t* rp = malloc(sizeof(uint32_t) * (rows + 1));
        uint16_t* ci = malloc(sizeof(uint16_t) * rows * cols);
        float* vals = malloc(sizeof(float) * rows * cols);
        for (size_t k = 0; k < cols; k++) x[k] = (float)rand() / (float)RAND_MAX;
        for (size_t si = 0; si < sizeof sparsities / sizeof sparsities[0]; si++) {
            for (size_t e = 0; e < rows * cols; e++)
                w[e] = (double)rand() / RAND_MAX < sparsities[si] ? 0.0f : (float)rand() / (float)RAND_MAX - 0.5f;
            // Dense: y[1 x rows] = x[1 x cols] * W^T, W^T packed (element (k, n) at w[n*cols + k]).
            ep_f32_gemm_pack_b(cols, rows, g->nr, w, 1, cols, packed);
            ep_f32_csr_pack(rows, cols, w, cols, 1, rp, ci, vals);
            const ep_f32_csr_matrix m = {rows, cols, rp, ci, vals};
            double td[201], ts[201];
            for (int r = 0; r < 201; r++) {
                double t0 = now_us();
                for (int rep = 0; rep < 20; rep++) ep_f32_gemm(g, 1, rows, cols, x, cols, packed, y, rows, NULL, NULL, NULL);
                td[r] = (now_us() - t0) / 20;
                t0 = now_us();
                for (int rep = 0; rep < 20; rep++) s->ukernel(&m, 1, x, cols, y, rows, NULL, NULL);
                ts[r] = (now_us() - t0) / 20;
            }
            qsort(td, 201, sizeof(double), cmp);
            qsort(ts, 201, sizeof(double), cmp);
            printf("%4zux%-6zu %8.2f %9.2f %9.2f %8.2f\n", rows, cols, sparsities[si], td[100], ts[100], td[100] / ts[100]);
        }
        free(w); free(x); free(y); free(packed); free(rp); free(ci); free(vals);
    }
    return 0;
}
