// EdgePrune microkernels: pure C functions over raw pointers, counts, strides and a small params
// struct. No allocation, no graph knowledge, no threads: the caller tiles and threads by offsetting
// pointers.
//
// Naming scheme (written down once, here):
//   ep_<dtype>_<op>[_<activation>]_ukernel_<tile>__<isa>
//   e.g. ep_f32_gemm_minmax_ukernel_4x16__avx2_fma
// The file that defines a kernel has the same name, under a folder per family (f32-gemm/, ...).
// Every family has a __scalar reference that is the oracle for its SIMD variants.
// Drivers (no _ukernel_ in the name) loop over tiles and call the microkernel chosen in config.c.
#ifndef EDGE_KERNELS_H
#define EDGE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// ---------------------------------------------------------------------------------------------
// Parameters

/// Output clamp applied after bias: y = min(max(y, min), max). Identity: -INFINITY, +INFINITY;
/// Relu: 0, +INFINITY; Relu6 / Clip: lo, hi.
typedef struct {
    float min;
    float max;
} ep_f32_minmax_params;

// ---------------------------------------------------------------------------------------------
// f32 GEMM with a packed right-hand side.
//
//   C[m, n] = clamp( sum_k A[m, k] * B[k, n] + bias_m[m] + bias_n[n] )
//
// A is row-major with row stride lda (elements). B is packed with ep_f32_gemm_pack_b into panels
// of NR columns: panel p holds B[k, p*NR + j] at packed[p*K*NR + k*NR + j], zero-padded in the last
// panel. C is row-major with row stride ldc. bias_m and bias_n may each be NULL.
//
// The microkernel computes an mr x NR tile (mr <= MR) for columns [0, nr) (nr <= NR):
//   a: first row of the A tile (stride lda); b: the packed panel (K x NR); c: first row of the C tile.
typedef void (*ep_f32_gemm_ukernel_fn)(
    size_t mr, size_t nr, size_t k,
    const float* a, size_t lda,
    const float* b_panel,
    float* c, size_t ldc,
    const float* bias_m,   // mr entries or NULL
    const float* bias_n,   // nr entries or NULL
    const ep_f32_minmax_params* params);

typedef struct {
    ep_f32_gemm_ukernel_fn ukernel;
    size_t mr;           // rows per tile
    size_t nr;           // columns per packed panel
    const char* name;    // full kernel name, e.g. "ep_f32_gemm_minmax_ukernel_4x16__avx2_fma"
} ep_f32_gemm_config;

/// The GEMM kernel selected for this CPU by run-time feature detection (config.c).
const ep_f32_gemm_config* ep_f32_gemm_get_config(void);
/// The scalar reference (the oracle) with the same packing contract but its own nr.
const ep_f32_gemm_config* ep_f32_gemm_get_reference_config(void);
/// All GEMM variants this CPU can run (for tests and `bench-kernels`); returns the count.
size_t ep_f32_gemm_list_configs(const ep_f32_gemm_config** out, size_t capacity);

/// Number of floats the packed form of a K x N matrix needs for panel width nr.
size_t ep_f32_gemm_packed_b_size(size_t k, size_t n, size_t nr);

/// Packs B (element (k, n) at b[k*rs + n*cs]) into nr-column panels. rs/cs in elements, so a
/// transposed weight (W[n, k]) is packed with rs = 1, cs = K.
void ep_f32_gemm_pack_b(size_t k, size_t n, size_t nr,
                        const float* b, size_t rs, size_t cs, float* packed);

/// Driver: full M x N product with the given config (tiles over M by mr and over N by nr).
void ep_f32_gemm(const ep_f32_gemm_config* cfg,
                 size_t m, size_t n, size_t k,
                 const float* a, size_t lda,
                 const float* b_packed,
                 float* c, size_t ldc,
                 const float* bias_m, const float* bias_n,
                 const ep_f32_minmax_params* params);

// ---------------------------------------------------------------------------------------------
// Convolution helpers (NCHW, one image, one group; 1-D convolution is 2-D with height 1).

typedef struct {
    size_t in_c, in_h, in_w;        // input channels of this group, height, width
    size_t k_h, k_w;                // kernel size
    size_t stride_h, stride_w;
    size_t dil_h, dil_w;
    size_t pad_top, pad_left;       // leading pads (trailing pads are implied by out_h/out_w)
    size_t out_h, out_w;
} ep_conv2d_geometry;

/// im2col straight into the packed-B layout of ep_f32_gemm_pack_b: the implicit matrix has
/// K = in_c*k_h*k_w rows (ordered c, kh, kw as in ONNX weights) and N = out_h*out_w columns.
/// `input` points at this group's first channel (stride in_h*in_w per channel).
/// `packed` needs ep_f32_gemm_packed_b_size(K, N, nr) floats. Uses up to 32 KB of stack.
void ep_f32_im2col_packed(const ep_conv2d_geometry* g, size_t nr,
                          const float* input, float* packed);

