// int8 Linear formats and kernels against the scalar reference (bitwise) and a naive QLinear product.
#include "test_support.h"

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

enum { QS8_MAX_KERNELS = 32 };

typedef struct {
    size_t rows, cols;
    int8_t* w;          // rows x cols
    int32_t* bias;      // rows or NULL
    float* mult;        // rows
    int32_t x_zp;
    int x_unsigned;
} qs8_problem;

static void* aligned64(size_t bytes) {
    void* p = NULL;
    if (posix_memalign(&p, 64, bytes < 64 ? 64 : bytes) != 0) exit(2);
    return p;
}

/// `bytes` bytes ending exactly at an inaccessible page, so a kernel reading past the end of x
/// faults instead of passing silently. Release with guarded_free.
static uint8_t* guarded_alloc(size_t bytes, size_t* map_size) {
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    const size_t data_pages = (bytes + page - 1) / page;
    *map_size = (data_pages + 1) * page;
    uint8_t* base = mmap(NULL, *map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) exit(2);
    if (mprotect(base + data_pages * page, page, PROT_NONE) != 0) exit(2);
    return base + data_pages * page - bytes;
}

static void guarded_free(uint8_t* p, size_t bytes, size_t map_size) {
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    munmap(p + bytes - ((bytes + page - 1) / page) * page, map_size);
}

static int32_t rnd_i32(int32_t lo, int32_t hi) { return lo + (int32_t)rnd_range(0, (size_t)(hi - lo)); }

/// Random weights: unstructured zeros with density `keep`, or zeroed block_rows x block_cols
/// blocks when blocked; occasional -128 (kernels must stay exact for it).
static void random_weights(qs8_problem* p, double keep, size_t br, size_t bc) {
    for (size_t n = 0; n < p->rows; n++) {
        for (size_t k = 0; k < p->cols; k++) {
            int8_t v = (int8_t)rnd_i32(-128, 127);
            if (v == 0) v = 1;
            p->w[n * p->cols + k] = v;
        }
    }
    if (br == 0) {
        for (size_t e = 0; e < p->rows * p->cols; e++) {
            if ((double)(rnd() % 10000) / 10000.0 >= keep) p->w[e] = 0;
        }
    } else {
        for (size_t n0 = 0; n0 < p->rows; n0 += br) {
            for (size_t k0 = 0; k0 < p->cols; k0 += bc) {
                if ((double)(rnd() % 10000) / 10000.0 < keep) continue;
                for (size_t n = n0; n < n0 + br && n < p->rows; n++)
                    for (size_t k = k0; k < k0 + bc && k < p->cols; k++) p->w[n * p->cols + k] = 0;
            }
        }
    }
}

static ep_qs8_output_params random_output(void) {
    ep_qs8_output_params o;
    o.y_unsigned = (int)(rnd() % 2);
    const int32_t tmin = o.y_unsigned ? 0 : -128, tmax = o.y_unsigned ? 255 : 127;
    o.y_zero_point = rnd_i32(tmin, tmax);
    switch (rnd() % 4) {
        case 0: o.qmin = tmin, o.qmax = tmax; break;                 // no activation
        case 1: o.qmin = o.y_zero_point, o.qmax = tmax; break;       // Relu
        case 2:                                                       // narrow Clip
            o.qmin = rnd_i32(tmin, tmax);
            o.qmax = rnd_i32(o.qmin, tmax);
            break;
        default: o.qmin = tmin + 3, o.qmax = tmax - 5; break;
    }
    return o;
}

/// The formula with a 64-bit accumulator, from the unpacked weights.
static int32_t naive_output(const qs8_problem* p, const uint8_t* xb, size_t n,
                            const ep_qs8_output_params* o, double* exact) {
    int64_t acc = p->bias != NULL ? p->bias[n] : 0;
    for (size_t k = 0; k < p->cols; k++) {
        const int64_t xv = p->x_unsigned ? (int64_t)xb[k] : (int64_t)(int8_t)xb[k];
        acc += (xv - p->x_zp) * p->w[n * p->cols + k];
    }
    *exact = (double)acc * (double)p->mult[n] + o->y_zero_point;
    float f = (float)acc * p->mult[n];
    double r = rint((double)f) + o->y_zero_point;  // round half to even (default rounding mode)
    r = r < o->qmin ? o->qmin : r;
    r = r > o->qmax ? o->qmax : r;
    return (int32_t)r;
}

