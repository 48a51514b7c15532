// Times sparse convolution in GEMM form (ep_f32_spmm_pixels_* kernels) against the runtime's dense
// path (ConvKernel: im2col packed or pack_b, then ep_f32_gemm with the selected config), in one
// process, rounds interleaved, medians of many rounds:
//   3x3 conv 16->32 on 32x32, pad 1: im2col packed (nr = the GEMM's) + ep_f32_gemm, vs im2col
//       packed (nr = the kernel's pixel tile, or 64, or the whole image) + the kernel per panel;
//   1x1 conv 64->64 on 32x32: pack_b + ep_f32_gemm, vs the kernel straight on the NCHW input;
// at several sparsities, with unstructured zeros and with 4x1 blocks (4 output channels x 1 k).
// Prints median microseconds and speedups (dense time / sparse time).
// Build (one line): cc -O3 -I Sources/CEdgeKernels/include $(find Sources/CEdgeKernels -name '*.c')
//                   Tests/CKernelTests/bench_conv_sparse.c -lm -o /tmp/bench_conv_sparse
#include "edge_kernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { ROUNDS = 101 };

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

static unsigned long long g_state = 0x243F6A8885A308D3ULL;
static double uniform(void) {
    g_state ^= g_state << 13;
    g_state ^= g_state >> 7;
    g_state ^= g_state << 17;
    return (double)(g_state >> 11) / 9007199254740992.0;
}

// W (rows x cols) with zeros at `sparsity`: unstructured, or in 4x1 blocks (4 rows, one column).
static void make_weights(float* w, size_t rows, size_t cols, double sparsity, int blocks) {
    for (size_t i = 0; i < rows * cols; i++) w[i] = (float)(uniform() - 0.5);
    if (blocks) {
        for (size_t r0 = 0; r0 < rows; r0 += 4)
            for (size_t c = 0; c < cols; c++)
                if (uniform() < sparsity)
                    for (size_t r = r0; r < r0 + 4 && r < rows; r++) w[r * cols + c] = 0.0f;
    } else {
        for (size_t i = 0; i < rows * cols; i++) if (uniform() < sparsity) w[i] = 0.0f;
    }
}

static void* blob_for(const ep_f32_spmm_pixels_format* f, size_t rows, size_t cols, const float* w) {
    const size_t size = f->packed_size(rows, cols, w, cols, 1);
    void* p = NULL;
    if (size == 0 || posix_memalign(&p, 64, size) != 0) return NULL;
    const char* what = "";
    size_t where = 0;
    if (f->pack(rows, cols, w, cols, 1, p) != 0 || f->validate(p, size, rows, cols, &what, &where) != 0) {
        fprintf(stderr, "%s: pack/validate failed: %s\n", f->name, what);
        exit(1);
    }
    return p;
}

// The preferred (last listed) kernel of a format.
static const ep_f32_spmm_pixels_kernel* preferred(const char* format) {
    const ep_f32_spmm_pixels_kernel* ks[32];
    const size_t n = ep_f32_spmm_pixels_list_kernels(ks, 32);
    const ep_f32_spmm_pixels_kernel* best = NULL;
    for (size_t i = 0; i < n && i < 32; i++)
        if (strcmp(ks[i]->format->name, format) == 0) best = ks[i];
    return best;
}

typedef struct {
    const ep_conv2d_geometry* g;  // NULL: pointwise (kernel straight on the NCHW input)
    size_t out_c, K, N;
    const float* input;
    float* packed;                // im2col / pack_b scratch
    float* y;
    const float* bias;
    const ep_f32_minmax_params* params;
} conv_problem;

static void run_dense(const conv_problem* c, const ep_f32_gemm_config* cfg, const float* w) {
    if (c->g != NULL) ep_f32_im2col_packed(c->g, cfg->nr, c->input, c->packed);
    else ep_f32_gemm_pack_b(c->K, c->N, cfg->nr, c->input, c->N, 1, c->packed);
    ep_f32_gemm(cfg, c->out_c, c->N, c->K, w, c->K, c->packed, c->y, c->N, c->bias, NULL, c->params);
}

