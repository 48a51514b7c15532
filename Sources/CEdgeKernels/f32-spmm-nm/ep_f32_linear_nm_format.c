// The "nm2:4" and "nm4:8" f32 Linear formats: size, pack, validate, stored (layout in ukernels.h).
#include <string.h>

#include "ukernels.h"

static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

static unsigned bits_of(size_t m) { return m == 4 ? 2 : 3; }

// Layout for rows x cols; 0 when out of range.
static size_t nm_layout(size_t rows, size_t cols, size_t n, size_t m, ep_f32_nm_header* h) {
    if (rows == 0 || cols == 0 || rows > 0x7ffffff0u || cols > 0x7ffffff0u) return 0;
    memset(h, 0, sizeof *h);
    h->magic = EP_NM_MAGIC;
    h->version = 1;
    h->rows = (uint32_t)rows;
    h->cols = (uint32_t)cols;
    h->n = (uint32_t)n;
    h->m = (uint32_t)m;
    h->groups = (uint32_t)((cols + m - 1) / m);
    h->panels = (uint32_t)((rows + 7) / 8);
    const size_t blocks = (size_t)h->groups * h->panels;
    h->off_val = sizeof *h;
    h->off_meta = align64(h->off_val + 4 * blocks * n * 8);
    h->size = align64(h->off_meta + blocks * n * bits_of(m) + 4);
    return (size_t)h->size;
}

// Fills one row's slots of one group: the non-zeros in column order, then zeros at the smallest
// unused columns (column 0 when the group is narrower than n). Returns -1 on more than n.
static int group_slots(const float* w, size_t rs, size_t cs, size_t r, size_t c0, size_t width,
                       size_t n, unsigned* col, float* v) {
    size_t k = 0;
    unsigned used = 0;
    for (size_t c = 0; c < width; c++) {
        const float x = w[r * rs + (c0 + c) * cs];
        if (x == 0.0f) continue;
        if (k == n) return -1;
        col[k] = (unsigned)c;
        v[k] = x;
        used |= 1u << c;
        k++;
    }
    for (size_t c = 0; c < width && k < n; c++) {
        if (used & (1u << c)) continue;
        col[k] = (unsigned)c;
        v[k] = 0.0f;
        k++;
    }
    for (; k < n; k++) {
        col[k] = 0;
        v[k] = 0.0f;
    }
    return 0;
}

static size_t nm_size(size_t rows, size_t cols, const float* w, size_t rs, size_t cs, size_t n,
                      size_t m) {
    ep_f32_nm_header h;
    const size_t size = nm_layout(rows, cols, n, m, &h);
    if (size == 0) return 0;
    unsigned col[4];
    float v[4];
    for (size_t r = 0; r < rows; r++)
        for (size_t c0 = 0; c0 < cols; c0 += m)
            if (group_slots(w, rs, cs, r, c0, cols - c0 < m ? cols - c0 : m, n, col, v) != 0) return 0;
    return size;
}

static int nm_pack(size_t rows, size_t cols, const float* w, size_t rs, size_t cs, void* dst,
                   size_t n, size_t m) {
    ep_f32_nm_header h;
    const size_t size = nm_layout(rows, cols, n, m, &h);
    if (size == 0) return -1;
    unsigned char* blob = dst;
    memset(blob, 0, size);
    memcpy(blob, &h, sizeof h);
    float* val = (float*)(blob + h.off_val);
    uint8_t* meta = blob + h.off_meta;
    const unsigned bits = bits_of(m);
    unsigned col[4];
    float v[4];
    for (size_t r = 0; r < rows; r++) {
        const size_t p = r / 8, lane = r % 8;
        for (size_t g = 0; g < h.groups; g++) {
            const size_t c0 = g * m;
            if (group_slots(w, rs, cs, r, c0, cols - c0 < m ? cols - c0 : m, n, col, v) != 0) return -1;
            const size_t block = p * h.groups + g;
            uint8_t* mb = meta + block * n * bits;
            for (size_t s = 0; s < n; s++) {
                val[(block * n + s) * 8 + lane] = v[s];
                const size_t bit = (s * 8 + lane) * bits;
                const unsigned field = col[s] << (bit & 7);
                mb[bit >> 3] |= (uint8_t)field;
                mb[(bit >> 3) + 1] |= (uint8_t)(field >> 8);
            }
        }
    }
    return 0;
}

