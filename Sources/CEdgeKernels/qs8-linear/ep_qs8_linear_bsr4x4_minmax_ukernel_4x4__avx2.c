// AVX2 "bsr4x4" int8 Linear: a stored 4 x 4 block sign-extends into one ymm of 16 int16
// ([row0 | row1 | row2 | row3], 4 inputs each); the 4 inputs are broadcast and widened
// ([x0..x3] x 4) and VPMADDWD (exact) gives two partial sums per row.
// One batch row at a time (batch 1, and the batch % 4 leftovers): every block of the row range
// goes through ONE flat loop (no per-group loop exit to mispredict), keeping a running sum S of
// all blocks' pair sums ([r0 r0 r1 r1 | r2 r2 r3 r3]) and storing S after every block to a stack
// buffer (sequential stores, chunks of CHUNK blocks). Group g's sum is S(ptr[g + 1]) - S(ptr[g])
// (wrapping int32: exact modulo 2^32, like the reference; 0 for an empty group), so two groups =
// 8 rows take one hadd + permute and one 8-lane requantization. x is widened to int16 once per
// batch row when that pays (enough blocks per input), so a block needs one 8-byte broadcast.
// Four batch rows at a time: per row group, each block is loaded and widened once for all four.
#include "simd.h"

#if EP_ARCH_X86_64
#include "avx2.h"

#define EP_TARGET __attribute__((target("avx2,fma")))
#define EP_INLINE static inline __attribute__((always_inline, target("avx2,fma")))

EP_INLINE __m256i widen_x4(uint32_t v, int x_unsigned) {
    const __m128i b = _mm_set1_epi32((int)v);
    return x_unsigned ? _mm256_cvtepu8_epi16(b) : _mm256_cvtepi8_epi16(b);
}

EP_INLINE __m256i block(__m256i acc, const int8_t* blk, __m256i xd) {
    const __m256i w = _mm256_cvtepi8_epi16(_mm_load_si128((const __m128i*)blk));
    return _mm256_add_epi32(acc, _mm256_madd_epi16(w, xd));
}

/// [r0 r0 r1 r1 | r2 r2 r3 r3] pair sums -> [r0 r1 r2 r3].
EP_INLINE __m128i fold(__m256i a) {
    return _mm_hadd_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
}

enum {
    CHUNK = 512,      // blocks per flat pass (16 KB of running sums on the stack)
    WIDE_COLS = 4096  // up to this many cols, x is widened to int16 once per batch row (8 KB)
};


typedef struct {
    const int32_t* bias;
    const float* mult;
    const uint32_t* ptr;
    const uint16_t* idx;
    const int8_t* values;
    size_t last_col, rem;
} bsr_view;

/// Group pair g, g + 1 (rows 4g..4g+7) from their end sums e0, e1 and the previous end e.
EP_INLINE void finish_pair(const int32_t* bias, const float* mult, size_t g, __m256i e,
                           __m256i e0, __m256i e1, size_t row_end, uint8_t* yb, requant8 rq) {
    // [g.r0 g.r1 h.r0 h.r1 | g.r2 g.r3 h.r2 h.r3] -> [g.r0..r3 | h.r0..r3]
    __m256i acc = _mm256_hadd_epi32(_mm256_sub_epi32(e0, e), _mm256_sub_epi32(e1, e0));
    acc = _mm256_permute4x64_epi64(acc, _MM_SHUFFLE(3, 1, 2, 0));
    const size_t n0 = 4 * g;
    acc = _mm256_add_epi32(acc, _mm256_loadu_si256((const __m256i*)(bias + n0)));
    requant_store8(acc, mult + n0, rq, yb + n0, row_end - n0 < 8 ? row_end - n0 : 8);
}

