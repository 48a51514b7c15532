// Scalar reference depthwise convolution (the oracle): one output at a time, every tap
// bounds-checked, taps summed in (kh, kw) order, then bias, then clamp.
#include "../ep_ukernels.h"

#include <math.h>

void ep_f32_dwconv2d__scalar(const ep_conv2d_geometry* g, size_t channels, const float* input,
                             const float* weights, const float* bias, float* output,
                             const ep_f32_minmax_params* params) {
    const float lo = params != NULL ? params->min : -INFINITY;
    const float hi = params != NULL ? params->max : INFINITY;
    for (size_t c = 0; c < channels; c++) {
        const float* in = input + c * g->in_h * g->in_w;
        const float* w = weights + c * g->k_h * g->k_w;
        float* out = output + c * g->out_h * g->out_w;
        for (size_t oh = 0; oh < g->out_h; oh++) {
            for (size_t ow = 0; ow < g->out_w; ow++) {
                float acc = 0.0f;
                for (size_t kh = 0; kh < g->k_h; kh++) {
                    const ptrdiff_t ih = (ptrdiff_t)(oh * g->stride_h + kh * g->dil_h) -
                                         (ptrdiff_t)g->pad_top;
                    if (ih < 0 || ih >= (ptrdiff_t)g->in_h) continue;
                    for (size_t kw = 0; kw < g->k_w; kw++) {
                        const ptrdiff_t iw = (ptrdiff_t)(ow * g->stride_w + kw * g->dil_w) -
                                             (ptrdiff_t)g->pad_left;
                        if (iw < 0 || iw >= (ptrdiff_t)g->in_w) continue;
                        acc += in[(size_t)ih * g->in_w + (size_t)iw] * w[kh * g->k_w + kw];
                    }
                }
                if (bias != NULL) acc += bias[c];
                acc = acc < lo ? lo : acc;
                acc = acc > hi ? hi : acc;
                out[oh * g->out_w + ow] = acc;
            }
        }
    }
}
