// AArch64 NEON depthwise convolution vectorised along the output row: blocks of 8 (two q
// accumulators per chain) or 4 output columns accumulate every tap in registers, then bias, clamp
// and store (lane stores for the last partial block). Stride 1 loads consecutive inputs, stride 2
// uses vld2q_f32 (de-interleaving load, even lanes).
// Fast path (stride_w <= 2 and the padded channel fits a 32 KB stack plane): taps are read from a
// zero-padded copy of the channel. General path: reads the input directly, and columns touching the
// padding (and strides > 2) are computed one at a time with bounds-checked taps.
// Compiles to nothing on other architectures.
#include "../ep_ukernels.h"

#if EP_ARCH_ARM64

#include <arm_neon.h>
#include <math.h>

#define EP_ALWAYS_INLINE static inline __attribute__((always_inline))

// 4 inputs for 4 consecutive outputs of one tap whose first input is p[0], fully in range.
EP_ALWAYS_INLINE float32x4_t load4(const float* p, size_t sw) {
    if (sw == 1) return vld1q_f32(p);
    return vld2q_f32(p).val[0];
}

// General path (any input size, any stride): reads the input directly; columns touching the padding
// are computed one at a time with bounds-checked taps.
static void dwconv_generic(const ep_conv2d_geometry* g, size_t channels, const float* input,
                           const float* weights, const float* bias, float* output,
                           const ep_f32_minmax_params* params) {
    const size_t in_h = g->in_h, in_w = g->in_w, k_h = g->k_h, k_w = g->k_w;
    const size_t sh = g->stride_h, sw = g->stride_w, dh = g->dil_h, dw = g->dil_w;
    const size_t out_h = g->out_h, out_w = g->out_w;
    const ptrdiff_t pt = (ptrdiff_t)g->pad_top, pl = (ptrdiff_t)g->pad_left;
    const float lo = params != NULL ? params->min : -INFINITY;
    const float hi = params != NULL ? params->max : INFINITY;
    const float32x4_t vmin = vdupq_n_f32(lo), vmax = vdupq_n_f32(hi);
    const int vector_ok = sw == 1 || sw == 2;

    // A block at ow can use vector loads iff its first tap starts inside the row
    // (ow >= first_plain) and its last tap's full read ends inside the row.
    const ptrdiff_t off_last = (ptrdiff_t)((k_w - 1) * dw) - pl;
    const size_t first_plain = (size_t)((pl + (ptrdiff_t)sw - 1) / (ptrdiff_t)sw);
#define EP_PLAIN_OK(ow, width)                                                  \
    (vector_ok && (ow) + (width) <= out_w && (ow) >= first_plain &&             \
     (ptrdiff_t)(sw * ((ow) + (width))) + off_last <= (ptrdiff_t)in_w)

    for (size_t c = 0; c < channels; c++) {
        const float* in = input + c * in_h * in_w;
        const float* wc = weights + c * k_h * k_w;
        const float sbias = bias != NULL ? bias[c] : 0.0f;
        const float32x4_t vbias = vdupq_n_f32(sbias);
        float* out = output + c * out_h * out_w;
        for (size_t oh = 0; oh < out_h; oh++, out += out_w) {
            // Kernel rows inside the input (ih is increasing in kh, so they form one range).
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
                if (EP_PLAIN_OK(ow, 8)) {
                    float32x4_t acc0 = vdupq_n_f32(0.0f), acc1 = acc0;
                    for (size_t kh = kh_lo; kh < kh_hi; kh++) {
                        const float* row = in + ((oh * sh + kh * dh) - (size_t)pt) * in_w;
                        const float* wr = wc + kh * k_w;
                        for (size_t kw = 0; kw < k_w; kw++) {
                            const float* p = row + pos0 + (ptrdiff_t)(kw * dw);
                            acc0 = vfmaq_n_f32(acc0, load4(p, sw), wr[kw]);
                            acc1 = vfmaq_n_f32(acc1, load4(p + 4 * sw, sw), wr[kw]);
                        }
                    }
                    vst1q_f32(out + ow, vminq_f32(vmaxq_f32(vaddq_f32(acc0, vbias), vmin), vmax));
                    vst1q_f32(out + ow + 4, vminq_f32(vmaxq_f32(vaddq_f32(acc1, vbias), vmin), vmax));
                    ow += 8;
                } else if (EP_PLAIN_OK(ow, 4)) {
                    float32x4_t acc = vdupq_n_f32(0.0f);
                    for (size_t kh = kh_lo; kh < kh_hi; kh++) {
                        const float* row = in + ((oh * sh + kh * dh) - (size_t)pt) * in_w;
                        const float* wr = wc + kh * k_w;
                        for (size_t kw = 0; kw < k_w; kw++) {
                            acc = vfmaq_n_f32(acc, load4(row + pos0 + (ptrdiff_t)(kw * dw), sw), wr[kw]);
                        }
                    }
                    vst1q_f32(out + ow, vminq_f32(vmaxq_f32(vaddq_f32(acc, vbias), vmin), vmax));
                    ow += 4;
                } else {
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

// Stores the first min(n, 4) lanes of v.
EP_ALWAYS_INLINE void store4(float* dst, float32x4_t v, size_t n) {
    if (n >= 4) {
        vst1q_f32(dst, v);
        return;
    }
    if (n & 2) {
        vst1_f32(dst, vget_low_f32(v));
        if (n & 1) vst1q_lane_f32(dst + 2, v, 2);
    } else {
        vst1q_lane_f32(dst, v, 0);
    }
}

// One channel from its padded plane P (row stride PW). KH_/KW_/SW_ are compile-time constants in
// the specialised copies (3x3, stride 1 or 2: fully unrolled taps) and 0 in the generic copy.
// Taps alternate between two accumulator chains per vector (even / odd tap index) to hide the FMA
// latency. Reads past a plane row land in the next row or the plane's slack and only feed lanes
// that are not stored.
EP_ALWAYS_INLINE void dw_channel(const size_t KH_, const size_t KW_, const size_t SW_,
                                 const ep_conv2d_geometry* g, const float* P, size_t PW,
                                 const float* wc, float b, float* out, float32x4_t vmin,
                                 float32x4_t vmax) {
    const size_t k_h = KH_ ? KH_ : g->k_h, k_w = KW_ ? KW_ : g->k_w, sw = SW_ ? SW_ : g->stride_w;
    const size_t out_h = g->out_h, out_w = g->out_w, sh = g->stride_h;
    const size_t dh_pw = g->dil_h * PW, dw = g->dil_w;
    const float32x4_t vbias = vdupq_n_f32(b);
    for (size_t oh = 0; oh < out_h; oh++, out += out_w) {
        const float* base = P + oh * sh * PW;
        size_t ow = 0;
        for (; ow + 8 <= out_w; ow += 8) {
            float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0;
            const float* row = base + ow * sw;
            for (size_t kh = 0; kh < k_h; kh++, row += dh_pw) {
                for (size_t kw = 0; kw < k_w; kw++) {
                    const size_t t = kh * k_w + kw;
                    const float w = wc[t];
                    const float* p = row + kw * dw;
                    const float32x4_t x0 = load4(p, sw), x1 = load4(p + 4 * sw, sw);
                    if (t & 1) {
                        a2 = vfmaq_n_f32(a2, x0, w);
                        a3 = vfmaq_n_f32(a3, x1, w);
                    } else {
                        a0 = vfmaq_n_f32(a0, x0, w);
                        a1 = vfmaq_n_f32(a1, x1, w);
                    }
                }
            }
            a0 = vaddq_f32(vaddq_f32(a0, a2), vbias);
            a1 = vaddq_f32(vaddq_f32(a1, a3), vbias);
            vst1q_f32(out + ow, vminq_f32(vmaxq_f32(a0, vmin), vmax));
            vst1q_f32(out + ow + 4, vminq_f32(vmaxq_f32(a1, vmin), vmax));
        }
        for (; ow < out_w; ow += 4) {
            float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0;
            const float* row = base + ow * sw;
            for (size_t kh = 0; kh < k_h; kh++, row += dh_pw) {
                for (size_t kw = 0; kw < k_w; kw++) {
                    const size_t t = kh * k_w + kw;
                    const float32x4_t x = load4(row + kw * dw, sw);
                    if (t & 1) {
                        a1 = vfmaq_n_f32(a1, x, wc[t]);
                    } else {
                        a0 = vfmaq_n_f32(a0, x, wc[t]);
                    }
                }
            }
            a0 = vaddq_f32(vaddq_f32(a0, a1), vbias);
            store4(out + ow, vminq_f32(vmaxq_f32(a0, vmin), vmax), out_w - ow);
        }
    }
}

// Fast path: each channel is copied into a zero-padded stack plane (ep_plane_fill), so every
// block of outputs reads its taps with plain loads and no bounds logic.
void ep_f32_dwconv2d_minmax_ukernel_row8__neon(
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
    ep_plane_zero(P, PH * PW + 32);  // + slack: a last block reads up to 4*sw + 4 floats past
    const float32x4_t vmin = vdupq_n_f32(params != NULL ? params->min : -INFINITY);
    const float32x4_t vmax = vdupq_n_f32(params != NULL ? params->max : INFINITY);
    const int is3x3 = k_h == 3 && k_w == 3;
    for (size_t c = 0; c < channels; c++) {
        ep_plane_fill(P, PH, PW, input + c * in_h * in_w, in_h, in_w, g->pad_top, g->pad_left);
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

#endif  // EP_ARCH_ARM64