/// The last group alone (rows 4g..4g+3): the 8-lane step with lanes 4..7 masked off (masked
/// loads never touch memory past the bias and multiplier arrays).
EP_INLINE void finish_one(const int32_t* bias, const float* mult, size_t g, __m256i e, __m256i e0,
                          size_t row_end, uint8_t* yb, requant8 rq) {
    const __m256i d = _mm256_sub_epi32(e0, e);
    __m256i acc = _mm256_permute4x64_epi64(_mm256_hadd_epi32(d, d), _MM_SHUFFLE(3, 1, 2, 0));
    const size_t n0 = 4 * g;
    const __m256i lo4 = _mm256_setr_epi32(-1, -1, -1, -1, 0, 0, 0, 0);
    acc = _mm256_add_epi32(acc, _mm256_maskload_epi32((const int*)(bias + n0), lo4));
    __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_maskload_ps(mult + n0, lo4));
    f = _mm256_min_ps(_mm256_max_ps(f, rq.lo), rq.hi);
    const __m256i v = _mm256_add_epi32(_mm256_cvtps_epi32(f), rq.zp);
    const __m128i v16 = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_castsi256_si128(v));
    const __m128i v8 = _mm_xor_si128(_mm_packs_epi16(v16, v16), rq.flip);
    const size_t count = row_end - n0 < 4 ? row_end - n0 : 4;
    if (count == 4) {
        const int32_t bytes = _mm_cvtsi128_si32(v8);
        memcpy(yb + n0, &bytes, 4);
    } else {
        ep_qs8_store_partial(yb + n0, (uint32_t)_mm_cvtsi128_si32(v8), count);
    }
}

/// Pair sums of block j (block column k) against its 4 inputs.
EP_INLINE __m256i product(size_t k, const int8_t* values, size_t last_col, size_t j,
                          const uint8_t* xb, const int16_t* x16, uint32_t xt, int x_unsigned,
                          int wide, int tail) {
    __m256i xv;
    if (wide) {
        int64_t q;
        memcpy(&q, x16 + 4 * k, 8);
        xv = _mm256_set1_epi64x(q);
    } else {
        const uint8_t* xk = tail && k == last_col ? (const uint8_t*)&xt : xb + 4 * k;
        xv = widen_x4(ep_qs8_load4(xk), x_unsigned);
    }
    const __m256i w = _mm256_cvtepi8_epi16(_mm_load_si128((const __m128i*)(values + 16 * j)));
    return _mm256_madd_epi16(w, xv);
}

