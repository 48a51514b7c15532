// Max and average pooling over NCHW planes, driven by per-output tap tables (see edge_kernels.h).
//
// Loop order: for each output row and each valid kernel row, each kernel column kw updates the
// contiguous run of output positions for which tap kw is valid. The innermost loop runs across
// output positions (independent lanes the CPU can pipeline and the compiler can vectorise)
// instead of across the few taps of one window (a serial dependency chain).
#include <float.h>
#include <string.h>
#include "edge_kernels.h"

#define EP_POOL_MAX_TAPS 64

// For each tap kw, the outputs [lo[kw], hi[kw]) where it is valid (contiguous: the window start
// grows with the output position). Returns 0 when the kernel is wider than the table.
static int ep_pool_tap_ranges(const ep_pool_axis* w, size_t taps, size_t* lo, size_t* hi) {
    if (taps > EP_POOL_MAX_TAPS) return 0;
    for (size_t k = 0; k < taps; k++) {
        lo[k] = w->output;
        hi[k] = 0;
    }
    for (size_t o = 0; o < w->output; o++) {
        for (size_t k = w->tap_lo[o]; k < w->tap_hi[o]; k++) {
            if (o < lo[k]) lo[k] = o;
            if (o + 1 > hi[k]) hi[k] = o + 1;
        }
    }
    return 1;
}

static size_t ep_pool_taps(const ep_pool_axis* w) {
    size_t taps = 0;
    for (size_t o = 0; o < w->output; o++)
        if (w->tap_hi[o] > taps) taps = w->tap_hi[o];
    return taps;
}

// The window-at-a-time fallback for kernels wider than EP_POOL_MAX_TAPS.
static void ep_pool_row_direct(const ep_pool_axis* w, const float* row, ptrdiff_t dw, int is_max,
                               float* y) {
    for (size_t ow = 0; ow < w->output; ow++) {
        float acc = y[ow];
        for (size_t kw = w->tap_lo[ow]; kw < w->tap_hi[ow]; kw++) {
            const float v = row[w->start[ow] + (ptrdiff_t)kw * dw];
            acc = is_max ? (v > acc ? v : acc) : acc + v;
        }
        y[ow] = acc;
    }
}

// Max over a full 3x3 / 2x2 window at `p` (rows `rs` apart, taps `d` apart), as a tree.
static inline float ep_max3(const float* r, ptrdiff_t d) {
    const float a = r[0] > r[d] ? r[0] : r[d];
    return r[2 * d] > a ? r[2 * d] : a;
}
static inline float ep_max2(const float* r, ptrdiff_t d) { return r[0] > r[d] ? r[0] : r[d]; }
static inline float ep_max_window3(const float* p, ptrdiff_t rs, ptrdiff_t d) {
    const float a = ep_max3(p, d), b = ep_max3(p + rs, d), c = ep_max3(p + 2 * rs, d);
    const float ab = a > b ? a : b;
    return c > ab ? c : ab;
}
static inline float ep_max_window2(const float* p, ptrdiff_t rs, ptrdiff_t d) {
    const float a = ep_max2(p, d), b = ep_max2(p + rs, d);
    return a > b ? a : b;
}