static int fail(const char** what, size_t* where, const char* message, size_t at) {
    *what = message;
    *where = at;
    return 1;
}

static int nm_validate(const void* packed, size_t size, size_t rows, size_t cols, const char** what,
                       size_t* where, size_t n, size_t m) {
    ep_f32_nm_header h, want;
    if (packed == NULL || size < sizeof h) return fail(what, where, "blob smaller than its header", size);
    memcpy(&h, packed, sizeof h);
    if (h.magic != EP_NM_MAGIC || h.version != 1) return fail(what, where, "not an N:M blob", 0);
    if (h.n != n || h.m != m) return fail(what, where, "blob N:M differs from the format", 0);
    if (h.rows != rows || h.cols != cols) return fail(what, where, "blob shape differs from the layer", 0);
    const size_t need = nm_layout(rows, cols, n, m, &want);
    if (need == 0 || memcmp(&h, &want, sizeof h) != 0)
        return fail(what, where, "section offsets inconsistent", 0);
    if (size != need) return fail(what, where, "blob size differs from its header", size);
    // Full groups cannot index past their m columns; the partial last group can.
    const size_t width = cols - (size_t)(h.groups - 1) * m;
    if (width < m) {
        const uint8_t* meta = (const uint8_t*)packed + h.off_meta;
        const unsigned bits = bits_of(m);
        for (size_t p = 0; p < h.panels; p++) {
            const size_t block = p * h.groups + h.groups - 1;
            for (unsigned s = 0; s < n; s++)
                for (unsigned r = 0; r < 8; r++)
                    if (ep_nm_index(meta + block * n * bits, bits, s, r) >= width)
                        return fail(what, where, "N:M index past the last column", block * n * 8 + s * 8 + r);
        }
    }
    return 0;
}

static size_t nm_stored(const void* packed) {
    // Value slots of real rows: n per group, including the zeros a group with fewer than n
    // non-zeros stores (what the kernels multiply).
    ep_f32_nm_header h;
    memcpy(&h, packed, sizeof h);
    return (size_t)h.rows * h.groups * h.n;
}

static size_t size24(size_t rows, size_t cols, const float* w, size_t rs, size_t cs) {
    return nm_size(rows, cols, w, rs, cs, 2, 4);
}
static size_t size48(size_t rows, size_t cols, const float* w, size_t rs, size_t cs) {
    return nm_size(rows, cols, w, rs, cs, 4, 8);
}
static int pack24(size_t rows, size_t cols, const float* w, size_t rs, size_t cs, void* dst) {
    return nm_pack(rows, cols, w, rs, cs, dst, 2, 4);
}
static int pack48(size_t rows, size_t cols, const float* w, size_t rs, size_t cs, void* dst) {
    return nm_pack(rows, cols, w, rs, cs, dst, 4, 8);
}
static int validate24(const void* packed, size_t size, size_t rows, size_t cols, const char** what,
                      size_t* where) {
    return nm_validate(packed, size, rows, cols, what, where, 2, 4);
}
static int validate48(const void* packed, size_t size, size_t rows, size_t cols, const char** what,
                      size_t* where) {
    return nm_validate(packed, size, rows, cols, what, where, 4, 8);
}

const ep_f32_linear_format ep_f32_linear_format_nm2_4 = {
    "nm2:4", 1, 1, 2, 4, 8, size24, pack24, validate24, nm_stored};
const ep_f32_linear_format ep_f32_linear_format_nm4_8 = {
    "nm4:8", 1, 1, 4, 8, 8, size48, pack48, validate48, nm_stored};