/// Rows [row_begin, row_end) of one batch row. x16 != NULL: x already widened (wide = 1);
/// otherwise x bytes widened per block, and with `tail` (cols % 4 != 0) the last block column
/// reads x from a zero-padded copy, never past cols.
/// All blocks of the range go through one flat loop in chunks of CHUNK blocks; after block j the
/// running sum S(j + 1) goes to sums[j + 1 - jc] (a sequential store); a group g ends at block
/// ptr[g + 1], so its sum is S(ptr[g + 1]) - S(ptr[g]) (0 for an empty group), read back once the
/// chunk holding ptr[g + 1] is done.
EP_INLINE void run_row(const bsr_view* v, size_t row_begin, size_t row_end, const uint8_t* xb,
                       const int16_t* x16, uint8_t* yb, const ep_qs8_requant* rq, int x_unsigned,
                       int wide, int tail) {
    __m256i sums[CHUNK + 1];
    uint32_t xt = 0;
    if (tail) memcpy(&xt, xb + 4 * v->last_col, v->rem);
    const uint32_t* ptr = v->ptr;
    const int32_t* bias = v->bias;
    const float* mult = v->mult;
    const uint16_t* idx = v->idx;
    const int8_t* values = v->values;
    const size_t last_col = v->last_col;
    const requant8 r8 = {_mm256_set1_ps(rq->lo), _mm256_set1_ps(rq->hi),
                         _mm256_set1_epi32(rq->zp - (rq->y_unsigned ? 128 : 0)),
                         _mm_set1_epi8(rq->y_unsigned ? (char)0x80 : 0)};
    const size_t g1 = (row_end + 3) / 4, jend = ptr[g1];
    size_t g = row_begin / 4, j = ptr[g];
    __m256i s = _mm256_setzero_si256();  // S(j): running sum of the blocks so far
    __m256i e = s;                       // S(ptr[g]): where group g starts
    do {
        const size_t jc = j, je = jend - jc < CHUNK ? jend : jc + CHUNK;
        __m256i* out = sums;
        _mm256_store_si256(out++, s);
        // Four blocks per iteration (one loop exit per chunk, not per group).
        for (; j + 4 <= je; j += 4, out += 4) {
            // Four block columns in one 8-byte load, split with scalar shifts (clang would
            // otherwise gather them through a vector register and VPEXTRD).
            uint64_t k4;
            memcpy(&k4, idx + j, 8);
            s = _mm256_add_epi32(s, product((size_t)(k4 & 0xffff), values, last_col, j, xb, x16, xt, x_unsigned, wide, tail));
            _mm256_store_si256(out, s);
            s = _mm256_add_epi32(s, product((size_t)((k4 >> 16) & 0xffff), values, last_col, j + 1, xb, x16, xt, x_unsigned, wide, tail));
            _mm256_store_si256(out + 1, s);
            s = _mm256_add_epi32(s, product((size_t)((k4 >> 32) & 0xffff), values, last_col, j + 2, xb, x16, xt, x_unsigned, wide, tail));
            _mm256_store_si256(out + 2, s);
            s = _mm256_add_epi32(s, product((size_t)(k4 >> 48), values, last_col, j + 3, xb, x16, xt, x_unsigned, wide, tail));
            _mm256_store_si256(out + 3, s);
        }
        for (; j < je; j++, out++) {
            s = _mm256_add_epi32(s, product(idx[j], values, last_col, j, xb, x16, xt, x_unsigned, wide, tail));
            _mm256_store_si256(out, s);
        }
        // Every group not yet done ends at or after jc (ptr[g + 1] >= jc).
        for (;;) {
            if (g + 2 <= g1 && ptr[g + 2] <= je) {
                const __m256i e0 = _mm256_load_si256(&sums[ptr[g + 1] - jc]);
                const __m256i e1 = _mm256_load_si256(&sums[ptr[g + 2] - jc]);
                finish_pair(bias, mult, g, e, e0, e1, row_end, yb, r8);
                e = e1;
                g += 2;
                continue;
            }
            if (g < g1 && ptr[g + 1] <= je) {
                const __m256i e0 = _mm256_load_si256(&sums[ptr[g + 1] - jc]);
                finish_one(bias, mult, g, e, e0, row_end, yb, r8);
                e = e0;
                g += 1;
            }
            break;
        }
    } while (j < jend);
}