// Max pooling where the kernel is 2x2 or 3x3: full windows take the unrolled path, windows cut
// by padding or ceil_mode take the general one. Returns 0 when the shape does not qualify.
static int ep_maxpool2d_small(const ep_pool_axis* h, const ep_pool_axis* w, size_t planes,
                              const float* x, float* y) {
    const size_t kh = ep_pool_taps(h), kw = ep_pool_taps(w);
    if (kh != kw || (kh != 2 && kh != 3)) return 0;
    const size_t in_h = h->input, in_w = w->input, out_h = h->output, out_w = w->output;
    const ptrdiff_t dh = (ptrdiff_t)h->dilation, dw = (ptrdiff_t)w->dilation;
    for (size_t p = 0; p < planes; p++) {
        const float* xp = x + p * in_h * in_w;
        for (size_t oh = 0; oh < out_h; oh++) {
            float* yr = y + (p * out_h + oh) * out_w;
            const int full_h = h->tap_lo[oh] == 0 && h->tap_hi[oh] == kh;
            const float* top = xp + h->start[oh] * (ptrdiff_t)in_w;
            const ptrdiff_t rs = dh * (ptrdiff_t)in_w;
            for (size_t ow = 0; ow < out_w; ow++) {
                if (full_h && w->tap_lo[ow] == 0 && w->tap_hi[ow] == kw) {
                    const float* q = top + w->start[ow];
                    yr[ow] = kh == 3 ? ep_max_window3(q, rs, dw) : ep_max_window2(q, rs, dw);
                    continue;
                }
                float m = -FLT_MAX;
                for (size_t i = h->tap_lo[oh]; i < h->tap_hi[oh]; i++) {
                    const float* row = xp + (h->start[oh] + (ptrdiff_t)i * dh) * (ptrdiff_t)in_w + w->start[ow];
                    for (size_t j = w->tap_lo[ow]; j < w->tap_hi[ow]; j++) {
                        const float v = row[(ptrdiff_t)j * dw];
                        m = v > m ? v : m;
                    }
                }
                yr[ow] = m;
            }
        }
    }
    return 1;
}

static void ep_pool2d(const ep_pool_axis* h, const ep_pool_axis* w, size_t planes, int is_max,
                      int include_pad, const float* x, float* y) {
    const size_t in_h = h->input, in_w = w->input, out_h = h->output, out_w = w->output;
    const ptrdiff_t dh = (ptrdiff_t)h->dilation, dw = (ptrdiff_t)w->dilation;
    const ptrdiff_t stride = out_w > 1 ? w->start[1] - w->start[0] : 1;
    size_t lo[EP_POOL_MAX_TAPS], hi[EP_POOL_MAX_TAPS];
    const size_t taps = ep_pool_taps(w);
    const int ranged = ep_pool_tap_ranges(w, taps, lo, hi);
    const float init = is_max ? -FLT_MAX : 0.0f;
    for (size_t p = 0; p < planes; p++) {
        const float* xp = x + p * in_h * in_w;
        for (size_t oh = 0; oh < out_h; oh++) {
            float* yr = y + (p * out_h + oh) * out_w;
            for (size_t ow = 0; ow < out_w; ow++) yr[ow] = init;
            for (size_t kh = h->tap_lo[oh]; kh < h->tap_hi[oh]; kh++) {
                const float* row = xp + (h->start[oh] + (ptrdiff_t)kh * dh) * (ptrdiff_t)in_w;
                if (!ranged) {
                    ep_pool_row_direct(w, row, dw, is_max, yr);
                    continue;
                }
                for (size_t kw = 0; kw < taps; kw++) {
                    // Input column of output ow for tap kw: start[0] + ow*stride + kw*dw.
                    const float* src = row + w->start[0] + (ptrdiff_t)kw * dw;
                    if (is_max) {
                        for (size_t ow = lo[kw]; ow < hi[kw]; ow++) {
                            const float v = src[(ptrdiff_t)ow * stride];
                            yr[ow] = v > yr[ow] ? v : yr[ow];
                        }
                    } else {
                        for (size_t ow = lo[kw]; ow < hi[kw]; ow++) yr[ow] += src[(ptrdiff_t)ow * stride];
                    }
                }
            }
            if (!is_max) {
                const size_t rows = h->tap_hi[oh] - h->tap_lo[oh];
                for (size_t ow = 0; ow < out_w; ow++) {
                    const size_t n = include_pad ? h->pad_count[oh] * w->pad_count[ow]
                                                 : rows * (w->tap_hi[ow] - w->tap_lo[ow]);
                    yr[ow] = n > 0 ? yr[ow] / (float)n : 0.0f;
                }
            }
        }
    }
}

void ep_f32_maxpool2d__scalar(const ep_pool_axis* h, const ep_pool_axis* w, size_t planes,
                              const float* x, float* y) {
    if (ep_maxpool2d_small(h, w, planes, x, y)) return;
    ep_pool2d(h, w, planes, 1, 0, x, y);
}

void ep_f32_avgpool2d__scalar(const ep_pool_axis* h, const ep_pool_axis* w, size_t planes,
                              int include_pad, const float* x, float* y) {
    ep_pool2d(h, w, planes, 0, include_pad, x, y);
}
