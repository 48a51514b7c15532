// Times the sparse f32 Linear formats ("csr", "csc", "nm2:4", "nm4:8"; their preferred kernels)
// against dense on the Linear shapes, at batch 1 and 8, in one process (ratios only count within
// one run). Dense is the preferred kernel of the "dense" Linear format when it is listed, else
// ep_f32_gemm with M = batch. Inputs are either dense or Relu'd (half zeros: "csc" skips those).
// Prints median microseconds per call and speedups, then the median speedup over shapes.
// Build: cc -O3 -I Sources/CEdgeKernels/include $(find Sources/CEdgeKernels -name "*.c")
//        Tests/CKernelTests/bench_spmm.c -lm -o /tmp/bench_spmm && /tmp/bench_spmm [batch]
#include "edge_kernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static double median(double* v, size_t n) {
    qsort(v, n, sizeof(double), cmp);
    return v[n / 2];
}

static const ep_f32_linear_kernel* preferred(const char* format) {
    const ep_f32_linear_kernel* ks[128];
    const size_t nk = ep_f32_linear_list_kernels(ks, 128);
    const ep_f32_linear_kernel* best = NULL;
    for (size_t i = 0; i < nk && i < 128; i++)
        if (strcmp(ks[i]->format->name, format) == 0) best = ks[i];
    return best;
}

enum { NSPARSE = 4, REPS = 41 };
static const char* const kFormats[NSPARSE] = {"csr", "csc", "nm2:4", "nm4:8"};