static int32_t stored_value(const uint8_t* y, int y_unsigned) {
    return y_unsigned ? (int32_t)*y : (int32_t)(int8_t)*y;
}

static void test_format_kernels(const ep_qs8_linear_format* fmt, const ep_qs8_linear_kernel** ks,
                                size_t nk) {
    const ep_qs8_linear_kernel* ref = NULL;
    for (size_t i = 0; i < nk; i++) {
        if (ks[i]->format == fmt && ks[i]->reference) ref = ks[i];
    }
    check(ref != NULL, "qs8 %s: no reference kernel listed", fmt->name);
    if (ref == NULL) return;
    size_t worst_ref_vs_naive = 0;
    for (int iter = 0; iter < 160; iter++) {
        qs8_problem p;
        p.rows = iter < 8 ? (size_t)iter + 1 : rnd_range(1, iter % 5 == 0 ? 200 : 40);
        p.cols = iter % 7 == 0 ? rnd_range(1, 20) : rnd_range(1, iter % 3 == 0 ? 700 : 90);
        p.w = xmalloc(p.rows * p.cols);
        p.bias = rnd() % 4 == 0 ? NULL : xmalloc(sizeof(int32_t) * p.rows);
        p.mult = xmalloc(sizeof(float) * p.rows);
        p.x_unsigned = (int)(rnd() % 2);
        p.x_zp = p.x_unsigned ? rnd_i32(0, 255) : rnd_i32(-128, 127);
        const double keep = (double)(rnd() % 101) / 100.0;
        const int blocked = fmt->block_rows > 0 && rnd() % 2 == 0;
        random_weights(&p, keep, blocked ? fmt->block_rows : 0, blocked ? fmt->block_cols : 0);
        for (size_t n = 0; n < p.rows; n++) {
            if (p.bias != NULL) p.bias[n] = rnd_i32(-200000, 200000);
            // Spread outputs over the 8-bit range; sometimes far beyond it (saturation).
            const float base = 1.0f / (40.0f * (float)sqrt((double)p.cols) * 64.0f);
            p.mult[n] = base * (0.25f + 2.0f * (float)(rnd() % 1000) / 1000.0f) *
                        (rnd() % 8 == 0 ? 50.0f : 1.0f);
        }
        const size_t size = fmt->packed_size(p.rows, p.cols, p.w, p.cols, 1);
        check(size > 0, "qs8 %s: packed_size refused %zux%zu", fmt->name, p.rows, p.cols);
        if (size == 0) continue;
        void* blob = aligned64(size);
        check(fmt->pack(p.rows, p.cols, p.w, p.cols, 1, p.bias, p.mult, p.x_zp, p.x_unsigned, blob) == 0,
              "qs8 %s: pack failed", fmt->name);
        const char* what = NULL;
        size_t where = 0;
        check(fmt->validate(blob, size, p.rows, p.cols, &what, &where) == 0,
              "qs8 %s: validate rejected its own blob: %s at %zu", fmt->name, what ? what : "?", where);
        // stored(): dense stores everything, a block format its non-zero blocks.
        size_t want_stored = p.rows * p.cols;
        if (fmt->block_rows > 0) {
            want_stored = 0;
            for (size_t n0 = 0; n0 < p.rows; n0 += fmt->block_rows)
                for (size_t k0 = 0; k0 < p.cols; k0 += fmt->block_cols) {
                    int nz = 0;
                    for (size_t n = n0; n < n0 + fmt->block_rows && n < p.rows; n++)
                        for (size_t k = k0; k < k0 + fmt->block_cols && k < p.cols; k++)
                            nz |= p.w[n * p.cols + k] != 0;
                    want_stored += nz ? fmt->block_rows * fmt->block_cols : 0;
                }
        }
        check(fmt->stored(blob) == want_stored, "qs8 %s: stored %zu, want %zu", fmt->name,
              fmt->stored(blob), want_stored);

        const size_t batch = rnd_range(1, 9);
        const size_t ldx = p.cols + rnd_range(0, 5), ldy = p.rows + rnd_range(0, 5);
        const size_t xbytes = (batch - 1) * ldx + p.cols, ybytes = batch * ldy;
        size_t xmap;
        uint8_t* x = guarded_alloc(xbytes, &xmap);
        for (size_t i = 0; i < xbytes; i++) x[i] = (uint8_t)rnd();
        const size_t groups = (p.rows + fmt->row_group - 1) / fmt->row_group;
        const size_t row_begin = rnd() % 3 == 0 ? 0 : fmt->row_group * rnd_range(0, groups - 1);
        const size_t row_end = rnd() % 2 == 0 ? p.rows : rnd_range(row_begin + 1, p.rows);
        const ep_qs8_output_params o = random_output();
        uint8_t* yref = xmalloc(ybytes);
        uint8_t* y = xmalloc(ybytes);
        memset(yref, 0xA5, ybytes);
        ref->run(blob, row_begin, row_end, batch, x, ldx, yref, ldy, &o);
        // Reference against the naive formula; untouched memory outside the row range.
        size_t bad = 0, sentinel_bad = 0;
        for (size_t b = 0; b < batch; b++) {
            for (size_t n = 0; n < ldy; n++) {
                const uint8_t got = yref[b * ldy + n];
                if (n < row_begin || n >= row_end) {
                    sentinel_bad += got != 0xA5;
                    continue;
                }
                double exact;
                const int32_t want = naive_output(&p, x + b * ldx, n, &o, &exact);
                const int32_t g = stored_value(&yref[b * ldy + n], o.y_unsigned);
                bad += g != want;
                // And the f32 formula within one step of the exact (double) value.
                double e = exact < o.qmin ? o.qmin : exact;
                e = e > o.qmax ? o.qmax : e;
                const size_t dist = (size_t)fabs((double)g - e);
                if (dist > worst_ref_vs_naive) worst_ref_vs_naive = dist;
            }
        }
        check(bad == 0 && sentinel_bad == 0,
              "qs8 %s: reference vs naive %zux%zu batch %zu rows [%zu,%zu) xu=%d yu=%d: %zu wrong, "
              "%zu outside writes", fmt->name, p.rows, p.cols, batch, row_begin, row_end,
              p.x_unsigned, o.y_unsigned, bad, sentinel_bad);
        for (size_t i = 0; i < nk; i++) {
            if (ks[i]->format != fmt || ks[i] == ref) continue;
            memset(y, 0xA5, ybytes);
            ks[i]->run(blob, row_begin, row_end, batch, x, ldx, y, ldy, &o);
            size_t diff = 0;
            for (size_t e = 0; e < ybytes; e++) diff += y[e] != yref[e];
            check(diff == 0,
                  "qs8 %s: %s differs from the reference in %zu bytes (%zux%zu batch %zu rows "
                  "[%zu,%zu) xu=%d yu=%d)", fmt->name, ks[i]->name, diff, p.rows, p.cols, batch,
                  row_begin, row_end, p.x_unsigned, o.y_unsigned);
        }
        guarded_free(x, xbytes, xmap);
        free(blob); free(y); free(yref); free(p.w); free(p.bias); free(p.mult);
    }
    check(worst_ref_vs_naive <= 1, "qs8 %s: reference %zu steps from the exact double value",
          fmt->name, worst_ref_vs_naive);
}

