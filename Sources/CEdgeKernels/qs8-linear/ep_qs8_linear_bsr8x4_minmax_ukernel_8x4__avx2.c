// AVX2 "bsr8x4" int8 Linear: each half of a stored 8 x 4 block (8 rows x 2 columns, row-ordered
// weight pairs) sign-extends into one ymm of 16 int16, and VPMADDWD (exact) against the broadcast
// int16 input pair gives the 8 rows' partial sums in 8 int32 lanes: no horizontal reduction.
// One batch row at a time: every block of the row range goes through ONE flat loop (no per-group
// loop exit to mispredict), keeping a running sum S of all blocks' row sums and storing S after
// every block to a stack buffer (sequential stores, chunks of CHUNK blocks). Group g's 8 row sums
// are S(ptr[g + 1]) - S(ptr[g]) (wrapping int32: exact modulo 2^32, like the reference; 0 for an
// empty group), requantized 8 lanes at a time. x is widened to int16 once per batch row when that
// pays (enough blocks per input), so a block's input pairs are two 4-byte broadcast loads.
#include "simd.h"

#if EP_ARCH_X86_64
#include "avx2.h"

#define EP_TARGET __attribute__((target("avx2,fma")))
#define EP_INLINE static inline __attribute__((always_inline, target("avx2,fma")))

enum {
    CHUNK = 512,      // blocks per flat pass (16 KB of running sums on the stack)
    WIDE_COLS = 4096  // up to this many cols, x may be widened to int16 once per batch row (8 KB)
};


/// Requantized int32 lanes (before packing) of rows n0..n0+7 from their sum `acc`.
EP_INLINE __m256i requant8_lanes(__m256i acc, const int32_t* bias, const float* mult, requant8 r) {
    acc = _mm256_add_epi32(acc, _mm256_loadu_si256((const __m256i*)bias));
    __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_loadu_ps(mult));
    f = _mm256_min_ps(_mm256_max_ps(f, r.lo), r.hi);
    return _mm256_add_epi32(_mm256_cvtps_epi32(f), r.zp);
}

/// Two groups (rows n0..n0+15) requantized together: one pack chain and one 16-byte store.
EP_INLINE void requant_store16(__m256i acc0, __m256i acc1, const int32_t* bias, const float* mult,
                               requant8 r, uint8_t* y, size_t count) {
    const __m256i v0 = requant8_lanes(acc0, bias, mult, r);
    const __m256i v1 = requant8_lanes(acc1, bias + 8, mult + 8, r);
    // [v0 0-3, v1 0-3 | v0 4-7, v1 4-7] -> [v0 0-7 | v1 0-7] as int16.
    const __m256i v16 = _mm256_permute4x64_epi64(_mm256_packs_epi32(v0, v1), _MM_SHUFFLE(3, 1, 2, 0));
    const __m128i v8 = _mm_xor_si128(
        _mm_packs_epi16(_mm256_castsi256_si128(v16), _mm256_extracti128_si256(v16, 1)), r.flip);
    if (count == 16) {
        _mm_storeu_si128((__m128i*)y, v8);
    } else {
        _mm_storel_epi64((__m128i*)y, v8);
        ep_qs8_store_partial(y + 8, (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(v8, v8)), count - 8);
    }
}

typedef struct {
    const int32_t* bias;
    const float* mult;
    const uint32_t* ptr;
    const uint16_t* idx;
    const int8_t* values;
    size_t last_col, rem;
} bsr_view;

