// im2col written directly in the packed-B panel layout of ep_f32_gemm_pack_b, so a convolution
// is im2col + one GEMM with no separate packing pass. Row r = (c*k_h + kh)*k_w + kw of the implicit
// K x N matrix, column n = oh*out_w + ow; element = input[c][oh*sh - pad_top + kh*dh]
// [ow*sw - pad_left + kw*dw], or 0 outside the input.
//
// A panel's columns form runs that lie on one output row. Fast path (the padded channel fits the
// 32 KB stack plane of ep_ukernels.h): each channel is first copied into a zero-padded plane, so
// a run is a plain copy (stride 1: 8-float chunks; stride 2: 16 floats de-interleaved) written for
// all k_h*k_w taps at once, with no bounds logic. Pointwise stride-1 convolutions are a plain
// ep_f32_gemm_pack_b of the input. General path (large inputs): per (channel, kh) the source row
// of each run is resolved once, and each run is written as [zeros | copied input | zeros] from the
// kw's valid output range.
#include "../ep_ukernels.h"

// Runs per batch in the general path (stack table; a panel with more runs is done in batches).
enum { EP_IM2COL_MAX_RUNS = 32 };

#if defined(__has_builtin)
#if __has_builtin(__builtin_shufflevector)
#define EP_HAS_SHUFFLEVECTOR 1
#endif
#endif
#ifndef EP_HAS_SHUFFLEVECTOR
#define EP_HAS_SHUFFLEVECTOR 0
#endif

static inline size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }

// Output columns [lo, hi) whose input column ow*sw + off lies in [0, in_w), clamped to out_w.
static inline void valid_range(ptrdiff_t off, size_t sw, size_t in_w, size_t out_w, size_t* lo,
                               size_t* hi) {
    size_t l, h;
    const ptrdiff_t last = (ptrdiff_t)in_w - 1 - off;
    if (sw == 1) {
        l = off >= 0 ? 0 : (size_t)(-off);
        h = last < 0 ? 0 : (size_t)last + 1;
    } else {
        l = off >= 0 ? 0 : (size_t)((-off + (ptrdiff_t)sw - 1) / (ptrdiff_t)sw);
        h = last < 0 ? 0 : (size_t)(last / (ptrdiff_t)sw) + 1;
    }
    h = min_sz(h, out_w);
    *lo = min_sz(l, h);
    *hi = h;
}

