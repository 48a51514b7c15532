// AVX2+FMA depthwise convolution vectorised along the output row: blocks of 16 (two ymm
// accumulators sharing each weight broadcast) or 8 output columns accumulate every tap in registers,
// then bias, clamp and one store. Blocks whose taps all fall inside the input row use plain loads;
// blocks touching the left/right padding or the row end use masked loads (lanes outside
// [0, in_w) read as 0 and never touch memory) and a masked store for the final partial block.
// Stride 1 loads 8 consecutive inputs; stride 2 loads 16 and keeps the even ones; other strides
// fall back to one output at a time. Compiled with a target attribute (no global -mavx2).
#include "../ep_ukernels.h"

#if EP_ARCH_X86_64

#include <immintrin.h>
#include <math.h>

#define EP_AVX2 __attribute__((target("avx2,fma")))
#define EP_ALWAYS_INLINE static inline __attribute__((always_inline))

static const int32_t k_mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

// Address of element `pos` (may be negative) of `row`, computed without out-of-bounds pointer
// arithmetic; masked loads only dereference the in-range lanes.
EP_ALWAYS_INLINE const float* at(const float* row, ptrdiff_t pos) {
    return (const float*)((uintptr_t)row + (uintptr_t)(pos * (ptrdiff_t)sizeof(float)));
}

// Even elements of the 16 floats lo:hi, in order.
EP_ALWAYS_INLINE EP_AVX2 __m256 even_lanes(__m256 lo, __m256 hi) {
    const __m256 sh = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(sh), _MM_SHUFFLE(3, 1, 2, 0)));
}

// 8 inputs for outputs ow..ow+7 of one tap whose first input is row[pos], fully in range.
EP_ALWAYS_INLINE EP_AVX2 __m256 load_plain(const float* row, ptrdiff_t pos, size_t sw) {
    const float* p = row + pos;
    if (sw == 1) return _mm256_loadu_ps(p);
    return even_lanes(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8));
}

// Same, but lanes whose input position is outside [0, in_w) read as 0 without being accessed.
EP_ALWAYS_INLINE EP_AVX2 __m256 load_masked(const float* row, ptrdiff_t pos, size_t sw,
                                            __m256i iota, __m256i vin_w) {
    const __m256i minus1 = _mm256_set1_epi32(-1);
    const __m256i p0 = _mm256_add_epi32(_mm256_set1_epi32((int32_t)pos), iota);
    const __m256i m0 = _mm256_and_si256(_mm256_cmpgt_epi32(vin_w, p0), _mm256_cmpgt_epi32(p0, minus1));
    const __m256 v0 = _mm256_maskload_ps(at(row, pos), m0);
    if (sw == 1) return v0;
    const __m256i p1 = _mm256_add_epi32(p0, _mm256_set1_epi32(8));
    const __m256i m1 = _mm256_and_si256(_mm256_cmpgt_epi32(vin_w, p1), _mm256_cmpgt_epi32(p1, minus1));
    const __m256 v1 = _mm256_maskload_ps(at(row, pos + 8), m1);
    return even_lanes(v0, v1);
}

