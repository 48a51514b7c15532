// Times the int8 Linear kernels (dense, bsr4x4 and bsr8x4, the preferred variant of each) against the f32
// dense baseline on Linear layers y = W x (W rows x cols) at batch 1 and 8 and several sparsities;
// prints median microseconds and ratios measured in the same run, interleaved.
// The f32 baseline is the f32 "dense" Linear format when ep_f32_linear_list_kernels lists one,
// else ep_f32_gemm with M = batch; both are printed when both exist.
// bsr4x4 is timed on weights pruned in 4 x 4 blocks (the pattern its pruner produces) and, in the
// "unstr" column, on the same sparsity pruned element-wise (a pattern the format handles poorly);
// bsr8x4 (column "q8b8x4") on weights pruned in 8 x 4 blocks at the same sparsity.
// Build (from the repository root), then run; --quick uses fewer repetitions:
//   cc -O3 -I Sources/CEdgeKernels/include $(find Sources/CEdgeKernels -name '*.c')
//      Tests/CKernelTests/bench_qs8.c -lm -o /tmp/bench_qs8 && /tmp/bench_qs8
#include "edge_kernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { ROUNDS = 61 };

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

static void* aligned64(size_t bytes) {
    void* p = NULL;
    if (posix_memalign(&p, 64, bytes < 64 ? 64 : bytes) != 0) exit(2);
    return p;
}

static unsigned g_seed = 12345;
static unsigned rnd(void) {
    g_seed ^= g_seed << 13;
    g_seed ^= g_seed >> 17;
    g_seed ^= g_seed << 5;
    return g_seed;
}
static double unit(void) { return (double)(rnd() % 1000000) / 1000000.0; }

static const ep_qs8_linear_kernel* preferred(const char* format) {
    const ep_qs8_linear_kernel* ks[32];
    const size_t n = ep_qs8_linear_list_kernels(ks, 32);
    const ep_qs8_linear_kernel* best = NULL;
    for (size_t i = 0; i < n && i < 32; i++)
        if (strcmp(ks[i]->format->name, format) == 0) best = ks[i];
    return best;
}

static const ep_f32_linear_kernel* f32_dense_linear(void) {
    const ep_f32_linear_kernel* ks[64];
    const size_t n = ep_f32_linear_list_kernels(ks, 64);
    const ep_f32_linear_kernel* best = NULL;
    for (size_t i = 0; i < n && i < 64; i++)
        if (strcmp(ks[i]->format->name, "dense") == 0) best = ks[i];
    return best;
}

typedef struct {
    void* blob;
    const ep_qs8_linear_kernel* k;
} q8;

static q8 pack_q8(const ep_qs8_linear_kernel* k, size_t rows, size_t cols, const int8_t* w,
                  const float* mult) {
    q8 q = {NULL, k};
    const size_t size = k->format->packed_size(rows, cols, w, cols, 1);
    q.blob = aligned64(size);
    if (k->format->pack(rows, cols, w, cols, 1, NULL, mult, 128, 1, q.blob) != 0) exit(3);
    return q;
}