// General path (any input size): bounds resolved per run.
static void im2col_generic(const ep_conv2d_geometry* g, size_t nr, const float* input,
                           float* packed) {
    const size_t in_h = g->in_h, in_w = g->in_w;
    const size_t k_h = g->k_h, k_w = g->k_w;
    const size_t sh = g->stride_h, sw = g->stride_w;
    const size_t out_h = g->out_h, out_w = g->out_w;
    const size_t K = g->in_c * k_h * k_w;
    const size_t N = out_h * out_w;
    const size_t plane = in_h * in_w;
    if (K == 0 || N == 0) return;

    // Runs of the current batch: panel column j0[r], length len[r], output column ow[r] (the
    // output row only matters through the source row, resolved per (c, kh) into src[r]).
    size_t run_j[EP_IM2COL_MAX_RUNS], run_len[EP_IM2COL_MAX_RUNS], run_ow[EP_IM2COL_MAX_RUNS];
    size_t run_oh[EP_IM2COL_MAX_RUNS];
    const float* run_src[EP_IM2COL_MAX_RUNS];

    for (size_t n0 = 0; n0 < N; n0 += nr) {
        const size_t cols = min_sz(nr, N - n0);
        float* const panel = packed + (n0 / nr) * K * nr;
        size_t j = 0, oh = n0 / out_w, ow = n0 % out_w;
        while (j < cols) {
            // Next batch of runs.
            size_t runs = 0;
            while (j < cols && runs < EP_IM2COL_MAX_RUNS) {
                const size_t len = min_sz(out_w - ow, cols - j);
                run_j[runs] = j;
                run_len[runs] = len;
                run_ow[runs] = ow;
                run_oh[runs] = oh;
                runs++;
                j += len;
                ow += len;
                if (ow == out_w) {
                    ow = 0;
                    oh++;
                }
            }
            const int last_batch = j == cols;
            float* dst = panel;
            for (size_t c = 0; c < g->in_c; c++) {
                const float* chan = input + c * plane;
                for (size_t kh = 0; kh < k_h; kh++) {
                    const ptrdiff_t off_h = (ptrdiff_t)(kh * g->dil_h) - (ptrdiff_t)g->pad_top;
                    for (size_t r = 0; r < runs; r++) {
                        const ptrdiff_t ih = (ptrdiff_t)(run_oh[r] * sh) + off_h;
                        run_src[r] = ih >= 0 && ih < (ptrdiff_t)in_h ? chan + (size_t)ih * in_w : NULL;
                    }
                    for (size_t kw = 0; kw < k_w; kw++, dst += nr) {
                        const ptrdiff_t off_w = (ptrdiff_t)(kw * g->dil_w) - (ptrdiff_t)g->pad_left;
                        size_t lo, hi;
                        valid_range(off_w, sw, in_w, out_w, &lo, &hi);
                        for (size_t r = 0; r < runs; r++) {
                            float* d = dst + run_j[r];
                            const size_t len = run_len[r], ow0 = run_ow[r];
                            const float* row = run_src[r];
                            // Run-relative copy range [a, b).
                            size_t a = 0, b = 0;
                            if (row != NULL) {
                                a = lo > ow0 ? min_sz(lo - ow0, len) : 0;
                                b = hi > ow0 ? min_sz(hi - ow0, len) : 0;
                                if (b < a) b = a;
                            }
                            size_t t = 0;
                            for (; t < a; t++) d[t] = 0.0f;
                            if (a < b) {
                                const float* s = row + ((ptrdiff_t)((ow0 + a) * sw) + off_w);
                                if (sw == 1) {
                                    for (; t < b; t++) d[t] = s[t - a];
                                } else {
                                    for (; t < b; t++, s += sw) d[t] = *s;
                                }
                            }
                            for (; t < len; t++) d[t] = 0.0f;
                        }
                        if (last_batch) {
                            for (size_t t = cols; t < nr; t++) dst[t] = 0.0f;
                        }
                    }
                }
            }
        }
    }
}

// Writes one run (len columns starting at panel column j, source stride sw) for all k_h x k_w taps
// of a channel: tap (kh, kw) reads s + kh*tap_h + kw*tap_w and writes d + (kh*k_w + kw)*nr.
// With sw == 1 whole 8-float chunks are copied when they stay inside the panel row (the columns
// past the run belong to later runs or the zero padding, written afterwards); the source has
// at least 16 floats of readable slack (stride 2 reads 16 floats for 8 outputs).
static inline void copy_run_taps(float* d, const float* s, size_t j, size_t len, size_t sw,
                                 size_t nr, size_t k_h, size_t k_w, size_t tap_h, size_t tap_w) {
    const size_t chunks = (len + 7) / 8;
    if (sw == 1 && j + 8 * chunks <= nr) {
        if (chunks == 1) {
            for (size_t kh = 0; kh < k_h; kh++, s += tap_h) {
                const float* st = s;
                for (size_t kw = 0; kw < k_w; kw++, st += tap_w, d += nr) ep_copy8(d, st);
            }
        } else if (chunks == 2) {
            for (size_t kh = 0; kh < k_h; kh++, s += tap_h) {
                const float* st = s;
                for (size_t kw = 0; kw < k_w; kw++, st += tap_w, d += nr) {
                    ep_copy8(d, st);
                    ep_copy8(d + 8, st + 8);
                }
            }
        } else {
            for (size_t kh = 0; kh < k_h; kh++, s += tap_h) {
                const float* st = s;
                for (size_t kw = 0; kw < k_w; kw++, st += tap_w, d += nr) {
                    for (size_t q = 0; q < chunks; q++) {
                        ep_copy8(d + 8 * q, st + 8 * q);
                    }
                }
            }
        }
#if EP_HAS_SHUFFLEVECTOR
    } else if (sw == 2 && chunks == 1 && j + 8 <= nr) {
        // Stride 2: load 16 consecutive floats and keep the even ones (needs 16 floats of slack).
        for (size_t kh = 0; kh < k_h; kh++, s += tap_h) {
            const float* st = s;
            for (size_t kw = 0; kw < k_w; kw++, st += tap_w, d += nr) {
                const ep_f32x4 v0 = *(const ep_f32x4*)st, v1 = *(const ep_f32x4*)(st + 4);
                const ep_f32x4 v2 = *(const ep_f32x4*)(st + 8), v3 = *(const ep_f32x4*)(st + 12);
                *(ep_f32x4*)d = __builtin_shufflevector(v0, v1, 0, 2, 4, 6);
                *(ep_f32x4*)(d + 4) = __builtin_shufflevector(v2, v3, 0, 2, 4, 6);
            }
        }
#endif
    } else {
        for (size_t kh = 0; kh < k_h; kh++, s += tap_h) {
            const float* st = s;
            for (size_t kw = 0; kw < k_w; kw++, st += tap_w, d += nr) {
                for (size_t t = 0; t < len; t++) d[t] = st[t * sw];
            }
        }
    }
}

