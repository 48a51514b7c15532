// AVX2+FMA depthwise convolution vectorised along the output row: blocks of 16 (two ymm
// accumulators sharing each weight broadcast) or 8 output columns accumulate every tap in
// registers, then bias, clamp and one store (masked for the last partial block).
// Fast path (stride_w <= 2 and the padded channel fits a 32 KB stack plane): taps are read from a
// zero-padded copy of the channel with plain loads. General path (large inputs / stride_w > 2):
// reads the input directly; blocks touching the padding use masked loads (lanes outside
// [0, in_w) read as 0 without touching memory). Stride 1 loads 8 consecutive inputs, stride 2 loads
// 16 and keeps the even ones. Compiled with a target attribute (no global -mavx2).
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

// General path (any input size): reads the input directly, masked loads at the borders.
EP_AVX2 static void dwconv_generic(const ep_conv2d_geometry* g, size_t channels,
                                   const float* input, const float* weights, const float* bias,
                                   float* output, const ep_f32_minmax_params* params) {
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

// Stores the first min(n, 8) lanes of v.
EP_ALWAYS_INLINE EP_AVX2 void store8(float* dst, __m256 v, size_t n) {
    if (n >= 8) {
        _mm256_storeu_ps(dst, v);
    } else {
        _mm256_maskstore_ps(dst, _mm256_loadu_si256((const __m256i*)(k_mask_table + 8 - n)), v);
    }
}

// ep_plane_fill with AVX moves, inlined here (the shared helper would be an out-of-line SSE call).
EP_ALWAYS_INLINE EP_AVX2 void fill_plane(float* P, size_t PH, size_t PW, const float* chan,
                                         size_t in_h, size_t in_w, size_t pt, size_t pl) {
    if (pl >= PW || pt >= PH) return;
    const size_t w = in_w < PW - pl ? in_w : PW - pl;
    const size_t h = in_h < PH - pt ? in_h : PH - pt;
    const __m256i tail = _mm256_loadu_si256((const __m256i*)(k_mask_table + 8 - (w & 7)));
    for (size_t y = 0; y < h; y++) {
        float* dst = P + (pt + y) * PW + pl;
        const float* src = chan + y * in_w;
        size_t x = 0;
        for (; x + 8 <= w; x += 8) _mm256_storeu_ps(dst + x, _mm256_loadu_ps(src + x));
        if (x < w) _mm256_maskstore_ps(dst + x, tail, _mm256_maskload_ps(src + x, tail));
    }
}

// One channel from its padded plane P (row stride PW). KH_/KW_/SW_ are compile-time constants in
// the specialised copies (3x3, stride 1 or 2: loops fully unrolled, weights kept in registers) and
// 0 in the generic copy, which uses the run-time kh/kw/sw.
EP_ALWAYS_INLINE EP_AVX2 void dw_channel(const size_t KH_, const size_t KW_, const size_t SW_,
                                         const ep_conv2d_geometry* g, const float* P, size_t PW,
                                         const float* wc, float b, float* out, __m256 vmin,
                                         __m256 vmax) {
    const size_t k_h = KH_ ? KH_ : g->k_h, k_w = KW_ ? KW_ : g->k_w, sw = SW_ ? SW_ : g->stride_w;
    const size_t out_h = g->out_h, out_w = g->out_w, sh = g->stride_h;
    const size_t dh_pw = g->dil_h * PW, dw = g->dil_w;
    const __m256 vbias = _mm256_set1_ps(b);
    // Specialised 3x3: the 9 weights live in registers for the whole channel.
    // (Named registers rather than an array: GCC would keep an array of vectors in memory.)
    const int hoist = KH_ == 3 && KW_ == 3;
    const __m256 w0 = hoist ? _mm256_broadcast_ss(wc + 0) : _mm256_setzero_ps();
    const __m256 w1 = hoist ? _mm256_broadcast_ss(wc + 1) : _mm256_setzero_ps();
    const __m256 w2 = hoist ? _mm256_broadcast_ss(wc + 2) : _mm256_setzero_ps();
    const __m256 w3 = hoist ? _mm256_broadcast_ss(wc + 3) : _mm256_setzero_ps();
    const __m256 w4 = hoist ? _mm256_broadcast_ss(wc + 4) : _mm256_setzero_ps();
    const __m256 w5 = hoist ? _mm256_broadcast_ss(wc + 5) : _mm256_setzero_ps();
    const __m256 w6 = hoist ? _mm256_broadcast_ss(wc + 6) : _mm256_setzero_ps();
    const __m256 w7 = hoist ? _mm256_broadcast_ss(wc + 7) : _mm256_setzero_ps();
    const __m256 w8 = hoist ? _mm256_broadcast_ss(wc + 8) : _mm256_setzero_ps();
#define EP_WEIGHT(t)                                                                          \
    (!hoist ? _mm256_broadcast_ss(wc + (t))                                                   \
     : (t) == 0 ? w0 : (t) == 1 ? w1 : (t) == 2 ? w2 : (t) == 3 ? w3 : (t) == 4 ? w4         \
     : (t) == 5 ? w5 : (t) == 6 ? w6 : (t) == 7 ? w7 : w8)
    // Taps alternate between two accumulator chains per vector (even / odd tap index) so a block
    // is not bound by the FMA latency of one k_h*k_w-long dependency chain; narrow maps
    // (out_w < 16) also do two output rows per iteration.
    size_t oh = 0;
    if (out_w < 16) {
        for (; oh + 2 <= out_h; oh += 2, out += 2 * out_w) {
            const float* base0 = P + oh * sh * PW;
            const float* base1 = base0 + sh * PW;
            for (size_t ow = 0; ow < out_w; ow += 8) {
                __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
                __m256 b0 = _mm256_setzero_ps(), b1 = _mm256_setzero_ps();
                const float* row0 = base0 + ow * sw;
                const float* row1 = base1 + ow * sw;
                for (size_t kh = 0; kh < k_h; kh++, row0 += dh_pw, row1 += dh_pw) {
                    for (size_t kw = 0; kw < k_w; kw++) {
                        const size_t t = kh * k_w + kw;
                        const __m256 vw = EP_WEIGHT(t);
                        const __m256 x0 = load_plain(row0 + kw * dw, 0, sw);
                        const __m256 x1 = load_plain(row1 + kw * dw, 0, sw);
                        if (t & 1) {
                            a1 = _mm256_fmadd_ps(x0, vw, a1);
                            b1 = _mm256_fmadd_ps(x1, vw, b1);
                        } else {
                            a0 = _mm256_fmadd_ps(x0, vw, a0);
                            b0 = _mm256_fmadd_ps(x1, vw, b0);
                        }
                    }
                }
                a0 = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), vbias), vmin), vmax);
                b0 = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(_mm256_add_ps(b0, b1), vbias), vmin), vmax);
                store8(out + ow, a0, out_w - ow);
                store8(out + out_w + ow, b0, out_w - ow);
            }
        }
    }
    for (; oh < out_h; oh++, out += out_w) {
        const float* base = P + oh * sh * PW;
        size_t ow = 0;
        for (; ow + 16 <= out_w; ow += 16) {
            __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
            __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
            const float* row = base + ow * sw;
            for (size_t kh = 0; kh < k_h; kh++, row += dh_pw) {
                for (size_t kw = 0; kw < k_w; kw++) {
                    const size_t t = kh * k_w + kw;
                    const __m256 vw = EP_WEIGHT(t);
                    const float* p = row + kw * dw;
                    const __m256 x0 = load_plain(p, 0, sw);
                    const __m256 x1 = load_plain(p, (ptrdiff_t)(8 * sw), sw);
                    if (t & 1) {
                        acc2 = _mm256_fmadd_ps(x0, vw, acc2);
                        acc3 = _mm256_fmadd_ps(x1, vw, acc3);
                    } else {
                        acc0 = _mm256_fmadd_ps(x0, vw, acc0);
                        acc1 = _mm256_fmadd_ps(x1, vw, acc1);
                    }
                }
            }
            acc0 = _mm256_add_ps(_mm256_add_ps(acc0, acc2), vbias);
            acc1 = _mm256_add_ps(_mm256_add_ps(acc1, acc3), vbias);
            acc0 = _mm256_min_ps(_mm256_max_ps(acc0, vmin), vmax);
            acc1 = _mm256_min_ps(_mm256_max_ps(acc1, vmin), vmax);
            _mm256_storeu_ps(out + ow, acc0);
            _mm256_storeu_ps(out + ow + 8, acc1);
        }
        for (; ow < out_w; ow += 8) {
            __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
            const float* row = base + ow * sw;
            for (size_t kh = 0; kh < k_h; kh++, row += dh_pw) {
                for (size_t kw = 0; kw < k_w; kw++) {
                    const size_t t = kh * k_w + kw;
                    const __m256 x = load_plain(row + kw * dw, 0, sw);
                    if (t & 1) {
                        acc1 = _mm256_fmadd_ps(x, EP_WEIGHT(t), acc1);
                    } else {
                        acc0 = _mm256_fmadd_ps(x, EP_WEIGHT(t), acc0);
                    }
                }
            }
            __m256 acc = _mm256_add_ps(_mm256_add_ps(acc0, acc1), vbias);
            acc = _mm256_min_ps(_mm256_max_ps(acc, vmin), vmax);
            store8(out + ow, acc, out_w - ow);
        }
    }
