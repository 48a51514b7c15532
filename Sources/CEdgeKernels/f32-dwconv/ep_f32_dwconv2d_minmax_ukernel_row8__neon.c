// AArch64 NEON depthwise convolution vectorised along the output row: blocks of 8 (two q
// accumulators sharing each weight) or 4 output columns whose taps all fall inside the input row
// accumulate every tap in registers, then bias, clamp and store. Stride 1 loads consecutive
// inputs, stride 2 uses vld2q_f32 (de-interleaving load, even lanes). Columns touching the padding
// or the row end, and strides > 2, are computed one at a time with bounds-checked taps.
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

void ep_f32_dwconv2d_minmax_ukernel_row8__neon(
    const ep_conv2d_geometry* g, size_t channels, const float* input, const float* weights,
    const float* bias, float* output, const ep_f32_minmax_params* params) {
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

#endif  // EP_ARCH_ARM64
