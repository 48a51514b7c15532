// The scalar N:M reference loop shared by the nm2:4 and nm4:8 reference kernels.
#ifndef EP_F32_SPMM_NM_SCALAR_H
#define EP_F32_SPMM_NM_SCALAR_H

#include <math.h>

#include "ukernels.h"

static inline void ep_nm_scalar(const void* packed, size_t row_begin, size_t row_end, size_t batch,
                                const float* x, size_t ldx, float* y, size_t ldy,
                                const float* bias, const ep_f32_minmax_params* params) {
    const ep_f32_nm_header* h = packed;
    const unsigned char* blob = packed;
    const size_t n = h->n, m = h->m, groups = h->groups;
    const unsigned bits = m == 4 ? 2 : 3;
    const float* val = (const float*)(blob + h->off_val);
    const uint8_t* meta = blob + h->off_meta;
    const float lo = params != NULL ? params->min : -INFINITY;
    const float hi = params != NULL ? params->max : INFINITY;
    for (size_t r = row_begin; r < row_end; r++) {
        const size_t p = r / 8;
        const unsigned lane = (unsigned)(r % 8);
        for (size_t b = 0; b < batch; b++) {
            const float* xb = x + b * ldx;
            float acc = 0.0f;
            for (size_t g = 0; g < groups; g++) {
                const size_t block = p * groups + g;
                for (unsigned s = 0; s < n; s++) {
                    const size_t c = g * m + ep_nm_index(meta + block * n * bits, bits, s, lane);
                    acc += val[(block * n + s) * 8 + lane] * xb[c];
                }
            }
            float v = acc + (bias != NULL ? bias[r] : 0.0f);
            v = v < lo ? lo : v;
            v = v > hi ? hi : v;
            y[b * ldy + r] = v;
        }
    }
}

#endif