#undef EP_WEIGHT
}

// Fast path: each channel is copied into a zero-padded stack plane (ep_plane_fill), so every
// block of outputs reads its taps with plain loads and no bounds logic. Reads past the end of a
// plane row land in the next row or the plane's slack and only feed lanes that are not stored.
EP_AVX2 void ep_f32_dwconv2d_minmax_ukernel_row16__avx2_fma(
    const ep_conv2d_geometry* g, size_t channels, const float* input, const float* weights,
    const float* bias, float* output, const ep_f32_minmax_params* params) {
    const size_t in_h = g->in_h, in_w = g->in_w, k_h = g->k_h, k_w = g->k_w;
    const size_t sh = g->stride_h, sw = g->stride_w, dh = g->dil_h, dw = g->dil_w;
    const size_t out_h = g->out_h, out_w = g->out_w;
    if (out_h == 0 || out_w == 0 || channels == 0) return;
    const size_t PH = (out_h - 1) * sh + (k_h - 1) * dh + 1;
    const size_t PW = (out_w - 1) * sw + (k_w - 1) * dw + 1;
    if (sw > 2 || PH > EP_PLANE_MAX || PW > EP_PLANE_MAX || PH * PW > EP_PLANE_MAX) {
        dwconv_generic(g, channels, input, weights, bias, output, params);
        return;
    }
    float P[EP_PLANE_MAX + 64];
    ep_plane_zero(P, PH * PW + 32);  // + slack: a last block reads up to 8*sw + 8 floats past
    const __m256 vmin = _mm256_set1_ps(params != NULL ? params->min : -INFINITY);
    const __m256 vmax = _mm256_set1_ps(params != NULL ? params->max : INFINITY);
    const int is3x3 = k_h == 3 && k_w == 3;
    for (size_t c = 0; c < channels; c++) {
        fill_plane(P, PH, PW, input + c * in_h * in_w, in_h, in_w, g->pad_top, g->pad_left);
        const float* wc = weights + c * k_h * k_w;
        const float b = bias != NULL ? bias[c] : 0.0f;
        float* out = output + c * out_h * out_w;
        if (is3x3 && sw == 1) {
            dw_channel(3, 3, 1, g, P, PW, wc, b, out, vmin, vmax);
        } else if (is3x3 && sw == 2) {
            dw_channel(3, 3, 2, g, P, PW, wc, b, out, vmin, vmax);
        } else {
            dw_channel(0, 0, 0, g, P, PW, wc, b, out, vmin, vmax);
        }
    }
}

#endif  // EP_ARCH_X86_64
