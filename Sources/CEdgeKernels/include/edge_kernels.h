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
// f32 unstructured sparse x dense, for Linear layers at small batch: Linear weight formats (below,
// listed by ep_f32_linear_list_kernels; layouts in f32-spmm-csr/ukernels.h).
//   "csr"  rows of (f32 value, u16 column) pairs; cols <= 65536. Best when inputs are dense.
//   "csc"  panels of 256 output rows, each by input column with u8 row indices; the kernel skips
//          the columns of zero inputs (after a Relu often half of them). Row ranges start at
//          multiples of 256.
//
// A "csr" blob is also how .epm files store sparse weights; this writes it back as a dense
// row-major rows x cols matrix (the blob must have passed validate()).
void ep_f32_linear_csr_unpack(const void* packed, float* w);
//
// f32 N:M sparse (f32-spmm-nm/ukernels.h): "nm2:4" and "nm4:8" keep n weights in every group of
// m consecutive input columns per output row (2-bit / 3-bit column indices, panels of 8 rows).

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
// f32 weights (dense or sparse) x dense pixels: a convolution in its GEMM form.
//
//   Y[n, p] = clamp( sum_k W[n, k] * X[k, p] + bias[n] )   n in [row_begin, row_end), p < pixels
//
// W: rows = output channels, cols = K. X element (k, p) at x[k*ldx + p]; Y element (n, p) at
// y[n*ldy + p]; bias[n] (absolute n) or NULL. Vectorised over pixels: a tile of pixels is held in
// registers while one output row's (or row block's) stored weights are broadcast against X rows.
// Uses: a 1x1 convolution straight on the NCHW input (ldx = ldy = H*W, pixels = H*W); a kxk
// convolution on the panels of ep_f32_im2col_packed (K = in_c*k_h*k_w; one call per panel with
// ldx = nr, pixels = the panel's columns, y offset by the panel's first pixel). A kernel never
// reads X at p >= pixels and writes Y only at rows [row_begin, row_end) (any range with
// row_end <= rows) and p < pixels. Formats: "dense" (all weights), "csr" (per output row the
// non-zero k's), "bsr4x1" (4 consecutive output channels share each kept k). Packing, validation
// and the blob follow the conventions of ep_f32_linear_format (position-independent, 64-byte
// aligned destination, validate() before any kernel sees an untrusted blob); csr and bsr4x1 need
// cols <= 65536. SIMD kernels use up to 32 KB of stack: when X rows are a cache-aliasing stride
// apart (e.g. 4 KB planes of a 32x32 input) and K x pixel_tile fits 8192 floats, each pixel tile
// is first copied into a contiguous stack buffer (for larger K, pack X into panels instead).
typedef struct ep_f32_spmm_pixels_format {
    const char* name;            // "dense", "csr", "bsr4x1" (stable: used in files)
    size_t block_rows;           // zeros this format skips come in blocks of block_rows x
    size_t block_cols;           //   block_cols (1 x 1 for csr, 4 x 1 for bsr4x1, 0 x 0 for dense)
    /// Bytes of the packed form of W (element (n, k) at w[n*rs + k*cs]), or 0 when the shape is out
    /// of the format's range.
    size_t (*packed_size)(size_t rows, size_t cols, const float* w, size_t rs, size_t cs);
    /// Packs W into dst (packed_size bytes, 64-byte aligned). Returns 0, or -1 when W does not fit.
    int (*pack)(size_t rows, size_t cols, const float* w, size_t rs, size_t cs, void* dst);
    /// Checks a blob of `size` bytes from an untrusted source against rows x cols: 0 when a kernel
    /// may run on it; otherwise non-zero with *what a static message and *where the offending entry.
    int (*validate)(const void* packed, size_t size, size_t rows, size_t cols, const char** what,
                    size_t* where);
    /// Weights stored in the blob (non-zeros plus the zeros a block keeps; rows*cols for dense).
    size_t (*stored)(const void* packed);
} ep_f32_spmm_pixels_format;

