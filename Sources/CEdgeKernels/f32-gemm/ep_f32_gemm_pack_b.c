// Packing of the GEMM right-hand side into nr-column panels (the layout every microkernel reads):
// panel p holds B[k, p*nr + j] at packed[p*K*nr + k*nr + j]; the last panel is zero-padded.
#include "../ep_ukernels.h"

#include <string.h>

size_t ep_f32_gemm_packed_b_size(size_t k, size_t n, size_t nr) {
    const size_t panels = (n + nr - 1) / nr;
    return panels * k * nr;
}

void ep_f32_gemm_pack_b(size_t k, size_t n, size_t nr, const float* b, size_t rs, size_t cs,
                        float* packed) {
    for (size_t n0 = 0; n0 < n; n0 += nr) {
        const size_t cols = n - n0 < nr ? n - n0 : nr;
        const float* src = b + n0 * cs;
        if (cs == 1) {
            // Row-major B: each packed row is a contiguous slice of a B row.
            if (cols == nr && nr % 8 == 0) {
                // Full panel of a multiple of 8 columns (the common case): inline 8-float moves,
                // no per-row memcpy call.
                for (size_t p = 0; p < k; p++) {
                    const float* s = src + p * rs;
                    for (size_t j = 0; j < nr; j += 8) ep_copy8(packed + j, s + j);
                    packed += nr;
                }
            } else {
                for (size_t p = 0; p < k; p++) {
                    memcpy(packed, src + p * rs, cols * sizeof(float));
                    for (size_t j = cols; j < nr; j++) packed[j] = 0.0f;
                    packed += nr;
                }
            }
        } else {
            // General / transposed B (e.g. weights W[n, k] with rs = 1, cs = K): walk each source
            // column contiguously in k and scatter into the panel, 64 values of k at a time so the
            // scattered writes stay in a few KiB of the panel (a whole-panel sweep per column
            // misses the cache on every write for large K).
            enum { KTILE = 64 };
            for (size_t p0 = 0; p0 < k; p0 += KTILE) {
                const size_t p1 = k - p0 < KTILE ? k : p0 + KTILE;
                for (size_t j = 0; j < cols; j++) {
                    const float* col = src + j * cs;
                    for (size_t p = p0; p < p1; p++) packed[p * nr + j] = col[p * rs];
                }
                for (size_t p = p0; p < p1; p++) {
                    for (size_t j = cols; j < nr; j++) packed[p * nr + j] = 0.0f;
                }
            }
            packed += k * nr;
        }
    }
}