EP_INLINE void run(const void* packed, size_t row_begin, size_t row_end, size_t batch,
                   const void* x, size_t ldx, void* y, size_t ldy,
                   const ep_qs8_output_params* params, int x_unsigned) {
    ep_qs8_linear_header h;
    memcpy(&h, packed, sizeof h);
    const size_t cols = h.cols, last_col = cols / 4, rem = cols % 4;
    const ep_qs8_layout l = ep_qs8_layout_of(1, h.rows, cols, h.blocks);
    const int32_t* bias = EP_QS8_AT(int32_t, packed, l.bias_raw);
    const float* mult = EP_QS8_AT(float, packed, l.mult);
    const uint32_t* ptr = EP_QS8_AT(uint32_t, packed, l.ptr);
    const uint16_t* idx = EP_QS8_AT(uint16_t, packed, l.idx);
    const int8_t* values = EP_QS8_AT(int8_t, packed, l.values);
    const ep_qs8_requant rq = ep_qs8_requant_of(params);
    const bsr_view view = {bias, mult, ptr, idx, values, last_col, rem};
    const size_t batch4 = batch & ~(size_t)3;
    for (size_t b = batch4; b < batch; b++) {
        const uint8_t* xb = (const uint8_t*)x + b * ldx;
        uint8_t* yb = (uint8_t*)y + b * ldy;
        if (cols <= WIDE_COLS && 8 * (size_t)(ptr[(row_end + 3) / 4] - ptr[row_begin / 4]) >= cols) {
            int16_t x16[WIDE_COLS] __attribute__((aligned(32)));
            widen_row(xb, cols, x16, x_unsigned);
            run_row(&view, row_begin, row_end, xb, x16, yb, &rq, x_unsigned, 1, 0);
        } else if (rem != 0) {
            run_row(&view, row_begin, row_end, xb, NULL, yb, &rq, x_unsigned, 0, 1);
        } else {
            run_row(&view, row_begin, row_end, xb, NULL, yb, &rq, x_unsigned, 0, 0);
        }
    }
    if (batch4 == 0) return;
    for (size_t n0 = row_begin; n0 < row_end; n0 += 4) {
        const size_t nr = row_end - n0 < 4 ? row_end - n0 : 4;
        const size_t g = n0 / 4, p0 = ptr[g], p1 = ptr[g + 1];
        // Blocks are ascending: only the last may cover the partial column block.
        const size_t pe = rem != 0 && p1 > p0 && idx[p1 - 1] == last_col ? p1 - 1 : p1;
        const __m128i bias4 = _mm_loadu_si128((const __m128i*)(bias + n0));
        size_t b = 0;
        // Four batch rows per pass: each block is loaded and widened once for all four.
        for (; b < batch4; b += 4) {
            const uint8_t* x0 = (const uint8_t*)x + b * ldx;
            const uint8_t* x1 = x0 + ldx;
            const uint8_t* x2 = x1 + ldx;
            const uint8_t* x3 = x2 + ldx;
            __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
            for (size_t j = p0; j < pe; j++) {
                const __m256i w = _mm256_cvtepi8_epi16(_mm_load_si128((const __m128i*)(values + 16 * j)));
                const size_t k = 4 * (size_t)idx[j];
                a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(w, widen_x4(ep_qs8_load4(x0 + k), x_unsigned)));
                a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(w, widen_x4(ep_qs8_load4(x1 + k), x_unsigned)));
                a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(w, widen_x4(ep_qs8_load4(x2 + k), x_unsigned)));
                a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(w, widen_x4(ep_qs8_load4(x3 + k), x_unsigned)));
            }
            if (pe < p1) {
                uint32_t t0 = 0, t1 = 0, t2 = 0, t3 = 0;
                memcpy(&t0, x0 + 4 * last_col, rem);
                memcpy(&t1, x1 + 4 * last_col, rem);
                memcpy(&t2, x2 + 4 * last_col, rem);
                memcpy(&t3, x3 + 4 * last_col, rem);
                a0 = block(a0, values + 16 * pe, widen_x4(t0, x_unsigned));
                a1 = block(a1, values + 16 * pe, widen_x4(t1, x_unsigned));
                a2 = block(a2, values + 16 * pe, widen_x4(t2, x_unsigned));
                a3 = block(a3, values + 16 * pe, widen_x4(t3, x_unsigned));
            }
            uint8_t* yb = (uint8_t*)y + b * ldy + n0;
            ep_qs8_requant_store4_sse2(_mm_add_epi32(fold(a0), bias4), mult + n0, &rq, yb, nr);
            ep_qs8_requant_store4_sse2(_mm_add_epi32(fold(a1), bias4), mult + n0, &rq, yb + ldy, nr);
            ep_qs8_requant_store4_sse2(_mm_add_epi32(fold(a2), bias4), mult + n0, &rq, yb + 2 * ldy, nr);
            ep_qs8_requant_store4_sse2(_mm_add_epi32(fold(a3), bias4), mult + n0, &rq, yb + 3 * ldy, nr);
        }
    }
}

EP_TARGET void ep_qs8_linear_bsr4x4_minmax_ukernel_4x4__avx2(
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
