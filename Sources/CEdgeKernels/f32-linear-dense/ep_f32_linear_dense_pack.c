// Format "dense": packing W into 16-row k-major panels, and validating blobs from files.
#include "ukernels.h"

#include <string.h>

// Bytes of the blob for rows x cols, or 0 when out of range (zero dims, 32-bit fields, overflow).
static size_t dense_bytes(size_t rows, size_t cols) {
    if (rows == 0 || cols == 0 || rows > UINT32_MAX || cols > UINT32_MAX) return 0;
    const size_t panels = (rows + EP_F32_DENSE_PANEL - 1) / EP_F32_DENSE_PANEL;
    size_t bytes;
    if (__builtin_mul_overflow(panels, cols, &bytes) ||
        __builtin_mul_overflow(bytes, (size_t)EP_F32_DENSE_PANEL * sizeof(float), &bytes) ||
        __builtin_add_overflow(bytes, (size_t)EP_F32_DENSE_HEADER, &bytes))
        return 0;
    return bytes;
}

static size_t dense_packed_size(size_t rows, size_t cols, const float* w, size_t rs, size_t cs) {
    (void)w; (void)rs; (void)cs;
    return dense_bytes(rows, cols);
}

static int dense_pack(size_t rows, size_t cols, const float* w, size_t rs, size_t cs, void* dst) {
    const size_t bytes = dense_bytes(rows, cols);
    if (bytes == 0) return -1;
    ep_f32_dense_header h;
    memset(&h, 0, sizeof h);
    h.magic = EP_F32_DENSE_MAGIC;
    h.version = EP_F32_DENSE_VERSION;
    h.rows = (uint32_t)rows;
    h.cols = (uint32_t)cols;
    h.panel = EP_F32_DENSE_PANEL;
    h.panels = (uint32_t)((rows + EP_F32_DENSE_PANEL - 1) / EP_F32_DENSE_PANEL);
    memcpy(dst, &h, sizeof h);
    float* out = (float*)((unsigned char*)dst + EP_F32_DENSE_HEADER);
    for (size_t p = 0; p < h.panels; p++) {
        for (size_t k = 0; k < cols; k++) {
            for (size_t j = 0; j < EP_F32_DENSE_PANEL; j++) {
                const size_t n = p * EP_F32_DENSE_PANEL + j;
                *out++ = n < rows ? w[n * rs + k * cs] : 0.0f;
            }
        }
    }
    return 0;
}

static int dense_validate(const void* packed, size_t size, size_t rows, size_t cols,
                          const char** what, size_t* where) {
    *where = 0;
    if (packed == NULL || size < sizeof(ep_f32_dense_header)) {
        *what = "dense blob smaller than its header";
        return 1;
    }
    ep_f32_dense_header h;
    memcpy(&h, packed, sizeof h);
    if (((uintptr_t)packed & 63) != 0) { *what = "dense blob not 64-byte aligned"; return 1; }
    if (h.magic != EP_F32_DENSE_MAGIC) { *what = "not a dense Linear blob (bad magic)"; return 1; }
    if (h.version != EP_F32_DENSE_VERSION) { *what = "unsupported dense blob version"; *where = 4; return 1; }
    if (h.rows != rows) { *what = "dense blob row count differs from the layer"; *where = 8; return 1; }
    if (h.cols != cols) { *what = "dense blob column count differs from the layer"; *where = 12; return 1; }
    if (h.panel != EP_F32_DENSE_PANEL) { *what = "unsupported dense panel width"; *where = 16; return 1; }
    const size_t bytes = dense_bytes(rows, cols);
    if (bytes == 0) { *what = "dense shape out of range"; return 1; }
    if (h.panels != (rows + EP_F32_DENSE_PANEL - 1) / EP_F32_DENSE_PANEL) {
        *what = "dense panel count inconsistent with rows";
        *where = 20;
        return 1;
    }
    if (size != bytes) { *what = "dense blob size does not match rows x cols"; *where = size; return 1; }
    return 0;
}

static size_t dense_stored(const void* packed) {
    ep_f32_dense_header h;
    memcpy(&h, packed, sizeof h);
    return (size_t)h.rows * h.cols;
}

const ep_f32_linear_format ep_f32_linear_dense_format = {
    "dense", 0, 0, 0, 0, EP_F32_DENSE_PANEL,
    dense_packed_size, dense_pack, dense_validate, dense_stored,
};