/// The 8 row sums of block j (block column k) against its 4 inputs: from x16 when wide, else
/// from the x bytes (with `tail`, the last block column from the zero-padded copy xt).
EP_INLINE __m256i product(size_t k, const int8_t* values, size_t last_col, size_t j,
                          const uint8_t* xb, const int16_t* x16, uint32_t xt, int x_unsigned,
                          int wide, int tail) {
    __m256i xa, xc;
    if (wide) {
        int32_t a, c;
        memcpy(&a, x16 + 4 * k, 4);
        memcpy(&c, x16 + 4 * k + 2, 4);
        xa = _mm256_set1_epi32(a);
        xc = _mm256_set1_epi32(c);
    } else {
        // The 4 bytes broadcast to every dword, then each pair moved into 16-bit lanes by a
        // byte shuffle: zero-extended (uint8) or into the high bytes and shifted down (int8).
        const uint8_t* xk = tail && k == last_col ? (const uint8_t*)&xt : xb + 4 * k;
        const __m256i bx = _mm256_set1_epi32((int)ep_qs8_load4(xk));
        if (x_unsigned) {
            xa = _mm256_shuffle_epi8(bx, _mm256_set1_epi32((int)0x80018000u));
            xc = _mm256_shuffle_epi8(bx, _mm256_set1_epi32((int)0x80038002u));
        } else {
            xa = _mm256_srai_epi16(_mm256_shuffle_epi8(bx, _mm256_set1_epi32(0x01800080)), 8);
            xc = _mm256_srai_epi16(_mm256_shuffle_epi8(bx, _mm256_set1_epi32(0x03800280)), 8);
        }
    }
    const __m256i wa = _mm256_cvtepi8_epi16(_mm_load_si128((const __m128i*)(values + 32 * j)));
    const __m256i wc = _mm256_cvtepi8_epi16(_mm_load_si128((const __m128i*)(values + 32 * j + 16)));
    return _mm256_add_epi32(_mm256_madd_epi16(wa, xa), _mm256_madd_epi16(wc, xc));
}

/// Rows [row_begin, row_end) of one batch row (see the file comment). After block j the running
/// sum S(j + 1) goes to sums[j + 1 - jc]; a group g ends at block ptr[g + 1], read back once the
/// chunk holding ptr[g + 1] is done.
EP_INLINE void run_row(const bsr_view* v, size_t row_begin, size_t row_end, const uint8_t* xb,
                       const int16_t* x16, uint8_t* yb, requant8 r8, int x_unsigned, int wide,
                       int tail) {
    __m256i sums[CHUNK + 1];
    uint32_t xt = 0;
    if (tail) memcpy(&xt, xb + 4 * v->last_col, v->rem);
    const uint32_t* ptr = v->ptr;
    const int32_t* bias = v->bias;
    const float* mult = v->mult;
    const uint16_t* idx = v->idx;
    const int8_t* values = v->values;
    const size_t last_col = v->last_col;
    const size_t g1 = (row_end + 7) / 8, jend = ptr[g1];
    size_t g = row_begin / 8, j = ptr[g];
    __m256i s = _mm256_setzero_si256();  // S(j): running sum of the blocks so far
    __m256i e = s;                       // S(ptr[g]): where group g starts
    do {
        const size_t jc = j, je = jend - jc < CHUNK ? jend : jc + CHUNK;
        __m256i* out = sums;
        _mm256_store_si256(out++, s);
        // Four blocks per iteration (one loop exit per chunk, not per group).
        for (; j + 4 <= je; j += 4, out += 4) {
            // Four block columns in one 8-byte load, split with scalar shifts.
            uint64_t k4;
            memcpy(&k4, idx + j, 8);
            const __m256i p0 = product((size_t)(k4 & 0xffff), values, last_col, j, xb, x16, xt, x_unsigned, wide, tail);
            const __m256i p1 = product((size_t)((k4 >> 16) & 0xffff), values, last_col, j + 1, xb, x16, xt, x_unsigned, wide, tail);
            const __m256i p2 = product((size_t)((k4 >> 32) & 0xffff), values, last_col, j + 2, xb, x16, xt, x_unsigned, wide, tail);
            const __m256i p3 = product((size_t)(k4 >> 48), values, last_col, j + 3, xb, x16, xt, x_unsigned, wide, tail);
            s = _mm256_add_epi32(s, p0);
            _mm256_store_si256(out, s);
            s = _mm256_add_epi32(s, p1);
            _mm256_store_si256(out + 1, s);
            s = _mm256_add_epi32(s, p2);
            _mm256_store_si256(out + 2, s);
            s = _mm256_add_epi32(s, p3);
            _mm256_store_si256(out + 3, s);
        }
        for (; j < je; j++, out++) {
            s = _mm256_add_epi32(s, product(idx[j], values, last_col, j, xb, x16, xt, x_unsigned, wide, tail));
            _mm256_store_si256(out, s);
        }
        // Every group not yet done ends at or after jc (ptr[g + 1] >= jc). Two groups at a time.
        while (g + 2 <= g1 && ptr[g + 2] <= je) {
            const __m256i e1 = _mm256_load_si256(&sums[ptr[g + 1] - jc]);
            const __m256i e2 = _mm256_load_si256(&sums[ptr[g + 2] - jc]);
            const size_t n0 = 8 * g;
            requant_store16(_mm256_sub_epi32(e1, e), _mm256_sub_epi32(e2, e1), bias + n0, mult + n0,
                            r8, yb + n0, row_end - n0 < 16 ? row_end - n0 : 16);
            e = e2;
            g += 2;
        }
        while (g < g1 && ptr[g + 1] <= je) {
            const __m256i e1 = _mm256_load_si256(&sums[ptr[g + 1] - jc]);
            const size_t n0 = 8 * g;
            const __m256i acc = _mm256_add_epi32(_mm256_sub_epi32(e1, e),
                                                 _mm256_loadu_si256((const __m256i*)(bias + n0)));
            requant_store8(acc, mult + n0, r8, yb + n0, row_end - n0 < 8 ? row_end - n0 : 8);
            e = e1;
            g++;
        }
    } while (j < jend);
}