/// One corruption: patch the blob, expect rejection with the given message.
static void expect_rejected(const ep_qs8_linear_format* fmt, const void* good, size_t size,
                            size_t rows, size_t cols, size_t offset, const void* bytes, size_t n,
                            const char* want) {
    void* bad = aligned64(size);
    memcpy(bad, good, size);
    memcpy((char*)bad + offset, bytes, n);
    const char* what = NULL;
    size_t where = 0;
    const int rc = fmt->validate(bad, size, rows, cols, &what, &where);
    check(rc != 0 && what != NULL && strcmp(what, want) == 0,
          "qs8 %s: corrupt blob (%s) gave rc %d, '%s'", fmt->name, want, rc, what ? what : "");
    free(bad);
}

static void test_validate(const ep_qs8_linear_format* fmt, const ep_qs8_linear_kernel** ks,
                          size_t nk) {
    qs8_problem p = {37, 45, NULL, NULL, NULL, 3, 1};
    p.w = xmalloc(p.rows * p.cols);
    p.mult = xmalloc(sizeof(float) * p.rows);
    random_weights(&p, 0.4, fmt->block_rows, fmt->block_cols);
    for (size_t n = 0; n < p.rows; n++) p.mult[n] = 0.001f;
    const size_t size = fmt->packed_size(p.rows, p.cols, p.w, p.cols, 1);
    void* blob = aligned64(size);
    check(fmt->pack(p.rows, p.cols, p.w, p.cols, 1, NULL, p.mult, p.x_zp, 1, blob) == 0,
          "qs8 %s: pack", fmt->name);
    const char* what = NULL;
    size_t where = 0;
    check(fmt->validate(blob, size, p.rows, p.cols, &what, &where) == 0, "qs8 %s: good blob rejected",
          fmt->name);
    check(fmt->validate(blob, size, p.rows + 1, p.cols, &what, &where) != 0 &&
              strcmp(what, "rows differ from the expected shape") == 0,
          "qs8 %s: wrong rows accepted", fmt->name);
    check(fmt->validate(blob, size, p.rows, p.cols - 1, &what, &where) != 0 &&
              strcmp(what, "cols differ from the expected shape") == 0,
          "qs8 %s: wrong cols accepted", fmt->name);
    check(fmt->validate(blob, size - 1, p.rows, p.cols, &what, &where) != 0 &&
              strcmp(what, "blob truncated") == 0, "qs8 %s: truncated blob accepted", fmt->name);
    check(fmt->validate(blob, 10, p.rows, p.cols, &what, &where) != 0 &&
              strcmp(what, "blob smaller than its header") == 0, "qs8 %s: tiny blob accepted", fmt->name);
    const uint32_t junk = 0xdeadbeefu, two = 2, big = 0x7fffffffu;
    const uint64_t size_plus = (uint64_t)size + 64;
    const float nan = NAN, inf = INFINITY;
    expect_rejected(fmt, blob, size, p.rows, p.cols, 0, &junk, 4, "wrong magic (not this format)");
    expect_rejected(fmt, blob, size, p.rows, p.cols, 4, &two, 4, "unsupported version");
    expect_rejected(fmt, blob, size, p.rows, p.cols, 16, &two, 4, "bad activation signedness flag");
    expect_rejected(fmt, blob, size, p.rows, p.cols, 20, &junk, 4, "activation zero point out of range");
    expect_rejected(fmt, blob, size, p.rows, p.cols, 28, &two, 4, "reserved field not zero");
    expect_rejected(fmt, blob, size, p.rows, p.cols, 32, &size_plus, 8,
                    "header size disagrees with the layout");
    expect_rejected(fmt, blob, size, p.rows, p.cols, 24, &big, 4,
                    fmt->block_rows > 0 ? "more blocks than the matrix holds" : "block count in a dense blob");
    // Per-row arrays hold the rows rounded up to the format's row group.
    const size_t r4 = (p.rows + fmt->row_group - 1) / fmt->row_group * fmt->row_group;
    expect_rejected(fmt, blob, size, p.rows, p.cols, 64 + 8 * r4 + 4 * 5, &nan, 4, "multiplier not finite");
    expect_rejected(fmt, blob, size, p.rows, p.cols, 64 + 8 * r4 + 4 * 36, &inf, 4, "multiplier not finite");
    // A misaligned copy is refused.
    char* unaligned = aligned64(size + 1);
    memcpy(unaligned + 1, blob, size);
    check(fmt->validate(unaligned + 1, size, p.rows, p.cols, &what, &where) != 0,
          "qs8 %s: misaligned blob accepted", fmt->name);
    free(unaligned);
    if (fmt->block_rows > 0) {
        // bsr arrays: ptr uint32[G+1] right after the 64-aligned per-row arrays, then idx.
        const size_t groups = r4 / fmt->row_group, ptr_off = (64 + 12 * r4 + 63) / 64 * 64;
        const size_t idx_off = ptr_off + 4 * (groups + 1);
        uint32_t ptrs[16];
        memcpy(ptrs, (char*)blob + ptr_off, sizeof(uint32_t) * (groups + 1));
        uint16_t idx0, idx1;
        memcpy(&idx0, (char*)blob + idx_off, 2);
        memcpy(&idx1, (char*)blob + idx_off + 2, 2);
        const uint32_t one = 1, dec = ptrs[3] > 0 ? ptrs[3] - 1 : 0, over = ptrs[groups] + 1;
        const uint16_t far = (uint16_t)((p.cols + 3) / 4), same = idx0;
        expect_rejected(fmt, blob, size, p.rows, p.cols, ptr_off, &one, 4, "block pointer 0 not zero");
        if (ptrs[3] > ptrs[2])
            expect_rejected(fmt, blob, size, p.rows, p.cols, ptr_off + 4 * 4, &dec, 4, "block pointers decrease");
        expect_rejected(fmt, blob, size, p.rows, p.cols, ptr_off + 4 * 1, &over, 4,
                        "block pointer past the block count");
        expect_rejected(fmt, blob, size, p.rows, p.cols, idx_off, &far, 2, "block column out of range");
        if (ptrs[1] >= 2)
            expect_rejected(fmt, blob, size, p.rows, p.cols, idx_off + 2, &same, 2, "block columns not ascending");
        (void)idx1;
        // Random byte flips: whatever validate accepts, every kernel must run safely on it.
        uint8_t x[45 * 2];
        uint8_t y[37 * 2];
        for (size_t i = 0; i < sizeof x; i++) x[i] = (uint8_t)rnd();
        const ep_qs8_output_params o = {0, 1, 0, 255};
        size_t accepted = 0;
        for (int t = 0; t < 300; t++) {
            uint8_t* bad = aligned64(size);
            memcpy(bad, blob, size);
            for (int f = 0; f < 3; f++) bad[rnd_range(64 + 12 * r4, idx_off + 20)] ^= (uint8_t)(1u << (rnd() % 8));
            if (fmt->validate(bad, size, p.rows, p.cols, &what, &where) == 0) {
                accepted++;
                for (size_t i = 0; i < nk; i++)
                    if (ks[i]->format == fmt) ks[i]->run(bad, 0, p.rows, 2, x, 45, y, 37, &o);
            }
            free(bad);
        }
        check(accepted < 300, "qs8 %s: every corrupted blob accepted", fmt->name);
    }
    // Shapes out of range are refused; a block format takes any zero pattern (no pattern refusal).
    check(fmt->packed_size(0, 5, p.w, 5, 1) == 0 && fmt->packed_size(5, 0, p.w, 0, 1) == 0,
          "qs8 %s: empty shape accepted", fmt->name);
    check(fmt->packed_size(1, (1u << 18) + 1, p.w, 0, 0) == 0, "qs8 %s: too many cols accepted",
          fmt->name);
    float bad_mult[37];
    for (size_t n = 0; n < p.rows; n++) bad_mult[n] = n == 7 ? NAN : 0.01f;
    check(fmt->pack(p.rows, p.cols, p.w, p.cols, 1, NULL, bad_mult, 0, 0, blob) != 0,
          "qs8 %s: NaN multiplier packed", fmt->name);
    check(fmt->pack(p.rows, p.cols, p.w, p.cols, 1, NULL, p.mult, 200, 0, blob) != 0 &&
              fmt->pack(p.rows, p.cols, p.w, p.cols, 1, NULL, p.mult, -1, 1, blob) != 0,
          "qs8 %s: out-of-range activation zero point packed", fmt->name);
    free(blob); free(p.w); free(p.mult);
}

