// The "dense" int8 Linear format: groups of 4 output rows, 16 input columns per 64-byte chunk
// (the layout of ukernels.h), made for 16-wide dot products of 4 rows against one x vector.
#include "ukernels.h"

static size_t dense_packed_size(size_t rows, size_t cols, const int8_t* w, size_t rs, size_t cs) {
    (void)w, (void)rs, (void)cs;
    if (!ep_qs8_shape_ok(rows, cols)) return 0;
    return ep_qs8_layout_of(0, rows, cols, 0).total;
}

static int dense_pack(size_t rows, size_t cols, const int8_t* w, size_t rs, size_t cs,
                      const int32_t* bias, const float* multiplier, int32_t x_zero_point,
                      int x_unsigned, void* dst) {
    if (ep_qs8_pack_common(0, rows, cols, w, rs, cs, bias, multiplier, x_zero_point, x_unsigned, 0,
                           dst) != 0)
        return -1;
    const ep_qs8_layout l = ep_qs8_layout_of(0, rows, cols, 0);
    const size_t chunks = (cols + 15) / 16;
    int8_t* out = (int8_t*)dst + l.values;
    for (size_t g = 0; g < l.groups; g++) {
        for (size_t c = 0; c < chunks; c++) {
            for (size_t r = 0; r < 4; r++) {
                const size_t n = 4 * g + r;
                for (size_t j = 0; j < 16; j++) {
                    const size_t k = 16 * c + j;
                    *out++ = n < rows && k < cols ? w[n * rs + k * cs] : 0;
                }
            }
        }
    }
    return 0;
}

static int dense_validate(const void* packed, size_t size, size_t rows, size_t cols,
                          const char** what, size_t* where) {
    size_t blocks;
    return ep_qs8_validate_common(0, packed, size, rows, cols, what, where, &blocks);
}

static size_t dense_stored(const void* packed) {
    ep_qs8_linear_header h;
    memcpy(&h, packed, sizeof h);
    return (size_t)h.rows * h.cols;
}

const ep_qs8_linear_format ep_qs8_linear_format_dense = {
    "dense", 0, 0, 4, dense_packed_size, dense_pack, dense_validate, dense_stored};
