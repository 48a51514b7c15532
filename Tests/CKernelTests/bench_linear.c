// Times the f32 Linear formats on the Linear shapes of issue 3 (rows = outputs x cols = inputs),
// at batch 1 and 8: the new "dense" format against the old ep_f32_gemm (M = batch), and every
// block-sparse format's preferred kernel against "dense" at block sparsity 0.3 .. 0.9 (whole
// R x C blocks zeroed at random; each format gets a matrix drawn to its own block shape).
// All timings of one shape are interleaved sample by sample; medians of many samples; the ratios
// (dense time / format time) are what counts on this shared machine.
// Build: cc -O3 -I Sources/CEdgeKernels/include $(find Sources/CEdgeKernels -name '*.c') \
//        Tests/CKernelTests/bench_linear.c -lm -o /tmp/bench_linear
#include "edge_kernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { SAMPLES = 101, MAXK = 16 };

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

static void* blob_alloc(size_t size) {
    void* p = NULL;
    if (posix_memalign(&p, 64, size ? size : 64) != 0) exit(2);
    return p;
}

// The preferred (last listed) kernel of each format, in list order.
static size_t preferred_kernels(const ep_f32_linear_kernel** out) {
    const ep_f32_linear_kernel* all[64];
    const size_t n = ep_f32_linear_list_kernels(all, 64);
    size_t count = 0;
    for (size_t i = 0; i < n && i < 64; i++) {
        if (i + 1 < n && all[i + 1]->format == all[i]->format) continue;
        if (count < MAXK) out[count++] = all[i];
    }
    return count;
}

static void block_sparse(float* w, size_t rows, size_t cols, size_t br, size_t bc, double s) {
    for (size_t i = 0; i < rows * cols; i++) w[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    if (br == 0) return;
    for (size_t r0 = 0; r0 < rows; r0 += br)
        for (size_t c0 = 0; c0 < cols; c0 += bc)
            if ((double)rand() / RAND_MAX < s)
                for (size_t r = r0; r < r0 + br && r < rows; r++)
                    for (size_t c = c0; c < c0 + bc && c < cols; c++) w[r * cols + c] = 0.0f;
}

int main(int argc, char** argv) {
    static const size_t shapes[][2] = {{256, 256}, {512, 512}, {1024, 1024}, {1024, 64}, {10, 1024}};
    static const double sparsities[] = {0.3, 0.5, 0.7, 0.9};
    const size_t nshapes = sizeof shapes / sizeof shapes[0], nsp = sizeof sparsities / sizeof sparsities[0];
    const ep_f32_linear_kernel* ks[MAXK];
    const size_t nk = preferred_kernels(ks);
    const ep_f32_linear_kernel* dense = NULL;
    for (size_t i = 0; i < nk; i++) if (strcmp(ks[i]->format->name, "dense") == 0) dense = ks[i];
    if (dense == NULL) { fprintf(stderr, "no dense format\n"); return 1; }
    const ep_f32_gemm_config* g = ep_f32_gemm_get_config();
    const size_t batches[] = {1, 8};
    const size_t nb = argc > 1 ? 1 : 2;  // any argument: batch 1 only
    srand(1);
    printf("dense: %s; old: ep_f32_gemm with %s\n", dense->name, g->name);
    for (size_t bi = 0; bi < nb; bi++) {
        const size_t batch = batches[bi];
        double best50[8];
        printf("\n== batch %zu: speedup = dense_us / format_us (median of %d samples)\n", batch, SAMPLES);
        printf("%-10s %5s %9s %8s", "rows x cols", "spars", "dense_us", "old/new");
        for (size_t i = 0; i < nk; i++) if (ks[i] != dense) printf(" %8s", ks[i]->format->name);
        printf(" %8s\n", "best");
        for (size_t si = 0; si < nshapes; si++) {
            const size_t rows = shapes[si][0], cols = shapes[si][1];
            const size_t reps = 1 + 400000 / (rows * cols * batch);
            float* w = malloc(sizeof(float) * rows * cols);
            float* x = malloc(sizeof(float) * batch * cols);
            float* y = malloc(sizeof(float) * batch * rows);
            float* bias = malloc(sizeof(float) * rows);
            for (size_t i = 0; i < batch * cols; i++) x[i] = (float)rand() / (float)RAND_MAX;
            for (size_t i = 0; i < rows; i++) bias[i] = 0.1f;
            float* gp = malloc(sizeof(float) * ep_f32_gemm_packed_b_size(cols, rows, g->nr));
            const ep_f32_minmax_params p = {-1e30f, 1e30f};
            for (size_t sp = 0; sp < nsp; sp++) {
                void* blobs[MAXK];
                for (size_t i = 0; i < nk; i++) {
                    const ep_f32_linear_format* f = ks[i]->format;
                    block_sparse(w, rows, cols, f->block_rows, f->block_cols, sparsities[sp]);
                    if (ks[i] == dense) ep_f32_gemm_pack_b(cols, rows, g->nr, w, 1, cols, gp);
                    const size_t size = f->packed_size(rows, cols, w, cols, 1);
                    blobs[i] = size ? blob_alloc(size) : NULL;
                    if (size) f->pack(rows, cols, w, cols, 1, blobs[i]);
                }
                static double t[MAXK + 1][SAMPLES];
                for (int s = 0; s < SAMPLES; s++) {
                    for (size_t i = 0; i <= nk; i++) {
                        const double t0 = now_us();
                        for (size_t r = 0; r < reps; r++) {
                            if (i == nk) ep_f32_gemm(g, batch, rows, cols, x, cols, gp, y, rows, NULL, bias, &p);
                            else if (blobs[i]) ks[i]->run(blobs[i], 0, rows, batch, x, cols, y, rows, bias, &p);
                        }
                        t[i][s] = (now_us() - t0) / reps;
                    }
                }
                double med[MAXK + 1];
                for (size_t i = 0; i <= nk; i++) med[i] = median(t[i], SAMPLES);
                size_t di = 0;
                for (size_t i = 0; i < nk; i++) if (ks[i] == dense) di = i;
                printf("%4zux%-5zu %5.2f %9.2f %8.2f", rows, cols, sparsities[sp], med[di], med[nk] / med[di]);
                double best = 0;
                for (size_t i = 0; i < nk; i++) {
                    if (i == di) continue;
                    const double r = blobs[i] ? med[di] / med[i] : 0.0;
                    if (r > best) best = r;
                    printf(" %8.2f", r);
                }
                printf(" %8.2f\n", best);
                if (sparsities[sp] == 0.5) best50[si] = best;
                for (size_t i = 0; i < nk; i++) free(blobs[i]);
            }
            free(w); free(x); free(y); free(bias); free(gp);
        }
        printf("median over shapes of the best block format at 50%%, batch %zu: %.2fx\n", batch,
               median(best50, nshapes));
    }
    return 0;
}