typedef void (*ep_f32_spmm_pixels_fn)(const void* packed, size_t row_begin, size_t row_end,
                                      size_t pixels, const float* x, size_t ldx, float* y,
                                      size_t ldy, const float* bias,
                                      const ep_f32_minmax_params* params);

typedef struct {
    const ep_f32_spmm_pixels_format* format;
    ep_f32_spmm_pixels_fn run;
    const char* name;            // e.g. "ep_f32_spmm_pixels_csr_minmax_ukernel_32x1__avx2_fma"
    int reference;               // 1 for the scalar oracle of its format
    size_t pixel_tile;           // pixels per register tile: im2col panels of a multiple of this
                                 // width (or a whole image) keep the kernel out of its tails
} ep_f32_spmm_pixels_kernel;

/// Every sparse-pixels kernel this CPU can run, grouped by format (dense, csr, bsr4x1); within a
/// format the reference first and the preferred variant last. Returns the count.
size_t ep_f32_spmm_pixels_list_kernels(const ep_f32_spmm_pixels_kernel** out, size_t capacity);
// END f32-spmm-pixels

// BEGIN qs8-linear (int8 Linear formats)
// ---------------------------------------------------------------------------------------------
// int8 Linear weight formats (ONNX QLinearMatMul / QLinearConv as GEMM / MatMulInteger + scale):
// per-output-channel symmetric int8 weights (zero point 0), uint8 or int8 activations with a zero
// point, int32 accumulation, f32 requantization exactly as ONNX Runtime's MLAS does it:
//
//   acc[b, n] = bias[n] + sum_k (x[b, k] - x_zp) * W[n, k]                      (int32)
//   f         = (float)acc[b, n] * multiplier[n]       (multiplier = x_scale * w_scale[n] / y_scale)
//   f         = min(max(f, (float)(qmin - y_zp)), (float)(qmax - y_zp))
//   y[b, n]   = round_half_to_even(f) + y_zp      == clamp(saturate(rne(f) + y_zp), qmin, qmax)
//
// Integer arithmetic wraps modulo 2^32 (as int32 SIMD lanes do), so every kernel gives the same
// bits; it equals the exact sum whenever that fits int32 (always for |bias| < 2^30 and
// cols <= 32768). Every ISA variant is BITWISE equal to its format's scalar reference: the same
// int->float conversion, one f32 multiply, the clamp, and a round-to-nearest-even conversion.
// pack() folds the zero-point correction into one int32 per row (bias - x_zp * sum_k W[n, k]), so
// kernels work on raw x; x's signedness and zero point are therefore fixed at pack time.
//
// Blobs are position-independent (64-byte header of fixed-width fields, arrays at fixed offsets
// computed from rows, cols and the stored block count), written by pack() into caller memory
// aligned to 64 bytes, and checked by validate() before a kernel sees a blob from a model file.
// Kernels write Y only for rows [row_begin, row_end) (row_begin a multiple of row_group,
// row_end <= rows); X is batch x cols bytes (uint8 or int8 as packed) with row stride ldx; Y is
// batch x rows bytes with row stride ldy. Kernels read nothing of X beyond cols per batch row.
// Limits: 1 <= rows <= 2^24, 1 <= cols <= 2^18.
typedef struct ep_qs8_linear_format {
    const char* name;            // "dense", "bsr4x4", "bsr8x4" (stable: used in model files)
    size_t block_rows;           // zeros this format skips come in block_rows x block_cols blocks
    size_t block_cols;           //   (0 x 0 for dense)
    size_t row_group;            // rows per kernel step; row ranges start at multiples of this
    /// Bytes of the packed form of W (element (n, k) at w[n*rs + k*cs]), or 0 when the shape is
    /// out of range or W's zero pattern does not fit the format.
    size_t (*packed_size)(size_t rows, size_t cols, const int8_t* w, size_t rs, size_t cs);
    /// Packs W into dst (packed_size bytes, 64-byte aligned). bias: rows entries or NULL;
    /// multiplier: rows finite floats; x_unsigned: 1 for uint8 activations, 0 for int8 (x_zero_point
    /// in the activation type's range). Returns 0, or -1 (W does not fit, a multiplier is not
    /// finite, or x_zero_point is out of range).
    int (*pack)(size_t rows, size_t cols, const int8_t* w, size_t rs, size_t cs,
                const int32_t* bias, const float* multiplier, int32_t x_zero_point, int x_unsigned,
                void* dst);
    /// Checks a blob of `size` bytes from an untrusted source against rows x cols: 0 when safe to
    /// run; otherwise non-zero with *what a static message and *where the offending entry.
    int (*validate)(const void* packed, size_t size, size_t rows, size_t cols, const char** what,
                    size_t* where);
    /// Weights stored in the blob (non-zeros plus the zeros a block keeps; dense: rows * cols).
    size_t (*stored)(const void* packed);
} ep_qs8_linear_format;

