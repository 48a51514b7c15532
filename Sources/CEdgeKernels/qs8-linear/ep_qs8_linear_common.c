// Shared pieces of the int8 Linear formats: shape limits, the header / bias / multiplier part of
// pack and validate, and per-row symmetric weight quantization.
#include "ukernels.h"

#include <math.h>

static int finite_f32(float v) {
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    return (bits & 0x7f800000u) != 0x7f800000u;
}

static uint32_t ep_qs8_magic_of(int kind) {
    return kind == EP_QS8_KIND_BSR8X4   ? (uint32_t)EP_QS8_MAGIC_BSR8X4
           : kind == EP_QS8_KIND_BSR4X4 ? (uint32_t)EP_QS8_MAGIC_BSR4X4
                                        : (uint32_t)EP_QS8_MAGIC_DENSE;
}

int ep_qs8_shape_ok(size_t rows, size_t cols) {
    return rows >= 1 && rows <= EP_QS8_MAX_ROWS && cols >= 1 && cols <= EP_QS8_MAX_COLS;
}

int ep_qs8_pack_common(int kind, size_t rows, size_t cols, const int8_t* w, size_t rs, size_t cs,
                       const int32_t* bias, const float* multiplier, int32_t x_zero_point,
                       int x_unsigned, size_t blocks, void* dst) {
    if (!ep_qs8_shape_ok(rows, cols) || multiplier == NULL) return -1;
    if (x_unsigned ? (x_zero_point < 0 || x_zero_point > 255)
                   : (x_zero_point < -128 || x_zero_point > 127)) return -1;
    for (size_t n = 0; n < rows; n++) {
        if (!finite_f32(multiplier[n])) return -1;
    }
    const ep_qs8_layout l = ep_qs8_layout_of(kind, rows, cols, blocks);
    ep_qs8_linear_header h;
    memset(&h, 0, sizeof h);
    h.magic = ep_qs8_magic_of(kind);
    h.version = EP_QS8_VERSION;
    h.rows = (uint32_t)rows;
    h.cols = (uint32_t)cols;
    h.x_unsigned = x_unsigned ? 1 : 0;
    h.x_zero_point = x_zero_point;
    h.blocks = (uint32_t)blocks;
    h.size = l.total;
    memcpy(dst, &h, sizeof h);
    int32_t* bias_raw = (int32_t*)((char*)dst + l.bias_raw);
    int32_t* bias_flip = (int32_t*)((char*)dst + l.bias_flip);
    float* mult = (float*)((char*)dst + l.mult);
    for (size_t n = 0; n < l.padded_rows; n++) {
        if (n >= rows) {
            bias_raw[n] = bias_flip[n] = 0;
            mult[n] = 0.0f;
            continue;
        }
        int64_t sum = 0;
        for (size_t k = 0; k < cols; k++) sum += w[n * rs + k * cs];
        const int64_t b = bias != NULL ? bias[n] : 0;
        // Wrapping int32 arithmetic, as in the kernels' accumulators.
        bias_raw[n] = (int32_t)(uint32_t)(uint64_t)(b - (int64_t)x_zero_point * sum);
        bias_flip[n] = x_unsigned
            ? (int32_t)(uint32_t)(uint64_t)(b - (int64_t)(x_zero_point - 128) * sum)
            : bias_raw[n];
        mult[n] = multiplier[n];
    }
    return 0;
}

#define FAIL(message, index) \
    do {                     \
        *what = (message);   \
        *where = (index);    \
        return 1;            \
    } while (0)

int ep_qs8_validate_common(int kind, const void* packed, size_t size, size_t rows, size_t cols,
                           const char** what, size_t* where, size_t* blocks) {
    *what = NULL;
    *where = 0;
    if (packed == NULL || ((uintptr_t)packed & 63) != 0) FAIL("blob not 64-byte aligned", 0);
    if (size < sizeof(ep_qs8_linear_header)) FAIL("blob smaller than its header", size);
    ep_qs8_linear_header h;
    memcpy(&h, packed, sizeof h);
    if (h.magic != ep_qs8_magic_of(kind))
        FAIL("wrong magic (not this format)", 0);
    if (h.version != EP_QS8_VERSION) FAIL("unsupported version", h.version);
    if (!ep_qs8_shape_ok(rows, cols)) FAIL("shape out of range", rows);
    if (h.rows != rows) FAIL("rows differ from the expected shape", h.rows);
    if (h.cols != cols) FAIL("cols differ from the expected shape", h.cols);
    if (h.x_unsigned > 1) FAIL("bad activation signedness flag", h.x_unsigned);
    if (h.x_unsigned ? (h.x_zero_point < 0 || h.x_zero_point > 255)
                     : (h.x_zero_point < -128 || h.x_zero_point > 127))
        FAIL("activation zero point out of range", (size_t)(uint32_t)h.x_zero_point);
    if (h.reserved != 0) FAIL("reserved field not zero", h.reserved);
    const size_t gr = ep_qs8_group_rows(kind), groups = (rows + gr - 1) / gr;
    const int bsr = kind != EP_QS8_KIND_DENSE;
    if (!bsr && h.blocks != 0) FAIL("block count in a dense blob", h.blocks);
    if (bsr && (uint64_t)h.blocks > (uint64_t)groups * ((cols + 3) / 4))
        FAIL("more blocks than the matrix holds", h.blocks);
    const ep_qs8_layout l = ep_qs8_layout_of(kind, rows, cols, h.blocks);
    if (h.size != l.total) FAIL("header size disagrees with the layout", (size_t)h.size);
    if (size < l.total) FAIL("blob truncated", size);
    const float* mult = EP_QS8_AT(float, packed, l.mult);
    for (size_t n = 0; n < rows; n++) {
        if (!finite_f32(mult[n])) FAIL("multiplier not finite", n);
    }
    *blocks = h.blocks;
    return 0;
}

void ep_qs8_quantize_rows(size_t rows, size_t cols, const float* w, size_t rs, size_t cs,
                          int8_t* q, float* scales) {
    for (size_t n = 0; n < rows; n++) {
        float maxabs = 0.0f;
        for (size_t k = 0; k < cols; k++) {
            const float a = fabsf(w[n * rs + k * cs]);
            maxabs = a > maxabs ? a : maxabs;
        }
        const float scale = maxabs > 0.0f ? maxabs / 127.0f : 1.0f;
        scales[n] = scale;
        for (size_t k = 0; k < cols; k++) {
            float v = w[n * rs + k * cs] / scale;
            v = v < -127.0f ? -127.0f : v;
            v = v > 127.0f ? 127.0f : v;
            v += 12582912.0f;  // round half to even (|v| <= 127)
            uint32_t bits;
            memcpy(&bits, &v, sizeof bits);
            q[n * cols + k] = (int8_t)(int32_t)(bits - 0x4B400000u);
        }
    }
}
