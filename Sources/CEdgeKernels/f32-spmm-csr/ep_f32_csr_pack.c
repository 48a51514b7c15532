// Packing dense matrices into CSR with 16-bit column indices, and validating CSR arrays that come
// from a file.
#include "edge_kernels.h"

size_t ep_f32_csr_count_nonzeros(size_t rows, size_t cols, const float* w, size_t rs, size_t cs) {
    size_t nnz = 0;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) nnz += w[r * rs + c * cs] != 0.0f;
    return nnz;
}

int ep_f32_csr_pack(size_t rows, size_t cols, const float* w, size_t rs, size_t cs,
                    uint32_t* row_ptr, uint16_t* col_idx, float* values) {
    if (cols > 65536) return -1;
    uint32_t nnz = 0;
    row_ptr[0] = 0;
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < cols; c++) {
            const float v = w[r * rs + c * cs];
            if (v != 0.0f) {
                col_idx[nnz] = (uint16_t)c;
                values[nnz] = v;
                nnz++;
            }
        }
        row_ptr[r + 1] = nnz;
    }
    return 0;
}

int ep_f32_csr_validate(const ep_f32_csr_matrix* w, size_t nnz, size_t* where) {
    if (w->row_ptr[0] != 0) {
        *where = 0;
        return 1;
    }
    for (size_t r = 0; r < w->rows; r++) {
        if (w->row_ptr[r + 1] < w->row_ptr[r]) {
            *where = r;
            return 2;
        }
    }
    if (w->row_ptr[w->rows] != nnz) {
        *where = w->rows;
        return 3;
    }
    for (size_t i = 0; i < nnz; i++) {
        if (w->col_idx[i] >= w->cols) {
            *where = i;
            return 4;
        }
    }
    return 0;
}