int main(int argc, char** argv) {
    const int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    static const size_t shapes[][2] = {{256, 256}, {512, 512}, {1024, 1024}, {1024, 64}, {10, 1024}};
    static const double sparsities[] = {0.0, 0.5, 0.7, 0.9, 0.95};
    static const size_t batches[] = {1, 8};
    const ep_qs8_linear_kernel* kd = preferred("dense");
    const ep_qs8_linear_kernel* kb = preferred("bsr4x4");
    const ep_qs8_linear_kernel* k8 = preferred("bsr8x4");
    const ep_f32_gemm_config* g = ep_f32_gemm_get_config();
    const ep_f32_linear_kernel* fl = f32_dense_linear();
    printf("int8 8x4 sparse: %s\n", k8->name);
    printf("int8 dense: %s\nint8 sparse: %s\nf32 gemm: %s (M = batch)\nf32 dense Linear: %s\n",
           kd->name, kb->name, g->name, fl ? fl->name : "(not listed yet)");
    printf("times: median us per call over %d interleaved rounds; ratios = f32 baseline / int8\n",
           ROUNDS);
    printf("%-10s %2s %5s %9s %9s %9s %9s %9s %9s | %7s %7s %7s %7s\n", "rows x cols", "b", "spars",
           "f32_us", "q8dense", "q8bsr", "bsr_unstr", "f32lin", "q8b8x4", "xdense", "xbsr", "xunstr",
           "xb8x4");
    double ratio90[2][8], ratio90_8[2][8];
    size_t nratio90[2] = {0, 0};
    const ep_qs8_output_params out = {0, 1, 0, 255};
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        const size_t rows = shapes[si][0], cols = shapes[si][1];
        float* wf = malloc(sizeof(float) * rows * cols);
        int8_t* wq = malloc(rows * cols);
        int8_t* wu = malloc(rows * cols);
        int8_t* w8 = malloc(rows * cols);
        float* mult = malloc(sizeof(float) * rows);
        float* fpacked = malloc(sizeof(float) * ep_f32_gemm_packed_b_size(cols, rows, g->nr));
        float* xf = malloc(sizeof(float) * 8 * cols);
        float* yf = malloc(sizeof(float) * 8 * rows);
        uint8_t* xq = malloc(8 * cols);
        uint8_t* yq = malloc(8 * rows);
        for (size_t i = 0; i < 8 * cols; i++) {
            xq[i] = (uint8_t)(rnd() & 255);
            xf[i] = (float)unit();
        }
        for (size_t n = 0; n < rows; n++) mult[n] = 1.0f / (64.0f * (float)cols);
        for (size_t pi = 0; pi < sizeof sparsities / sizeof sparsities[0]; pi++) {
            const double sp = sparsities[pi];
            // Block-pruned int8 weights (4 x 4 blocks), element-pruned copy, f32 = dequantized.
            for (size_t n0 = 0; n0 < rows; n0 += 4)
                for (size_t k0 = 0; k0 < cols; k0 += 4) {
                    const int keep = unit() >= sp;
                    for (size_t n = n0; n < n0 + 4 && n < rows; n++)
                        for (size_t k = k0; k < k0 + 4 && k < cols; k++) {
                            int8_t v = (int8_t)((int)(rnd() % 255) - 127);
                            if (v == 0) v = 1;
                            wq[n * cols + k] = keep ? v : 0;
                            wu[n * cols + k] = unit() >= sp ? v : 0;
                            wf[n * cols + k] = wq[n * cols + k] / 127.0f;
                        }
                }
            // The same sparsity in 8 x 4 blocks, for bsr8x4.
            for (size_t n0 = 0; n0 < rows; n0 += 8)
                for (size_t k0 = 0; k0 < cols; k0 += 4) {
                    const int keep = unit() >= sp;
                    for (size_t n = n0; n < n0 + 8 && n < rows; n++)
                        for (size_t k = k0; k < k0 + 4 && k < cols; k++) {
                            const int8_t v = (int8_t)((int)(rnd() % 254) - 126);
                            w8[n * cols + k] = keep ? (v == 0 ? 1 : v) : 0;
                        }
                }
            ep_f32_gemm_pack_b(cols, rows, g->nr, wf, 1, cols, fpacked);
            void* fblob = NULL;
            if (fl != NULL) {
                const size_t fs = fl->format->packed_size(rows, cols, wf, cols, 1);
                fblob = aligned64(fs);
                fl->format->pack(rows, cols, wf, cols, 1, fblob);
            }
            const q8 qd = pack_q8(kd, rows, cols, wq, mult);
            const q8 qb = pack_q8(kb, rows, cols, wq, mult);
            const q8 qu = pack_q8(kb, rows, cols, wu, mult);
            const q8 q8x4 = pack_q8(k8, rows, cols, w8, mult);
            for (size_t bi = 0; bi < 2; bi++) {
                const size_t batch = batches[bi];
                // Inner repetitions: about 2e6 multiply-adds of dense work per timed sample.
                size_t reps = (size_t)(2e6 / ((double)rows * cols * batch)) + 1;
                if (quick) reps = reps / 4 + 1;
                double tf[ROUNDS], td[ROUNDS], tb[ROUNDS], tu[ROUNDS], tl[ROUNDS], t8[ROUNDS];
                for (int r = 0; r < ROUNDS; r++) {
                    double t0 = now_us();
                    for (size_t i = 0; i < reps; i++)
                        ep_f32_gemm(g, batch, rows, cols, xf, cols, fpacked, yf, rows, NULL, NULL, NULL);
                    tf[r] = (now_us() - t0) / reps;
                    t0 = now_us();
                    for (size_t i = 0; i < reps; i++) kd->run(qd.blob, 0, rows, batch, xq, cols, yq, rows, &out);
                    td[r] = (now_us() - t0) / reps;
                    t0 = now_us();
                    for (size_t i = 0; i < reps; i++) kb->run(qb.blob, 0, rows, batch, xq, cols, yq, rows, &out);
                    tb[r] = (now_us() - t0) / reps;
                    t0 = now_us();
                    for (size_t i = 0; i < reps; i++) kb->run(qu.blob, 0, rows, batch, xq, cols, yq, rows, &out);
                    tu[r] = (now_us() - t0) / reps;
                    t0 = now_us();
                    for (size_t i = 0; i < reps; i++) k8->run(q8x4.blob, 0, rows, batch, xq, cols, yq, rows, &out);
                    t8[r] = (now_us() - t0) / reps;
                    tl[r] = 0;
                    if (fl != NULL) {
                        t0 = now_us();
                        for (size_t i = 0; i < reps; i++)
                            fl->run(fblob, 0, rows, batch, xf, cols, yf, rows, NULL, NULL);
                        tl[r] = (now_us() - t0) / reps;
                    }
                }
                const double mf = median(tf, ROUNDS), md = median(td, ROUNDS);
                const double mb = median(tb, ROUNDS), mu = median(tu, ROUNDS);
                const double ml = median(tl, ROUNDS), m8 = median(t8, ROUNDS);
                // The baseline: the best f32 dense available in this run.
                const double base = fl != NULL && ml < mf ? ml : mf;
                printf("%4zux%-5zu %2zu %5.2f %9.2f %9.2f %9.2f %9.2f %9.2f %9.2f | %7.2f %7.2f %7.2f %7.2f\n",
                       rows, cols, batch, sp, mf, md, mb, mu, ml, m8, base / md, base / mb, base / mu,
                       base / m8);
                if (sp == 0.9) {
                    ratio90_8[bi][nratio90[bi]] = base / m8;
                    ratio90[bi][nratio90[bi]++] = base / mb;
                }
            }
            free(qd.blob); free(qb.blob); free(qu.blob); free(q8x4.blob); free(fblob);
        }
        free(wf); free(wq); free(wu); free(w8); free(mult); free(fpacked); free(xf); free(yf); free(xq); free(yq);
    }
    for (size_t bi = 0; bi < 2; bi++) {
        printf("median over shapes, batch %zu, 90%% block sparsity: int8 bsr4x4 is %.2fx the best f32 dense\n",
               batches[bi], median(ratio90[bi], nratio90[bi]));
        printf("median over shapes, batch %zu, 90%% block sparsity: int8 bsr8x4 is %.2fx the best f32 dense\n",
               batches[bi], median(ratio90_8[bi], nratio90[bi]));
    }
    return 0;
}