/// Shapes the random sweep does not reach: many row groups (flat block loops spanning several
/// chunks, chunk boundaries at group ends, runs of empty groups), very wide rows (x not widened up front), odd row ranges; every
/// kernel of the format against its reference, bitwise, batches 1..6.
static void test_large_shapes(const ep_qs8_linear_format* fmt, const ep_qs8_linear_kernel** ks,
                              size_t nk) {
    static const struct { size_t rows, cols; double keep; } cases[] = {
        {1203, 64, 0.1}, {2050, 37, 0.03}, {509, 300, 0.5}, {10, 9001, 0.2}, {13, 12000, 0.9},
        {64, 1024, 0.02}, {1024, 8, 0.0},
        // Fully dense, 1 or 3 blocks per row group: group ends fall on every chunk boundary of the
        // flat block loops (and one block past it).
        // 0-2 blocks per group: groups (and pairs of groups) ending one block past a chunk.
        {8800, 4, 1.0}, {2000, 12, 1.0}, {16000, 8, 0.5},
    };
    const ep_qs8_linear_kernel* ref = NULL;
    for (size_t i = 0; i < nk; i++)
        if (ks[i]->format == fmt && ks[i]->reference) ref = ks[i];
    if (ref == NULL) return;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        qs8_problem p = {cases[c].rows, cases[c].cols, NULL, NULL, NULL, 0, (int)(c % 2)};
        p.x_zp = p.x_unsigned ? 100 : -7;
        p.w = xmalloc(p.rows * p.cols);
        p.bias = xmalloc(sizeof(int32_t) * p.rows);
        p.mult = xmalloc(sizeof(float) * p.rows);
        random_weights(&p, cases[c].keep, c % 3 == 2 ? 0 : fmt->block_rows, c % 3 == 2 ? 0 : fmt->block_cols);
        for (size_t n = 0; n < p.rows; n++) {
            p.bias[n] = rnd_i32(-100000, 100000);
            p.mult[n] = 1.0f / (30.0f * (float)sqrt((double)p.cols) * 64.0f);
        }
        const size_t size = fmt->packed_size(p.rows, p.cols, p.w, p.cols, 1);
        void* blob = aligned64(size);
        check(size > 0 && fmt->pack(p.rows, p.cols, p.w, p.cols, 1, p.bias, p.mult, p.x_zp,
                                    p.x_unsigned, blob) == 0,
              "qs8 %s: pack %zux%zu", fmt->name, p.rows, p.cols);
        const size_t batch = 1 + c % 6, ldx = p.cols + 1, ldy = p.rows + 3;
        const size_t xbytes = (batch - 1) * ldx + p.cols, ybytes = batch * ldy;
        size_t xmap;
        uint8_t* x = guarded_alloc(xbytes, &xmap);
        for (size_t i = 0; i < xbytes; i++) x[i] = (uint8_t)rnd();
        uint8_t* yref = xmalloc(ybytes);
        uint8_t* y = xmalloc(ybytes);
        for (int range = 0; range < 3; range++) {
            const size_t groups = (p.rows + fmt->row_group - 1) / fmt->row_group;
            const size_t row_begin = range == 0 ? 0 : fmt->row_group * rnd_range(0, groups - 1);
            const size_t row_end = range == 0 ? p.rows : rnd_range(row_begin + 1, p.rows);
            const ep_qs8_output_params o = random_output();
            memset(yref, 0xA5, ybytes);
            ref->run(blob, row_begin, row_end, batch, x, ldx, yref, ldy, &o);
            for (size_t i = 0; i < nk; i++) {
                if (ks[i]->format != fmt || ks[i] == ref) continue;
                memset(y, 0xA5, ybytes);
                ks[i]->run(blob, row_begin, row_end, batch, x, ldx, y, ldy, &o);
                size_t diff = 0;
                for (size_t e = 0; e < ybytes; e++) diff += y[e] != yref[e];
                check(diff == 0, "qs8 %s: %s differs from the reference in %zu bytes (%zux%zu batch %zu rows [%zu,%zu))",
                      fmt->name, ks[i]->name, diff, p.rows, p.cols, batch, row_begin, row_end);
            }
        }
        guarded_free(x, xbytes, xmap);
        free(blob); free(y); free(yref); free(p.w); free(p.bias); free(p.mult);
    }
}

