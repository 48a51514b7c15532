// Activation quantization between the f32 graph and the int8 Linear kernels: f32 -> uint8 as
// ONNX QuantizeLinear and uint8 -> f32 as DequantizeLinear (division by the scale, not a
// multiply by its reciprocal, and round-half-to-even: the results are ONNX Runtime's bits).
#include "ukernels.h"

void ep_f32_qu8_quantize_ukernel__scalar(size_t n, const float* x, float scale, int32_t zero_point,
                                         uint8_t* y) {
    const float lo = (float)(0 - zero_point), hi = (float)(255 - zero_point);
    for (size_t i = 0; i < n; i++) {
        float v = x[i] / scale;
        // Clamping before rounding equals ONNX's round-then-saturate (the bounds are integers)
        // and keeps |v| <= 255, where the magic-number add rounds half to even exactly.
        v = v < lo ? lo : v;
        v = v > hi ? hi : v;
        v = v == v ? v : 0.0f;
        v += 12582912.0f;
        uint32_t bits;
        memcpy(&bits, &v, sizeof bits);
        y[i] = (uint8_t)((int32_t)(bits - 0x4B400000u) + zero_point);
    }
}

void ep_qu8_f32_dequantize_ukernel__scalar(size_t n, const uint8_t* x, float scale,
                                           int32_t zero_point, float* y) {
    for (size_t i = 0; i < n; i++) y[i] = (float)((int32_t)x[i] - zero_point) * scale;
}

void ep_qu8_im2col_ukernel__scalar(const ep_conv2d_geometry* g, const uint8_t* input, uint8_t pad,
                                   uint8_t* y) {
    const size_t k = g->in_c * g->k_h * g->k_w, plane = g->in_h * g->in_w;
    const size_t span_w = (g->k_w - 1) * g->dil_w;
    for (size_t oh = 0; oh < g->out_h; oh++) {
        for (size_t ow = 0; ow < g->out_w; ow++) {
            uint8_t* row = y + (oh * g->out_w + ow) * k;
            // Signed positions: leading padding makes them negative.
            const ptrdiff_t iw0 = (ptrdiff_t)(ow * g->stride_w) - (ptrdiff_t)g->pad_left;
            const int inside_w = iw0 >= 0 && iw0 + (ptrdiff_t)span_w < (ptrdiff_t)g->in_w;
            for (size_t c = 0; c < g->in_c; c++) {
                const uint8_t* x = input + c * plane;
                for (size_t i = 0; i < g->k_h; i++, row += g->k_w) {
                    const ptrdiff_t ih = (ptrdiff_t)(oh * g->stride_h + i * g->dil_h) - (ptrdiff_t)g->pad_top;
                    if (ih < 0 || ih >= (ptrdiff_t)g->in_h) {
                        memset(row, pad, g->k_w);
                    } else if (inside_w && g->dil_w == 1) {
                        memcpy(row, x + (size_t)ih * g->in_w + (size_t)iw0, g->k_w);
                    } else {
                        const uint8_t* xr = x + (size_t)ih * g->in_w;
                        for (size_t j = 0; j < g->k_w; j++) {
                            const ptrdiff_t iw = iw0 + (ptrdiff_t)(j * g->dil_w);
                            row[j] = iw < 0 || iw >= (ptrdiff_t)g->in_w ? pad : xr[iw];
                        }
                    }
                }
            }
        }
    }
}

void ep_qu8_f32_dequantize_transpose_ukernel__scalar(size_t pixels, size_t channels, const uint8_t* x,
                                                     float scale, int32_t zero_point, float* y) {
    for (size_t c = 0; c < channels; c++) {
        for (size_t p = 0; p < pixels; p++) y[c * pixels + p] = (float)((int32_t)x[p * channels + c] - zero_point) * scale;
    }
}