/// Output quantization and fused Relu / Clip in the quantized domain. y_unsigned: 1 for a uint8
/// output, 0 for int8. Requires y_zero_point and qmin <= qmax inside the output type's range
/// (Relu: qmin = y_zero_point; no activation: the type's full range).
typedef struct {
    int32_t y_zero_point;
    int32_t y_unsigned;
    int32_t qmin;
    int32_t qmax;
} ep_qs8_output_params;

typedef void (*ep_qs8_linear_fn)(const void* packed, size_t row_begin, size_t row_end,
                                 size_t batch, const void* x, size_t ldx, void* y, size_t ldy,
                                 const ep_qs8_output_params* params);

typedef struct {
    const ep_qs8_linear_format* format;
    ep_qs8_linear_fn run;
    const char* name;            // e.g. "ep_qs8_linear_bsr4x4_minmax_ukernel_4x4__neondot"
    int reference;               // 1 for the scalar oracle of its format
} ep_qs8_linear_kernel;

/// Every int8 Linear kernel this CPU can run, grouped by format; within a format the reference
/// comes first and the preferred variant last. Returns the count.
size_t ep_qs8_linear_list_kernels(const ep_qs8_linear_kernel** out, size_t capacity);

/// Per-row symmetric quantization of a float weight (element (n, k) at w[n*rs + k*cs]):
/// scales[n] = max_k |w[n, k]| / 127 (1 for an all-zero row), q[n*cols + k] =
/// round_half_to_even(w[n, k] / scales[n]) in [-127, 127].
void ep_qs8_quantize_rows(size_t rows, size_t cols, const float* w, size_t rs, size_t cs,
                          int8_t* q, float* scales);

/// f32 -> uint8 activation quantization as ONNX QuantizeLinear computes it (ONNX Runtime / MLAS):
/// y[i] = clamp(round_half_to_even(x[i] / scale) + zero_point, 0, 255). scale > 0 and finite,
/// zero_point in 0...255; NaN gives zero_point. Plain loops the compiler vectorises (no ISA
/// variants: a layer quantizes `cols` values per sample against `rows * cols` MACs).
void ep_f32_qu8_quantize_ukernel__scalar(size_t n, const float* x, float scale, int32_t zero_point,
                                         uint8_t* y);
/// uint8 -> f32 as ONNX DequantizeLinear: y[i] = (float)(x[i] - zero_point) * scale.
void ep_qu8_f32_dequantize_ukernel__scalar(size_t n, const uint8_t* x, float scale,
                                           int32_t zero_point, float* y);

/// int8 convolution as an int8 Linear product with the output pixels as its batch: gathers one
/// image's already quantized input channels (uint8, NCHW) into the pixel-major im2col matrix
/// y[p * K + (c * k_h + i) * k_w + j] (K = in_c*k_h*k_w, ordered as ONNX weights' rows), padding
/// with `pad` (the activation zero point: the quantized 0).
void ep_qu8_im2col_ukernel__scalar(const ep_conv2d_geometry* g, const uint8_t* input, uint8_t pad,
                                   uint8_t* y);
/// Dequantizes a pixels x channels uint8 matrix into channels x pixels f32 (NCHW planes):
/// y[c * pixels + p] = (float)(x[p * channels + c] - zero_point) * scale.
void ep_qu8_f32_dequantize_transpose_ukernel__scalar(size_t pixels, size_t channels, const uint8_t* x,
                                                     float scale, int32_t zero_point, float* y);

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