static void test_quantize(void) {
    const float w[3][4] = {{0.5f, -1.0f, 0.25f, 0.0f}, {0, 0, 0, 0}, {3.0f, -1.5f, 0.75f, 1e-9f}};
    int8_t q[12];
    float s[3];
    ep_qs8_quantize_rows(3, 4, &w[0][0], 4, 1, q, s);
    // 0.5 * 127 = 63.5 rounds to even 64; 0.25 * 127 = 31.75 -> 32.
    check(q[0] == 64 && q[1] == -127 && q[2] == 32 && q[3] == 0 && s[0] == 1.0f / 127.0f,
          "qs8 quantize row 0: %d %d %d %d scale %g", q[0], q[1], q[2], q[3], s[0]);
    check(s[1] == 1.0f && q[4] == 0 && q[7] == 0, "qs8 quantize: zero row scale %g", s[1]);
    check(q[8] == 127 && q[9] == -64 && q[10] == 32 && q[11] == 0,
          "qs8 quantize row 2: %d %d %d %d", q[8], q[9], q[10], q[11]);  // -63.5 -> -64, 31.75 -> 32
    // Random rows, column-major source: against a naive double computation.
    enum { R = 9, C = 33 };
    float wr[R * C];
    int8_t qr[R * C];
    float sr[R];
    fill(wr, R * C);
    ep_qs8_quantize_rows(R, C, wr, 1, R, qr, sr);
    size_t bad = 0;
    for (size_t n = 0; n < R; n++) {
        float mx = 0;
        for (size_t k = 0; k < C; k++) mx = fabsf(wr[k * R + n]) > mx ? fabsf(wr[k * R + n]) : mx;
        bad += sr[n] != mx / 127.0f;
        for (size_t k = 0; k < C; k++) bad += qr[n * C + k] != (int8_t)rint((double)(wr[k * R + n] / sr[n]));
    }
    check(bad == 0, "qs8 quantize random rows: %zu mismatches", bad);
}