// nr: im2col panel width (ignored for pointwise).
static void run_sparse(const conv_problem* c, const ep_f32_spmm_pixels_kernel* k, const void* blob,
                       size_t nr) {
    if (c->g == NULL) {
        k->run(blob, 0, c->out_c, c->N, c->input, c->N, c->y, c->N, c->bias, c->params);
        return;
    }
    ep_f32_im2col_packed(c->g, nr, c->input, c->packed);
    for (size_t p0 = 0; p0 < c->N; p0 += nr) {
        const size_t pixels = c->N - p0 < nr ? c->N - p0 : nr;
        k->run(blob, 0, c->out_c, pixels, c->packed + p0 * c->K, nr, c->y + p0, c->N, c->bias,
               c->params);
    }
}

static double max_diff(const float* a, const float* b, size_t n) {
    double d = 0.0;
    for (size_t i = 0; i < n; i++) d = fmax(d, fabs((double)a[i] - b[i]));
    return d;
}

// One layer at every sparsity and pattern.
static void bench_layer(const char* title, const ep_conv2d_geometry* g, size_t in_c, size_t out_c,
                        size_t K, size_t N, int reps) {
    static const double sparsities[] = {0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95};
    const ep_f32_gemm_config* cfg = ep_f32_gemm_get_config();
    const ep_f32_spmm_pixels_kernel* kd = preferred("dense");
    const ep_f32_spmm_pixels_kernel* kc = preferred("csr");
    const ep_f32_spmm_pixels_kernel* kb = preferred("bsr4x1");
    // Panel widths for the kxk case: the kernel's tile (csr), 64, the whole image.
    const size_t nr_tile = kc->pixel_tile, nr_wide = 64, nr_all = N;
    float* input = malloc(sizeof(float) * in_c * N * 4);
    for (size_t i = 0; i < in_c * N * 4; i++) input[i] = (float)uniform();
    size_t scratch = ep_f32_gemm_packed_b_size(K, N, cfg->nr);
    const size_t widths[] = {nr_tile, nr_wide, nr_all, 16};
    for (size_t i = 0; i < 4; i++) {
        const size_t s = ep_f32_gemm_packed_b_size(K, N, widths[i]);
        if (s > scratch) scratch = s;
    }
    float* packed = aligned_alloc(64, sizeof(float) * (scratch + 16) / 16 * 16);
    float* w = malloc(sizeof(float) * out_c * K);
    float* bias = malloc(sizeof(float) * out_c);
    float* y_ref = malloc(sizeof(float) * out_c * N);
    float* y = malloc(sizeof(float) * out_c * N);
    for (size_t i = 0; i < out_c; i++) bias[i] = (float)(uniform() - 0.5);
    const ep_f32_minmax_params relu = {0.0f, INFINITY};
    conv_problem c = {g, out_c, K, N, input, packed, y, bias, &relu};
    printf("\n== %s (K=%zu, pixels=%zu, out=%zu); dense = %s%s\n", title, K, N, out_c,
           g ? "im2col+" : "pack_b+", cfg->name);
    if (g)
        printf("%-6s %5s %8s | %8s %7s | %8s %6s %6s %6s | %8s %6s %6s | %s\n", "zeros", "spars",
               "gemm_us", "dfmt_us", "x", "csr_us", "x", "x@64", "x@all", "bsr_us", "x", "x@64",
               "stored csr/bsr");
    else
        printf("%-6s %5s %8s | %8s %7s | %8s %6s | %8s %6s | %s\n", "zeros", "spars", "gemm_us",
               "dfmt_us", "x", "csr_us", "x", "bsr_us", "x", "stored csr/bsr");
    for (int blocks = 0; blocks <= 1; blocks++) {
        for (size_t si = 0; si < sizeof sparsities / sizeof sparsities[0]; si++) {
            make_weights(w, out_c, K, sparsities[si], blocks);
            void* bd = blob_for(kd->format, out_c, K, w);
            void* bc = blob_for(kc->format, out_c, K, w);
            void* bb = blob_for(kb->format, out_c, K, w);
            // Sanity: every path computes the same output.
            run_dense(&c, cfg, w);
            memcpy(y_ref, y, sizeof(float) * out_c * N);
            double diff = 0.0;
            run_sparse(&c, kc, bc, nr_tile); diff = fmax(diff, max_diff(y, y_ref, out_c * N));
            run_sparse(&c, kb, bb, kb->pixel_tile); diff = fmax(diff, max_diff(y, y_ref, out_c * N));
            run_sparse(&c, kd, bd, kd->pixel_tile); diff = fmax(diff, max_diff(y, y_ref, out_c * N));
            if (diff > 1e-3) printf("WARNING: outputs differ by %g\n", diff);
            enum { T_GEMM, T_DFMT, T_CSR, T_CSR64, T_CSRALL, T_BSR, T_BSR64, T_COUNT };
            double t[T_COUNT][ROUNDS];
            for (int r = 0; r < ROUNDS; r++) {
                for (int which = 0; which < T_COUNT; which++) {
                    if (!g && (which == T_CSR64 || which == T_CSRALL || which == T_BSR64)) {
                        t[which][r] = 1.0;
                        continue;
                    }
                    const double t0 = now_us();
                    for (int rep = 0; rep < reps; rep++) {
                        switch (which) {
                            case T_GEMM: run_dense(&c, cfg, w); break;
                            case T_DFMT: run_sparse(&c, kd, bd, kd->pixel_tile); break;
                            case T_CSR: run_sparse(&c, kc, bc, nr_tile); break;
                            case T_CSR64: run_sparse(&c, kc, bc, nr_wide); break;
                            case T_CSRALL: run_sparse(&c, kc, bc, nr_all); break;
                            case T_BSR: run_sparse(&c, kb, bb, kb->pixel_tile); break;
                            default: run_sparse(&c, kb, bb, nr_wide); break;
                        }
                    }
                    t[which][r] = (now_us() - t0) / reps;
                }
            }
            double m[T_COUNT];
            for (int i = 0; i < T_COUNT; i++) m[i] = median(t[i], ROUNDS);
            const char* pat = blocks ? "4x1" : "unstr";
            if (g)
                printf("%-6s %5.2f %8.1f | %8.1f %7.2f | %8.1f %6.2f %6.2f %6.2f | %8.1f %6.2f %6.2f | %zu/%zu\n",
                       pat, sparsities[si], m[T_GEMM], m[T_DFMT], m[T_GEMM] / m[T_DFMT], m[T_CSR],
                       m[T_GEMM] / m[T_CSR], m[T_GEMM] / m[T_CSR64], m[T_GEMM] / m[T_CSRALL],
                       m[T_BSR], m[T_GEMM] / m[T_BSR], m[T_GEMM] / m[T_BSR64],
                       kc->format->stored(bc), kb->format->stored(bb));
            else
                printf("%-6s %5.2f %8.1f | %8.1f %7.2f | %8.1f %6.2f | %8.1f %6.2f | %zu/%zu\n", pat,
                       sparsities[si], m[T_GEMM], m[T_DFMT], m[T_GEMM] / m[T_DFMT], m[T_CSR],
                       m[T_GEMM] / m[T_CSR], m[T_BSR], m[T_GEMM] / m[T_BSR],
                       kc->format->stored(bc), kb->format->stored(bb));
            free(bd); free(bc); free(bb);
        }
    }
    free(input); free(packed); free(w); free(bias); free(y_ref); free(y);
}

int main(void) {
    const ep_f32_spmm_pixels_kernel* ks[32];
    const size_t n = ep_f32_spmm_pixels_list_kernels(ks, 32);
    printf("kernels:");
    for (size_t i = 0; i < n && i < 32; i++) printf(" %s", ks[i]->name);
    printf("\nx = dense time / this time (ReLU, bias); x@64 / x@all: im2col panels 64 wide / one panel\n");
    const ep_conv2d_geometry g3 = {16, 32, 32, 3, 3, 1, 1, 1, 1, 1, 1, 32, 32};
    bench_layer("3x3 conv 16->32 on 32x32, pad 1", &g3, 16, 32, 16 * 9, 32 * 32, 5);
    bench_layer("1x1 conv 64->64 on 32x32", NULL, 64, 64, 64, 32 * 32, 5);
    return 0;
}