/// Direct depthwise convolution (one input channel per output channel, multiplier 1) for
/// `channels` channels: output[c] = clamp(conv(input[c], weights[c]) + bias[c]).
/// weights: channels x k_h x k_w; bias may be NULL. g->in_c is ignored. Uses up to 32 KB of stack.
void ep_f32_dwconv2d(const ep_conv2d_geometry* g, size_t channels,
                     const float* input, const float* weights, const float* bias,
                     float* output, const ep_f32_minmax_params* params);
/// Scalar reference of ep_f32_dwconv2d (the oracle).
void ep_f32_dwconv2d__scalar(const ep_conv2d_geometry* g, size_t channels,
                             const float* input, const float* weights, const float* bias,
                             float* output, const ep_f32_minmax_params* params);
/// Name of the depthwise kernel selected for this CPU.
const char* ep_f32_dwconv2d_name(void);

/// Signature shared by every depthwise variant (same contract as ep_f32_dwconv2d).
typedef void (*ep_f32_dwconv2d_fn)(const ep_conv2d_geometry* g, size_t channels,
                                   const float* input, const float* weights, const float* bias,
                                   float* output, const ep_f32_minmax_params* params);
typedef struct {
    ep_f32_dwconv2d_fn fn;
    const char* name;    // e.g. "ep_f32_dwconv2d_minmax_ukernel_row16__avx2_fma"
} ep_f32_dwconv2d_config;
/// All depthwise variants this CPU can run, the scalar reference first (for tests and benches);
/// returns the count.
size_t ep_f32_dwconv2d_list_configs(const ep_f32_dwconv2d_config** out, size_t capacity);

// ---------------------------------------------------------------------------------------------
// 2-D pooling (NCHW; 1-D pools use a unit height axis) from per-output tap tables computed at
// prepare time, so padding, dilation and ceil_mode rules live in one place (the caller's).
typedef struct {
    size_t input, output, dilation;
    const ptrdiff_t* start;   // input coordinate of tap 0 per output position (may be negative)
    const size_t* tap_lo;     // valid taps are [tap_lo, tap_hi) per output position
    const size_t* tap_hi;
    const size_t* pad_count;  // taps inside the padded extent (count_include_pad divisor)
} ep_pool_axis;

/// y = max over valid taps (-FLT_MAX for a window without taps), for `planes` planes.
void ep_f32_maxpool2d__scalar(const ep_pool_axis* h, const ep_pool_axis* w, size_t planes,
                              const float* x, float* y);
/// y = mean over valid taps, or sum / (pad_count_h * pad_count_w) with include_pad; 0 for an
/// empty window.
void ep_f32_avgpool2d__scalar(const ep_pool_axis* h, const ep_pool_axis* w, size_t planes,
                              int include_pad, const float* x, float* y);

// ---------------------------------------------------------------------------------------------
// f32 unstructured sparse x dense, for Linear layers at small batch:
//
//   Y[b, n] = clamp( sum over stored k of W[n, k] * X[b, k] + bias[n] )
//
// W (rows = outputs N, cols = inputs K) is in CSR by output row: row n's non-zeros are
// values[row_ptr[n] .. row_ptr[n+1]) at columns col_idx[...]; 16-bit column indices, so
// cols <= 65536. X is batch x K with row stride ldx; Y is batch x N with row stride ldy.
typedef struct {
    size_t rows, cols;
    const uint32_t* row_ptr;   // rows + 1 entries, row_ptr[0] == 0, non-decreasing
    const uint16_t* col_idx;   // row_ptr[rows] entries, each < cols
    const float* values;       // row_ptr[rows] entries
} ep_f32_csr_matrix;

typedef void (*ep_f32_spmm_csr_fn)(const ep_f32_csr_matrix* w, size_t batch, const float* x,
                                   size_t ldx, float* y, size_t ldy, const float* bias,
                                   const ep_f32_minmax_params* params);

typedef struct {
    ep_f32_spmm_csr_fn ukernel;
    const char* name;
} ep_f32_spmm_csr_config;

/// The sparse kernel selected for this CPU, and every variant it can run (reference first,
/// preferred last), as for GEMM.
const ep_f32_spmm_csr_config* ep_f32_spmm_csr_get_config(void);
size_t ep_f32_spmm_csr_list_configs(const ep_f32_spmm_csr_config** out, size_t capacity);

