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