EP_INLINE void run(const void* packed, size_t row_begin, size_t row_end, size_t batch,
                   const void* x, size_t ldx, void* y, size_t ldy,
                   const ep_qs8_output_params* params, int x_unsigned) {
    ep_qs8_linear_header h;
    memcpy(&h, packed, sizeof h);
    const size_t cols = h.cols, last_col = cols / 4, rem = cols % 4;
    const ep_qs8_layout l = ep_qs8_layout_of(EP_QS8_KIND_BSR8X4, h.rows, cols, h.blocks);
    const uint32_t* ptr = EP_QS8_AT(uint32_t, packed, l.ptr);
    const bsr_view view = {EP_QS8_AT(int32_t, packed, l.bias_raw), EP_QS8_AT(float, packed, l.mult),
                           ptr, EP_QS8_AT(uint16_t, packed, l.idx),
                           EP_QS8_AT(int8_t, packed, l.values), last_col, rem};
    const ep_qs8_requant rq = ep_qs8_requant_of(params);
    const requant8 r8 = {_mm256_set1_ps(rq.lo), _mm256_set1_ps(rq.hi),
                         _mm256_set1_epi32(rq.zp - (rq.y_unsigned ? 128 : 0)),
                         _mm_set1_epi8(rq.y_unsigned ? (char)0x80 : 0)};
    // Widening x costs about one operation per 16 inputs, the per-block widening about four per
    // block: widen up front when the range has at least cols / 16 blocks.
    const size_t range_blocks = (size_t)(ptr[(row_end + 7) / 8] - ptr[row_begin / 8]);
    const int wide = cols <= WIDE_COLS && 16 * range_blocks >= cols;
    for (size_t b = 0; b < batch; b++) {
        const uint8_t* xb = (const uint8_t*)x + b * ldx;
        uint8_t* yb = (uint8_t*)y + b * ldy;
        if (wide) {
            int16_t x16[WIDE_COLS] __attribute__((aligned(32)));
            widen_row(xb, cols, x16, x_unsigned);
            run_row(&view, row_begin, row_end, xb, x16, yb, r8, x_unsigned, 1, 0);
        } else if (rem != 0) {
            run_row(&view, row_begin, row_end, xb, NULL, yb, r8, x_unsigned, 0, 1);
        } else {
            run_row(&view, row_begin, row_end, xb, NULL, yb, r8, x_unsigned, 0, 0);
        }
    }
}

EP_TARGET void ep_qs8_linear_bsr8x4_minmax_ukernel_8x4__avx2(
    const void* packed, size_t row_begin, size_t row_end, size_t batch, const void* x, size_t ldx,
    void* y, size_t ldy, const ep_qs8_output_params* params) {
    ep_qs8_linear_header h;
    memcpy(&h, packed, sizeof h);
    if (h.x_unsigned) {
        run(packed, row_begin, row_end, batch, x, ldx, y, ldy, params, 1);
    } else {
        run(packed, row_begin, row_end, batch, x, ldx, y, ldy, params, 0);
    }
}
#endif