int main(int argc, char** argv) {
    const size_t batch = argc > 1 ? (size_t)atoi(argv[1]) : 1;
    static const size_t shapes[][2] = {{256, 256}, {512, 512}, {1024, 1024}, {1024, 64}, {10, 1024}};
    static const double sparsities[] = {0.3, 0.5, 0.7, 0.8, 0.9, 0.95};
    enum { NSHAPES = 5, NSP = 6 };
    const ep_f32_linear_kernel* dense = preferred("dense");
    const ep_f32_gemm_config* g = ep_f32_gemm_get_config();
    const ep_f32_linear_kernel* sk[NSPARSE];
    for (int f = 0; f < NSPARSE; f++) sk[f] = preferred(kFormats[f]);
    printf("batch %zu; dense: %s\n", batch, dense ? dense->name : g->name);
    for (int f = 0; f < NSPARSE; f++) printf("  %-6s %s\n", kFormats[f], sk[f] ? sk[f]->name : "(none)");
    printf("rows = outputs, cols = inputs; speedup = dense time / format time; x: dense | relu'd (half zeros)\n");
    printf("%-10s %5s %9s | %6s %6s %6s %6s | %6s %6s\n", "rows x cols", "sp", "dense_us", "csr", "csc",
           "csr.r", "csc.r", "nm2:4", "nm4:8");
    // speed[shape][sparsity][0..5] = csr, csc, csr relu, csc relu, nm2:4, nm4:8
    static double speed[NSHAPES][NSP][6];
    srand(1);
    for (size_t si = 0; si < NSHAPES; si++) {
        const size_t rows = shapes[si][0], cols = shapes[si][1];
        float* w = malloc(sizeof(float) * rows * cols);
        float* wnm[2] = {malloc(sizeof(float) * rows * cols), malloc(sizeof(float) * rows * cols)};
        float* x = malloc(sizeof(float) * cols * batch);
        float* xr = malloc(sizeof(float) * cols * batch);
        float* y = malloc(sizeof(float) * rows * batch);
        float* packed = malloc(sizeof(float) * ep_f32_gemm_packed_b_size(cols, rows, g->nr));
        for (size_t k = 0; k < cols * batch; k++) {
            x[k] = (float)rand() / (float)RAND_MAX - 0.5f;
            xr[k] = x[k] > 0.0f ? x[k] : 0.0f;
        }
        for (size_t spi = 0; spi < NSP; spi++) {
            const double sp = sparsities[spi];
            for (size_t e = 0; e < rows * cols; e++)
                w[e] = (double)rand() / RAND_MAX < sp ? 0.0f : (float)rand() / (float)RAND_MAX - 0.5f;
            // N:M weights: keep the n largest of each group of m (at 50%; at other sparsities the
            // n:m pattern is the same speed, so only 0.5 is measured).
            for (int t = 0; t < 2; t++) {
                const size_t n = t == 0 ? 2 : 4, m = t == 0 ? 4 : 8;
                for (size_t e = 0; e < rows * cols; e++)
                    wnm[t][e] = (e % cols) % m < n ? (float)rand() / (float)RAND_MAX - 0.5f : 0.0f;
            }
            void* blobs[NSPARSE + 1] = {0};
            const ep_f32_linear_kernel* runs[NSPARSE + 1] = {0};
            for (int f = 0; f < NSPARSE; f++) {
                if (sk[f] == NULL || (f >= 2 && spi != 1)) continue;
                const float* wf = f < 2 ? w : wnm[f - 2];
                const size_t size = sk[f]->format->packed_size(rows, cols, wf, cols, 1);
                if (size == 0 || posix_memalign(&blobs[f], 64, size) != 0) continue;
                sk[f]->format->pack(rows, cols, wf, cols, 1, blobs[f]);
                runs[f] = sk[f];
            }
            if (dense != NULL) {
                const size_t size = dense->format->packed_size(rows, cols, w, cols, 1);
                if (posix_memalign(&blobs[NSPARSE], 64, size) != 0) return 1;
                dense->format->pack(rows, cols, w, cols, 1, blobs[NSPARSE]);
            } else {
                ep_f32_gemm_pack_b(cols, rows, g->nr, w, 1, cols, packed);
            }
            // Inner repetitions so one sample takes ~100 us.
            const int inner = (int)(1 + 100000 / (rows * cols * batch / 8 + 1));
            double t[7][REPS];
            for (int r = 0; r < REPS; r++) {
                for (int k = 0; k < 7; k++) {
                    const ep_f32_linear_kernel* kk = NULL;
                    const void* blob = NULL;
                    const float* xin = x;
                    if (k == 1 || k == 2) { kk = runs[k - 1]; blob = blobs[k - 1]; }
                    if (k == 3 || k == 4) { kk = runs[k - 3]; blob = blobs[k - 3]; xin = xr; }
                    if (k == 5 || k == 6) { kk = runs[k - 3]; blob = blobs[k - 3]; }
                    if (k > 0 && kk == NULL) { t[k][r] = 0; continue; }
                    const double t0 = now_us();
                    for (int i = 0; i < inner; i++) {
                        if (k > 0) kk->run(blob, 0, rows, batch, xin, cols, y, rows, NULL, NULL);
                        else if (dense) dense->run(blobs[NSPARSE], 0, rows, batch, x, cols, y, rows, NULL, NULL);
                        else ep_f32_gemm(g, batch, rows, cols, x, cols, packed, y, rows, NULL, NULL, NULL);
                    }
                    t[k][r] = (now_us() - t0) / inner;
                }
            }
            const double td = median(t[0], REPS);
            double s[6];
            for (int k = 1; k < 7; k++) {
                const double tk = median(t[k], REPS);
                s[k - 1] = tk > 0 ? td / tk : 0.0;
                speed[si][spi][k - 1] = s[k - 1];
            }
            printf("%4zux%-5zu %5.2f %9.2f | %6.2f %6.2f %6.2f %6.2f |", rows, cols, sp, td, s[0], s[1], s[2], s[3]);
            if (spi == 1) printf(" %6.2f %6.2f", s[4], s[5]);
            printf("\n");
            for (int f = 0; f <= NSPARSE; f++) free(blobs[f]);
        }
        free(w); free(wnm[0]); free(wnm[1]); free(x); free(xr); free(y); free(packed);
    }
    printf("median over shapes (batch %zu):\n%5s %6s %6s %6s %6s %10s %10s\n", batch, "sp", "csr", "csc",
           "csr.r", "csc.r", "best", "best.r");
    for (size_t spi = 0; spi < NSP; spi++) {
        double m[6], best[NSHAPES], best_r[NSHAPES];
        for (int k = 0; k < 6; k++) {
            double v[NSHAPES];
            for (size_t si = 0; si < NSHAPES; si++) v[si] = speed[si][spi][k];
            m[k] = median(v, NSHAPES);
        }
        for (size_t si = 0; si < NSHAPES; si++) {
            const double* q = speed[si][spi];
            best[si] = q[0] > q[1] ? q[0] : q[1];
            best_r[si] = q[2] > q[3] ? q[2] : q[3];
        }
        printf("%5.2f %6.2f %6.2f %6.2f %6.2f %10.2f %10.2f", sparsities[spi], m[0], m[1], m[2], m[3],
               median(best, NSHAPES), median(best_r, NSHAPES));
        if (spi == 1) printf("   nm2:4 %.2f  nm4:8 %.2f", m[4], m[5]);
        printf("\n");
    }
    return 0;
}
