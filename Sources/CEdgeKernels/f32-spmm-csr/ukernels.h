// Private declarations of the f32 unstructured sparse Linear formats ("csr", "csc") and their
// kernels (included by config.c), plus the blob header both formats share.
#ifndef EP_F32_SPMM_CSR_UKERNELS_H
#define EP_F32_SPMM_CSR_UKERNELS_H

#include "../ep_ukernels.h"

// Blob header (64 bytes, fixed-width little-endian fields; offsets in bytes from the blob start).
//   "csr": values (nnz f32) at off_val, row_ptr (rows + 1 u32) at off_ptr, column indices
//          (nnz u16) at off_idx. Row n's non-zeros are [row_ptr[n], row_ptr[n+1]).
//   "csc": rows split in panels of EP_CSC_PANEL; per panel the non-zeros are stored by input
//          column: col_ptr (panels * (cols + 1) u32, absolute positions, panel p's column k is
//          [col_ptr[p*(cols+1)+k], col_ptr[p*(cols+1)+k+1])), row indices within the panel (nnz
//          u8) at off_idx, values (nnz f32) at off_val.
typedef struct {
    uint32_t magic;      // EP_CSR_MAGIC or EP_CSC_MAGIC
    uint32_t version;    // 1
    uint64_t rows, cols, nnz;
    uint64_t off_ptr, off_idx, off_val;
    uint64_t size;       // bytes of the whole blob
} ep_f32_sparse_header;

#define EP_CSR_MAGIC 0x31525343u  // "CSR1"
#define EP_CSC_MAGIC 0x31435343u  // "CSC1"
enum { EP_CSC_PANEL = 256 };      // rows per CSC panel (8-bit row indices)

extern const ep_f32_linear_format ep_f32_linear_format_csr;
extern const ep_f32_linear_format ep_f32_linear_format_csc;

#define EP_DECLARE_F32_LINEAR_SPARSE(fn)                                                        \
    void fn(const void* packed, size_t row_begin, size_t row_end, size_t batch,            \
            const float* x, size_t ldx, float* y, size_t ldy, const float* bias,           \
            const ep_f32_minmax_params* params)

EP_DECLARE_F32_LINEAR_SPARSE(ep_f32_linear_csr_minmax_ukernel_1x4__scalar);
EP_DECLARE_F32_LINEAR_SPARSE(ep_f32_linear_csc_minmax_ukernel_256x1__scalar);
#if EP_ARCH_X86_64
EP_DECLARE_F32_LINEAR_SPARSE(ep_f32_linear_csr_minmax_ukernel_1x8__sse41);
EP_DECLARE_F32_LINEAR_SPARSE(ep_f32_linear_csc_minmax_ukernel_256x1__sse41);
EP_DECLARE_F32_LINEAR_SPARSE(ep_f32_linear_csr_minmax_ukernel_1x16__avx2_fma);
EP_DECLARE_F32_LINEAR_SPARSE(ep_f32_linear_csc_minmax_ukernel_256x1__avx2_fma);
#endif
#if EP_ARCH_ARM64
EP_DECLARE_F32_LINEAR_SPARSE(ep_f32_linear_csr_minmax_ukernel_1x8__neon);
EP_DECLARE_F32_LINEAR_SPARSE(ep_f32_linear_csc_minmax_ukernel_256x1__neon);
#endif

#endif