EP_AVX2 void ep_f32_dwconv2d_minmax_ukernel_row16__avx2_fma(
    const ep_conv2d_geometry* g, size_t channels, const float* input, const float* weights,
    const float* bias, float* output, const ep_f32_minmax_params* params) {
    const size_t in_h = g->in_h, in_w = g->in_w, k_h = g->k_h, k_w = g->k_w;
    const size_t sh = g->stride_h, sw = g->stride_w, dh = g->dil_h, dw = g->dil_w;
    const size_t out_h = g->out_h, out_w = g->out_w;
    const ptrdiff_t pt = (ptrdiff_t)g->pad_top, pl = (ptrdiff_t)g->pad_left;
    const float lo = params != NULL ? params->min : -INFINITY;
    const float hi = params != NULL ? params->max : INFINITY;
    const __m256 vmin = _mm256_set1_ps(lo), vmax = _mm256_set1_ps(hi);
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i vin_w = _mm256_set1_epi32((int32_t)in_w);
    const int vector_ok = sw == 1 || sw == 2;

    // A block at ow can use plain loads iff its first tap starts inside the row (ow >= first_plain)
    // and its last tap's full vector read ends inside the row.
    const ptrdiff_t off_last = (ptrdiff_t)((k_w - 1) * dw) - pl;
    const size_t first_plain = (size_t)((pl + (ptrdiff_t)sw - 1) / (ptrdiff_t)sw);
#define EP_PLAIN_OK(ow, width) \
    ((ow) >= first_plain && (ptrdiff_t)(sw * ((ow) + (width))) + off_last <= (ptrdiff_t)in_w)

    for (size_t c = 0; c < channels; c++) {
        const float* in = input + c * in_h * in_w;
        const float* wc = weights + c * k_h * k_w;
        const __m256 vbias = _mm256_set1_ps(bias != NULL ? bias[c] : 0.0f);
        const float sbias = bias != NULL ? bias[c] : 0.0f;
        float* out = output + c * out_h * out_w;
        for (size_t oh = 0; oh < out_h; oh++, out += out_w) {
            // Kernel rows inside the input for this output row (ih is increasing in kh, so they
            // form one range).
            size_t kh_lo = 0, kh_hi = 0;
            for (size_t kh = 0; kh < k_h; kh++) {
                const ptrdiff_t ih = (ptrdiff_t)(oh * sh + kh * dh) - pt;
                if (ih >= 0 && ih < (ptrdiff_t)in_h) {
                    if (kh_hi == 0) kh_lo = kh;
                    kh_hi = kh + 1;
                }
            }
            size_t ow = 0;
            while (ow < out_w) {
                const ptrdiff_t pos0 = (ptrdiff_t)(ow * sw) - pl;
                if (vector_ok && ow + 16 <= out_w && EP_PLAIN_OK(ow, 16)) {
                    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
                    for (size_t kh = kh_lo; kh < kh_hi; kh++) {
                        const float* row = in + ((oh * sh + kh * dh) - (size_t)pt) * in_w;
                        const float* wr = wc + kh * k_w;
                        for (size_t kw = 0; kw < k_w; kw++) {
                            const __m256 vw = _mm256_broadcast_ss(wr + kw);
                            const ptrdiff_t pos = pos0 + (ptrdiff_t)(kw * dw);
                            acc0 = _mm256_fmadd_ps(load_plain(row, pos, sw), vw, acc0);
                            acc1 = _mm256_fmadd_ps(load_plain(row, pos + (ptrdiff_t)(8 * sw), sw), vw, acc1);
                        }
                    }
                    acc0 = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(acc0, vbias), vmin), vmax);
                    acc1 = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(acc1, vbias), vmin), vmax);
                    _mm256_storeu_ps(out + ow, acc0);
                    _mm256_storeu_ps(out + ow + 8, acc1);
                    ow += 16;
                } else if (vector_ok) {
                    const int plain = ow + 8 <= out_w && EP_PLAIN_OK(ow, 8);
                    __m256 acc = _mm256_setzero_ps();
                    for (size_t kh = kh_lo; kh < kh_hi; kh++) {
                        const float* row = in + ((oh * sh + kh * dh) - (size_t)pt) * in_w;
                        const float* wr = wc + kh * k_w;
                        for (size_t kw = 0; kw < k_w; kw++) {
                            const __m256 vw = _mm256_broadcast_ss(wr + kw);
                            const ptrdiff_t pos = pos0 + (ptrdiff_t)(kw * dw);
                            const __m256 vi = plain ? load_plain(row, pos, sw)
                                                    : load_masked(row, pos, sw, iota, vin_w);
                            acc = _mm256_fmadd_ps(vi, vw, acc);
                        }
                    }
                    acc = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(acc, vbias), vmin), vmax);
                    if (ow + 8 <= out_w) {
                        _mm256_storeu_ps(out + ow, acc);
                    } else {
                        const __m256i m = _mm256_loadu_si256(
                            (const __m256i*)(k_mask_table + 8 - (out_w - ow)));
                        _mm256_maskstore_ps(out + ow, m, acc);
                    }
                    ow += 8;
                } else {
                    // Stride > 2: one output at a time, taps bounds-checked.
                    float acc = 0.0f;
                    for (size_t kh = kh_lo; kh < kh_hi; kh++) {
                        const float* row = in + ((oh * sh + kh * dh) - (size_t)pt) * in_w;
                        for (size_t kw = 0; kw < k_w; kw++) {
                            const ptrdiff_t iw = pos0 + (ptrdiff_t)(kw * dw);
                            if (iw >= 0 && iw < (ptrdiff_t)in_w) acc += row[iw] * wc[kh * k_w + kw];
                        }
                    }
                    acc += sbias;
                    acc = acc < lo ? lo : acc;
                    acc = acc > hi ? hi : acc;
                    out[ow] = acc;
                    ow += 1;
                }
            }
        }
    }
#undef EP_PLAIN_OK
}

#endif  // EP_ARCH_X86_64