void ep_f32_im2col_packed(const ep_conv2d_geometry* g, size_t nr, const float* input,
                          float* packed) {
    const size_t in_h = g->in_h, in_w = g->in_w, k_h = g->k_h, k_w = g->k_w;
    const size_t sh = g->stride_h, sw = g->stride_w, dh = g->dil_h, dw = g->dil_w;
    const size_t pt = g->pad_top, pl = g->pad_left;
    const size_t out_h = g->out_h, out_w = g->out_w;
    const size_t K = g->in_c * k_h * k_w, N = out_h * out_w;
    if (K == 0 || N == 0) return;
    if (k_h == 1 && k_w == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && out_h == in_h &&
        out_w == in_w) {
        // Pointwise convolution: the implicit matrix is the input itself (in_c x N, row stride N).
        ep_f32_gemm_pack_b(K, N, nr, input, N, 1, packed);
        return;
    }
    // The padded plane spans every input position any output reads.
    const size_t PH = (out_h - 1) * sh + (k_h - 1) * dh + 1;
    const size_t PW = (out_w - 1) * sw + (k_w - 1) * dw + 1;
    if (PH > EP_PLANE_MAX || PW > EP_PLANE_MAX || PH * PW > EP_PLANE_MAX) {
        im2col_generic(g, nr, input, packed);
        return;
    }
    float P[EP_PLANE_MAX + 64];
    ep_plane_zero(P, PH * PW + 16);  // + over-read slack of copy_run_taps
    const size_t taps = k_h * k_w;

    for (size_t c = 0; c < g->in_c; c++) {
        ep_plane_fill(P, PH, PW, input + c * in_h * in_w, in_h, in_w, pt, pl);

        // Each panel: runs of columns on one output row, then the zero padding of the last panel.
        for (size_t n0 = 0; n0 < N; n0 += nr) {
            const size_t cols = min_sz(nr, N - n0);
            float* const rows = packed + (n0 / nr) * K * nr + c * taps * nr;
            size_t j = 0, oh = n0 / out_w, ow = n0 % out_w;
            while (j < cols) {
                const size_t len = min_sz(out_w - ow, cols - j);
                copy_run_taps(rows + j, P + oh * sh * PW + ow * sw, j, len, sw, nr, k_h, k_w,
                              dh * PW, dw);
                j += len;
                ow += len;
                if (ow == out_w) {
                    ow = 0;
                    oh++;
                }
            }
            if (cols < nr) {
                for (size_t r = 0; r < taps; r++) {
                    for (size_t t = cols; t < nr; t++) rows[r * nr + t] = 0.0f;
                }
            }
        }
    }
}