/// Non-zeros of a dense rows x cols matrix (element (r, c) at w[r*rs + c*cs]).
size_t ep_f32_csr_count_nonzeros(size_t rows, size_t cols, const float* w, size_t rs, size_t cs);
/// Packs the non-zeros of a dense matrix into CSR arrays sized by ep_f32_csr_count_nonzeros.
/// Returns 0, or -1 when cols > 65536 (16-bit indices cannot address it).
int ep_f32_csr_pack(size_t rows, size_t cols, const float* w, size_t rs, size_t cs,
                    uint32_t* row_ptr, uint16_t* col_idx, float* values);
/// Checks CSR arrays from an untrusted source (a model file) holding `nnz` stored values:
/// returns 0 when consistent, else 1 (row_ptr[0] != 0), 2 (row_ptr decreases), 3 (row_ptr[rows]
/// != nnz) or 4 (a column index >= cols); *where gets the offending row or entry.
int ep_f32_csr_validate(const ep_f32_csr_matrix* w, size_t nnz, size_t* where);

// ---------------------------------------------------------------------------------------------
// f32 Linear weight formats: one interface for dense and every sparse format, so the planner and
// `bench-kernels` can pack a weight into each format, time each kernel and keep the fastest.
//
//   Y[b, n] = clamp( sum_k W[n, k] * X[b, k] + bias[n] )      n < rows (outputs), k < cols (inputs)
//
// W is given dense to pack(): element (n, k) at w[n*rs + k*cs]. The packed form is one opaque,
// position-independent blob (it starts with a small header holding rows and cols) that pack()
// writes into caller memory aligned to 64 bytes; a blob read from a model file is checked by
// validate() before any kernel sees it. Kernels write Y only for rows [row_begin, row_end);
// row_begin is a multiple of the format's row_group (callers split rows across threads with it).
// X is batch x cols with row stride ldx; Y is batch x rows with row stride ldy.
typedef struct ep_f32_linear_format {
    const char* name;            // "dense", "csr", "bsr8x1", "nm2:4", ... (stable: used in files)
    size_t block_rows;           // zeros this format skips come in blocks of block_rows x
    size_t block_cols;           //   block_cols (1 x 1 for unstructured; 0 x 0 for dense)
    size_t nm_n, nm_m;           // N:M along k (n non-zeros kept in each group of m), else 0, 0
    size_t row_group;            // rows per kernel step; row ranges start at multiples of this
    /// Bytes of the packed form of W, or 0 when W's zero pattern does not fit the format (a 2:4
    /// format and a group of four holding three non-zeros) or the shape is out of its range.
    size_t (*packed_size)(size_t rows, size_t cols, const float* w, size_t rs, size_t cs);
    /// Packs W into dst (packed_size bytes, 64-byte aligned). Returns 0, or -1 when W does not fit.
    int (*pack)(size_t rows, size_t cols, const float* w, size_t rs, size_t cs, void* dst);
    /// Checks a blob of `size` bytes from an untrusted source against rows x cols: returns 0 when
    /// every offset and index is in range and consistent; otherwise non-zero, with *what set to a
    /// static message ("column index out of range") and *where to the offending entry.
    int (*validate)(const void* packed, size_t size, size_t rows, size_t cols, const char** what,
                    size_t* where);
    /// Weights stored in the blob (non-zeros plus any zeros a block or N:M group keeps).
    size_t (*stored)(const void* packed);
} ep_f32_linear_format;

typedef void (*ep_f32_linear_fn)(const void* packed, size_t row_begin, size_t row_end,
                                 size_t batch, const float* x, size_t ldx, float* y, size_t ldy,
                                 const float* bias, const ep_f32_minmax_params* params);

typedef struct {
    const ep_f32_linear_format* format;
    ep_f32_linear_fn run;
    const char* name;            // e.g. "ep_f32_linear_bsr8x1_minmax_ukernel_8x1__avx2_fma"
    int reference;               // 1 for the scalar oracle of its format
} ep_f32_linear_kernel;

/// Every Linear kernel this CPU can run, grouped by format; within a format the reference comes
/// first and the preferred variant last. Returns the count.
size_t ep_f32_linear_list_kernels(const ep_f32_linear_kernel** out, size_t capacity);

// BEGIN f32-spmm-pixels (sparse weights x dense pixels: convolution in its GEMM form)
// END f32-spmm-pixels

// BEGIN qs8-linear (int8 Linear formats)
// END qs8-linear

// ---------------------------------------------------------------------------------------------
// CPU features (detected once; cached).
typedef struct {
    int sse4_1;
    int avx2;
    int fma;
    int neon;
    int neon_dotprod;
} ep_cpu_features;

const ep_cpu_features* ep_cpu_get_features(void);

#ifdef __cplusplus
}
#endif

#endif  // EDGE_KERNELS_H
