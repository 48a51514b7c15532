// Shared helpers of the C kernel tests: a deterministic RNG, tolerances, clamps, geometries.
#include "test_support.h"

size_t g_passed, g_failed;


static unsigned long long g_rng = 0x9E3779B97F4A7C15ULL;
unsigned rnd(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (unsigned)(g_rng >> 16);
}
size_t rnd_range(size_t lo, size_t hi) { return lo + rnd() % (hi - lo + 1); }  // [lo, hi]
float rnd_float(void) { return (float)((double)(rnd() % 2000001) / 1000000.0 - 1.0); }
void fill(float* p, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = rnd_float();
}

void* xmalloc(size_t bytes) {
    void* p = malloc(bytes ? bytes : 1);
    if (p == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

// |got - want| within 1e-5 * K relative (absolute near zero).
int close_enough(float got, double want, size_t k) {
    const double tol = 1e-5 * (double)(k > 0 ? k : 1) * fmax(1.0, fabs(want));
    return fabs((double)got - want) <= tol;
}

double clampd(double v, const ep_f32_minmax_params* p) {
    if (v < p->min) v = p->min;
    if (v > p->max) v = p->max;
    return v;
}

ep_f32_minmax_params random_clamp(void) {
    ep_f32_minmax_params p;
    switch (rnd() % 4) {
        case 0: p.min = -INFINITY; p.max = INFINITY; break;
        case 1: p.min = 0.0f; p.max = INFINITY; break;  // Relu
        case 2: p.min = 0.0f; p.max = 6.0f; break;      // Relu6
        default: {                                      // narrow Clip
            const float a = rnd_float(), b = rnd_float();
            p.min = a < b ? a : b;
            p.max = a < b ? b : a;
        }
    }
    return p;
}

// Random geometry with in_h in [min_h, max_h] (1 if one_d) and in_w in [min_w, max_w]; returns 0
// when the kernel does not fit the padded input.
int random_geometry(ep_conv2d_geometry* g, int one_d, size_t min_h, size_t max_h, size_t min_w,
                    size_t max_w) {
    g->in_c = rnd_range(1, 6);
    g->in_h = one_d ? 1 : rnd_range(min_h, max_h);
    g->in_w = rnd_range(min_w, max_w);
    g->k_h = one_d ? 1 : rnd_range(1, 4);
    g->k_w = rnd_range(1, 5);
    g->stride_h = one_d ? 1 : rnd_range(1, 3);
    g->stride_w = rnd_range(1, 3);
    g->dil_h = one_d ? 1 : rnd_range(1, 2);
    g->dil_w = rnd_range(1, 2);
    g->pad_top = one_d ? 0 : rnd_range(0, 2);
    g->pad_left = rnd_range(0, 3);
    const size_t pad_bottom = one_d ? 0 : rnd_range(0, 2), pad_right = rnd_range(0, 3);
    const size_t span_h = g->dil_h * (g->k_h - 1) + 1, span_w = g->dil_w * (g->k_w - 1) + 1;
    const size_t ph = g->in_h + g->pad_top + pad_bottom, pw = g->in_w + g->pad_left + pad_right;
    if (ph < span_h || pw < span_w) return 0;
    g->out_h = (ph - span_h) / g->stride_h + 1;
    g->out_w = (pw - span_w) / g->stride_w + 1;
    return 1;
}

double naive_conv_point(const ep_conv2d_geometry* g, const float* in, const float* w, size_t oh,
                        size_t ow) {
    double acc = 0.0;
    for (size_t c = 0; c < g->in_c; c++) {
        for (size_t kh = 0; kh < g->k_h; kh++) {
            for (size_t kw = 0; kw < g->k_w; kw++) {
                const long ih = (long)(oh * g->stride_h + kh * g->dil_h) - (long)g->pad_top;
                const long iw = (long)(ow * g->stride_w + kw * g->dil_w) - (long)g->pad_left;
                if (ih < 0 || iw < 0 || ih >= (long)g->in_h || iw >= (long)g->in_w) continue;
                acc += (double)in[(c * g->in_h + (size_t)ih) * g->in_w + (size_t)iw] *
                       w[(c * g->k_h + kh) * g->k_w + kw];
            }
        }
    }
    return acc;
}

void describe_geometry(char* buf, size_t size, const ep_conv2d_geometry* g) {
    snprintf(buf, size,
             "c=%zu in=%zux%zu k=%zux%zu s=%zux%zu d=%zux%zu pad(t,l)=%zu,%zu out=%zux%zu",
             g->in_c, g->in_h, g->in_w, g->k_h, g->k_w, g->stride_h, g->stride_w, g->dil_h,
             g->dil_w, g->pad_top, g->pad_left, g->out_h, g->out_w);
}

void check(int ok, const char* fmt, ...) {
    if (ok) {
        g_passed++;
        return;
    }
    g_failed++;
    va_list args;
    va_start(args, fmt);
    printf("FAIL ");
    vprintf(fmt, args);
    printf("\n");
    va_end(args);
}