void test_qs8_linear(void) {
    const ep_qs8_linear_kernel* ks[QS8_MAX_KERNELS];
    const size_t nk = ep_qs8_linear_list_kernels(ks, QS8_MAX_KERNELS);
    check(nk >= 2 && nk <= QS8_MAX_KERNELS, "qs8: %zu kernels listed", nk);
    printf("qs8 linear kernels:");
    for (size_t i = 0; i < nk; i++) printf(" %s", ks[i]->name);
    printf("\n");
    // Formats in list order; the reference first within each, as documented.
    const ep_qs8_linear_format* fmts[8];
    size_t nf = 0;
    for (size_t i = 0; i < nk; i++) {
        if (nf == 0 || fmts[nf - 1] != ks[i]->format) {
            check(ks[i]->reference == 1, "qs8: %s opens its format but is not the reference",
                  ks[i]->name);
            for (size_t f = 0; f < nf; f++)
                check(fmts[f] != ks[i]->format, "qs8: format %s not grouped", ks[i]->format->name);
            if (nf < 8) fmts[nf++] = ks[i]->format;
        }
    }
    for (size_t f = 0; f < nf; f++) {
        test_format_kernels(fmts[f], ks, nk);
        test_validate(fmts[f], ks, nk);
        test_large_shapes(fmts[f], ks, nk);
    }
    test_quantize();
}
