/*
 * dsg_support.h -- private to the kernel library (the families' sources include it; generated
 * code includes only dsg_kernels.h): the SIMD primitives (ACLE on DSP cores, a bit-exact C
 * emulation with -DDSG_EMULATE_DSP so that host tests exercise the DSP code paths, nothing
 * otherwise), the requantization and output-stage helpers, and the dot-product building blocks
 * several families share.  The helpers that are not per-MAC live in dsg_support.c.
 */
#ifndef DSG_SUPPORT_H
#define DSG_SUPPORT_H

#include "dsg_kernels.h"
#include "dsg_config.h" /* scratch sizes: the library defaults, or the generated model's */

#if defined(__ARM_FEATURE_DSP) && !defined(DSG_NO_DSP)
#define DSG_USE_DSP 1
#include <arm_acle.h>
static inline int32_t dsg_sxtb16(uint32_t x) { return __sxtb16((int32_t)x); }
static inline int32_t dsg_smlad(int32_t a, int32_t b, int32_t acc) { return __smlad(a, b, acc); }
static inline int32_t dsg_sadd16(int32_t a, int32_t b) { return __sadd16(a, b); }
#if !defined(__GNUC__) /* GCC and Clang run the depthwise taps in inline assembly */
static inline int32_t dsg_smlabb(int32_t a, int32_t b, int32_t acc) { return __smlabb(a, b, acc); }
static inline int32_t dsg_smlatt(int32_t a, int32_t b, int32_t acc) { return __smlatt(a, b, acc); }
#endif
static inline int32_t dsg_sxtab16(int32_t a, uint32_t x) { return __sxtab16(a, (int32_t)x); }
static inline int32_t dsg_smlabt(int32_t a, int32_t b, int32_t acc) { return __smlabt(a, b, acc); }
static inline int32_t dsg_smlatb(int32_t a, int32_t b, int32_t acc) { return __smlatb(a, b, acc); }
#if defined(__GNUC__)
/* per-byte signed max / min: SSUB8 sets the GE flags SEL reads, so both in one statement */
static inline uint32_t dsg_smax8(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("ssub8 %0, %1, %2\n\tsel %0, %1, %2" : "=&r"(r) : "r"(a), "r"(b) : "cc");
    return r;
}
static inline uint32_t dsg_smin8(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("ssub8 %0, %1, %2\n\tsel %0, %2, %1" : "=&r"(r) : "r"(a), "r"(b) : "cc");
    return r;
}
static inline int32_t dsg_sxtab16_ror8(int32_t a, uint32_t x)
{
    int32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
    return r;
}
/* {a.lo, b.lo} and {b.hi, a.hi} (low lane first): PKHBT / PKHTB, which ACLE does not name */
static inline int32_t dsg_pkhbt(int32_t a, int32_t b)
{
    int32_t r;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
static inline int32_t dsg_pkhtb(int32_t a, int32_t b)
{
    int32_t r;
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
#else
static inline uint32_t dsg_smax8(uint32_t a, uint32_t b)
{
    (void)__ssub8((int32_t)a, (int32_t)b);
    return __sel(a, b);
}
static inline uint32_t dsg_smin8(uint32_t a, uint32_t b)
{
    (void)__ssub8((int32_t)a, (int32_t)b);
    return __sel(b, a);
}
static inline int32_t dsg_sxtab16_ror8(int32_t a, uint32_t x)
{
    return __sxtab16(a, (int32_t)((x >> 8) | (x << 24)));
}
static inline int32_t dsg_pkhbt(int32_t a, int32_t b)
{
    return (int32_t)(((uint32_t)a & 0xFFFFu) | ((uint32_t)b << 16));
}
static inline int32_t dsg_pkhtb(int32_t a, int32_t b)
{
    return (int32_t)(((uint32_t)a & 0xFFFF0000u) | ((uint32_t)b >> 16));
}
#endif
#if defined(__GNUC__) && !defined(__clang__)
/* GCC 12 does not fold __sxtb16(__ror(x, 8)) into one SXTB16 with rotation; Clang does. */
static inline int32_t dsg_sxtb16_ror8(uint32_t x)
{
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}
#else
static inline int32_t dsg_sxtb16_ror8(uint32_t x) { return __sxtb16((int32_t)((x >> 8) | (x << 24))); }
#endif

#elif defined(DSG_EMULATE_DSP)
/* Bit-exact C models of SXTB16 / SMLAD / SADD16 (halfword lanes, wrapping like the hardware). */
#define DSG_USE_DSP 1
static inline uint32_t dsg_h(int32_t v) { return (uint32_t)v & 0xFFFFu; }
static inline int32_t dsg_lo(int32_t v) { return (int16_t)((uint32_t)v & 0xFFFFu); }
static inline int32_t dsg_hi(int32_t v) { return (int16_t)(((uint32_t)v >> 16) & 0xFFFFu); }
static inline int32_t dsg_pack(int32_t lo, int32_t hi)
{
    const uint32_t u = dsg_h(lo) | (dsg_h(hi) << 16);
    return u <= 0x7FFFFFFFu ? (int32_t)u : (int32_t)(u - 0x80000000u) + INT32_MIN;
}
static inline int32_t dsg_sxtb16(uint32_t x)
{
    return dsg_pack((int8_t)(x & 0xFFu), (int8_t)((x >> 16) & 0xFFu));
}
static inline int32_t dsg_sxtb16_ror8(uint32_t x) { return dsg_sxtb16((x >> 8) | (x << 24)); }
/* acc + p0 + p1 modulo 2^32, as the multiply-accumulate instructions wrap */
static inline int32_t dsg_wrap3(int32_t acc, int32_t p0, int32_t p1)
{
    const uint32_t s = (uint32_t)acc + (uint32_t)p0 + (uint32_t)p1;
    return s <= 0x7FFFFFFFu ? (int32_t)s : (int32_t)(s - 0x80000000u) + INT32_MIN;
}
static inline int32_t dsg_smlad(int32_t a, int32_t b, int32_t acc)
{
    return dsg_wrap3(acc, dsg_lo(a) * dsg_lo(b), dsg_hi(a) * dsg_hi(b));
}
static inline int32_t dsg_sadd16(int32_t a, int32_t b)
{
    return dsg_pack(dsg_lo(a) + dsg_lo(b), dsg_hi(a) + dsg_hi(b));
}
static inline int32_t dsg_smlabb(int32_t a, int32_t b, int32_t acc)
{
    return dsg_wrap3(acc, dsg_lo(a) * dsg_lo(b), 0);
}
static inline int32_t dsg_smlatt(int32_t a, int32_t b, int32_t acc)
{
    return dsg_wrap3(acc, dsg_hi(a) * dsg_hi(b), 0);
}
static inline int32_t dsg_smlabt(int32_t a, int32_t b, int32_t acc)
{
    return dsg_wrap3(acc, dsg_lo(a) * dsg_hi(b), 0);
}
static inline int32_t dsg_smlatb(int32_t a, int32_t b, int32_t acc)
{
    return dsg_wrap3(acc, dsg_hi(a) * dsg_lo(b), 0);
}
static inline int32_t dsg_sxtab16(int32_t a, uint32_t x) { return dsg_sadd16(a, dsg_sxtb16(x)); }
static inline int32_t dsg_sxtab16_ror8(int32_t a, uint32_t x)
{
    return dsg_sadd16(a, dsg_sxtb16_ror8(x));
}
/* per-byte signed max (pick_max) or min of two words */
static inline uint32_t dsg_sbyte_pick(uint32_t a, uint32_t b, int32_t pick_max)
{
    uint32_t r = 0;
    int32_t i;
    for (i = 0; i < 32; i += 8) {
        const int32_t x = (int8_t)((a >> i) & 0xFFu), y = (int8_t)((b >> i) & 0xFFu);
        r |= (uint32_t)(uint8_t)((x >= y) == (pick_max != 0) ? x : y) << i;
    }
    return r;
}
static inline uint32_t dsg_smax8(uint32_t a, uint32_t b) { return dsg_sbyte_pick(a, b, 1); }
static inline uint32_t dsg_smin8(uint32_t a, uint32_t b) { return dsg_sbyte_pick(a, b, 0); }
static inline int32_t dsg_pkhbt(int32_t a, int32_t b) { return dsg_pack(dsg_lo(a), dsg_lo(b)); }
static inline int32_t dsg_pkhtb(int32_t a, int32_t b) { return dsg_pack(dsg_hi(b), dsg_hi(a)); }
#else
#define DSG_USE_DSP 0
#endif

/* The vectorizable portable path: on 64-bit host-class machines (no DSP extension) the s8
 * pointwise/conv GEMM and the 3x3 depthwise run loops shaped for auto-vectorization (contiguous
 * int16 x int8 dot products, channels innermost), using a few KB of stack.  Elsewhere (small
 * cores without DSP) the compact direct loops stay.  -DDSG_PORTABLE_GEMM=0/1 overrides. */
#ifndef DSG_PORTABLE_GEMM
#if !DSG_USE_DSP && (defined(__x86_64__) || defined(_M_X64) || defined(__aarch64__) ||        \
                     defined(_M_ARM64) || defined(__powerpc64__) ||                           \
                     (defined(__riscv) && defined(__riscv_xlen) && __riscv_xlen == 64))
#define DSG_PORTABLE_GEMM 1
#else
#define DSG_PORTABLE_GEMM 0
#endif
#endif
#if DSG_USE_DSP
#undef DSG_PORTABLE_GEMM
#define DSG_PORTABLE_GEMM 0
#endif
/* GCC vectorizes at -O2 only with its "very cheap" cost model (no epilogues), which rejects
 * these loops; this enables the dynamic cost model for the few hot functions.  Clang vectorizes
 * at -O2 anyway. */
#if DSG_PORTABLE_GEMM && defined(__GNUC__) && !defined(__clang__) && defined(__OPTIMIZE__) &&  \
    !defined(__OPTIMIZE_SIZE__)
#define DSG_VEC __attribute__((optimize("tree-vectorize")))
#else
#define DSG_VEC
#endif

#if DSG_USE_DSP || DSG_PORTABLE_GEMM
#include <string.h> /* memcpy: the portable unaligned 32-bit load, one LDR on Cortex-M4 */
#endif
#if DSG_USE_DSP
static inline uint32_t dsg_read4(const int8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
#endif

/* The 2x2 GEMM block keeps its loop state in registers only when it is not inlined into the
 * pointwise kernel's own loop nest, whose live values GCC would otherwise spill into it. */
#if defined(__GNUC__) && !defined(__clang__) && DSG_USE_DSP
/* ...and GCC's pre-allocation scheduler hoists all eight loads of the unrolled loop, which then
 * needs more than 14 registers; without it the loop has no spill except its bound. */
#define DSG_NOINLINE __attribute__((noinline, optimize("no-schedule-insns")))
#elif defined(__GNUC__)
#define DSG_NOINLINE __attribute__((noinline))
#else
#define DSG_NOINLINE
#endif

#if defined(__GNUC__)
#define DSG_INLINE static inline __attribute__((always_inline))
#else
#define DSG_INLINE static inline
#endif

/* Two's-complement view of a wrapped unsigned sum (a no-op after optimisation). */
static inline int32_t dsg_u2i(uint32_t u)
{
    return u <= 0x7FFFFFFFu ? (int32_t)u : (int32_t)(u - 0x80000000u) + INT32_MIN;
}

/* y = clamp(z_out + RQ(acc, m[c]), lo, hi); LeakyReLU (mult_neg != NULL) picks m_neg for acc < 0. */
static inline int32_t dsg_rq(int32_t acc, int32_t c, const int32_t *mult, const int32_t *shift,
                             const int32_t *mult_neg, const int32_t *shift_neg, int32_t z_out,
                             int32_t lo, int32_t hi)
{
    const int32_t use_neg = mult_neg != 0 && acc < 0;
    const int32_t r = use_neg ? dsg_requantize(acc, mult_neg[c], shift_neg[c])
                              : dsg_requantize(acc, mult[c], shift[c]);
    return dsg_clamp_out(r, z_out, lo, hi);
}

static inline int32_t dsg_rq_channel(int32_t acc, int32_t c, const dsg_conv_params *p)
{
    return dsg_rq(acc, c, p->mult, p->shift, p->mult_neg, p->shift_neg, p->z_out, p->act_min,
                  p->act_max);
}

/* RQ with the decoding of (mult, shift) hoisted out of a pixel loop: kernels whose outer loop
 * runs over output channels (pointwise, dense) prepare each channel once and then pay about a
 * dozen instructions per output instead of two dozen.  Same integers as dsg_requantize for every
 * contract multiplier (mult in [2^30, 2^31) or 0: SRDHM's only overflow needs mult = INT32_MIN). */
typedef struct {
    int32_t mult, scale, right, mask, half; /* scale = 2^left, mask = 2^right - 1 */
} dsg_rqp;

static inline dsg_rqp dsg_rqp_make(int32_t mult, int32_t shift)
{
    dsg_rqp r;
    r.mult = mult;
    r.scale = (int32_t)1 << (shift > 0 ? shift : 0);
    r.right = shift > 0 ? 0 : -shift;
    r.mask = (int32_t)(((uint32_t)1 << r.right) - 1u);
    r.half = r.mask >> 1;
    return r;
}

static inline int32_t dsg_rqp_apply(const dsg_rqp *r, int32_t acc)
{
    const int32_t y = (int32_t)(((int64_t)(acc * r->scale) * r->mult + ((int64_t)1 << 30)) >> 31);
    return (y >> r->right) + ((y & r->mask) > r->half + (y < 0 ? 1 : 0) ? 1 : 0);
}

/* One channel's output stage: positive and (LeakyReLU) negative multipliers, zero point, clamp. */
typedef struct {
    dsg_rqp pos, neg;
    int32_t leaky, z_out, lo, hi;
} dsg_outp;

static inline dsg_outp dsg_outp_make(const int32_t *mult, const int32_t *shift,
                                     const int32_t *mult_neg, const int32_t *shift_neg, int32_t c,
                                     int32_t z_out, int32_t lo, int32_t hi)
{
    dsg_outp o;
    o.pos = dsg_rqp_make(mult[c], shift[c]);
    o.leaky = mult_neg != 0;
    o.neg = o.leaky ? dsg_rqp_make(mult_neg[c], shift_neg[c]) : o.pos;
    o.z_out = z_out;
    o.lo = lo;
    o.hi = hi;
    return o;
}

static inline int32_t dsg_outp_apply(const dsg_outp *o, int32_t acc)
{
    const int32_t r = dsg_rqp_apply(o->leaky && acc < 0 ? &o->neg : &o->pos, acc);
    return dsg_clamp_out(r, o->z_out, o->lo, o->hi);
}

/* The first tap k >= 0 with i0 + k*d >= 0, and one past the last with i0 + k*d < size (<= kn). */
static inline int32_t dsg_first_tap(int32_t i0, int32_t d) { return i0 >= 0 ? 0 : (d - 1 - i0) / d; }
static inline int32_t dsg_end_tap(int32_t i0, int32_t d, int32_t size, int32_t kn)
{
    const int32_t e = size - i0 <= 0 ? 0 : (size - i0 + d - 1) / d;
    return e < kn ? e : kn;
}

/* ------------------------------------------------------------------ dot-product blocks */

/* sum w[i] * (x[i] - z).  Every partial sum is one of the contract's, which the compiler has
 * proven to fit int32; the DSP path subtracts z on int16 lanes (x - z is in [-255, 255]). */
static inline int32_t dsg_dot_off_s8(const int8_t *x, const int8_t *w, int32_t n, int32_t z)
{
    int32_t acc = 0, i = 0;
#if DSG_USE_DSP
    const int32_t nz = dsg_u2i(((uint32_t)(-z) & 0xFFFFu) * 0x10001u); /* (-z, -z) lanes */
    for (; i + 4 <= n; i += 4) {
        const uint32_t xv = dsg_read4(x + i), wv = dsg_read4(w + i);
        acc = dsg_smlad(dsg_sadd16(dsg_sxtb16(xv), nz), dsg_sxtb16(wv), acc);
        acc = dsg_smlad(dsg_sadd16(dsg_sxtb16_ror8(xv), nz), dsg_sxtb16_ror8(wv), acc);
    }
#endif
    for (; i < n; ++i) acc += w[i] * ((int32_t)x[i] - z);
    return acc;
}

static inline int32_t dsg_dot_off_s16(const int16_t *x, const int8_t *w, int32_t n, int32_t z)
{
    int32_t acc = 0, i;
    for (i = 0; i < n; ++i) acc += w[i] * ((int32_t)x[i] - z);
    return acc;
}

/* 4 int8 of rows a, a + da times 4 int8 of rows b, b + db, accumulated into four sums. */
#define DSG_MAC2X2_4(a, da, b, db, s00, s01, s10, s11)                                        \
    do {                                                                                      \
        const uint32_t va_ = dsg_read4(a), vb_ = dsg_read4((a) + (da));                       \
        const uint32_t w0_ = dsg_read4(b), w1_ = dsg_read4((b) + (db));                       \
        const int32_t a02_ = dsg_sxtb16(va_), a13_ = dsg_sxtb16_ror8(va_);                    \
        const int32_t c02_ = dsg_sxtb16(vb_), c13_ = dsg_sxtb16_ror8(vb_);                    \
        int32_t w02_ = dsg_sxtb16(w0_), w13_ = dsg_sxtb16_ror8(w0_);                          \
        s00 = dsg_smlad(a13_, w13_, dsg_smlad(a02_, w02_, s00));                              \
        s10 = dsg_smlad(c13_, w13_, dsg_smlad(c02_, w02_, s10));                              \
        w02_ = dsg_sxtb16(w1_);                                                               \
        w13_ = dsg_sxtb16_ror8(w1_);                                                          \
        s01 = dsg_smlad(a13_, w13_, dsg_smlad(a02_, w02_, s01));                              \
        s11 = dsg_smlad(c13_, w13_, dsg_smlad(c02_, w02_, s11));                              \
    } while (0)

/* Raw 2x2 block: acc[2i + j] += a_i . b_j over n int8, where a_1 = a + da and b_1 = b + db,
 * modulo 2^32.  Without the zero point the inner loop is pure load/unpack/MAC; the caller adds
 * -z * sum(b_j) once per output channel.  The raw partial sums may wrap, but the final sum is
 * congruent to the contract's accumulator modulo 2^32 and that one fits int32, so the result is
 * exact.  Per 4 inputs: 4 LDR + 8 SXTB16 + 8 SMLAD = 20 instructions for 16 MACs. */
static inline void dsg_dot2x2_s8(const int8_t *a, int32_t da, const int8_t *b, int32_t db, int32_t n,
                          uint32_t acc[4])
{
    int32_t i = 0;
#if DSG_USE_DSP
    int32_t s00 = 0, s01 = 0, s10 = 0, s11 = 0;
    for (; i + 4 <= n; i += 4, a += 4, b += 4) DSG_MAC2X2_4(a, da, b, db, s00, s01, s10, s11);
    acc[0] += (uint32_t)s00;
    acc[1] += (uint32_t)s01;
    acc[2] += (uint32_t)s10;
    acc[3] += (uint32_t)s11;
#endif
    for (; i < n; ++i, ++a, ++b) {
        acc[0] += (uint32_t)(a[0] * b[0]);
        acc[1] += (uint32_t)(a[0] * b[db]);
        acc[2] += (uint32_t)(a[da] * b[0]);
        acc[3] += (uint32_t)(a[da] * b[db]);
    }
}

/* sum w0[i] * (x[i] - z) and sum w1[i] * (x[i] - z): two dense rows share the unpacked input. */
static inline void dsg_dot_off1x2_s8(const int8_t *x, const int8_t *w0, const int8_t *w1, int32_t n,
                              int32_t z, int32_t acc[2])
{
    int32_t i = 0, s0 = 0, s1 = 0;
#if DSG_USE_DSP
    const int32_t nz = dsg_u2i(((uint32_t)(-z) & 0xFFFFu) * 0x10001u); /* (-z, -z) lanes */
    for (; i + 4 <= n; i += 4) {
        const uint32_t xv = dsg_read4(x + i), v0 = dsg_read4(w0 + i), v1 = dsg_read4(w1 + i);
        const int32_t x02 = dsg_sadd16(dsg_sxtb16(xv), nz);
        const int32_t x13 = dsg_sadd16(dsg_sxtb16_ror8(xv), nz);
        s0 = dsg_smlad(x02, dsg_sxtb16(v0), s0);
        s0 = dsg_smlad(x13, dsg_sxtb16_ror8(v0), s0);
        s1 = dsg_smlad(x02, dsg_sxtb16(v1), s1);
        s1 = dsg_smlad(x13, dsg_sxtb16_ror8(v1), s1);
    }
#endif
    for (; i < n; ++i) {
        s0 += w0[i] * ((int32_t)x[i] - z);
        s1 += w1[i] * ((int32_t)x[i] - z);
    }
    acc[0] += s0;
    acc[1] += s1;
}

/* ------------------------------------------------------------------ type-generic kernels */
#define DSG_CAT_(a, b) a##_##b
#define DSG_CAT(a, b) DSG_CAT_(a, b)
#define DSG_FN(name) DSG_CAT(name, DSG_SFX)

/* ------------------------------------------------------------------ fast s8 output stage */

/* z_out + RQ(acc, q, shift) for 1 <= R = -shift <= 23, as one 64-bit multiply-accumulate.
 * SRDHM is y = floor((p + 2^30) / 2^31) with p = acc * q (see dsg_requantize), and RDBPOT is
 * floor((y + 2^(R-1) - [y < 0]) / 2^R).  Nested floors of integer quotients merge, so
 *     z_out + RDBPOT(SRDHM(acc, q), R) = floor((p + 2^30 + 2^31 * m) / 2^(31 + R)),
 *     m = hz - [y < 0],  hz = 2^(R-1) + z_out * 2^R  (a per-channel constant).
 * [y < 0] can be read off acc: it differs from [acc < 0] only for acc < 0 with y = 0, i.e.
 * 0 <= p + 2^30 < 2^31, where both versions of the floor are 0 (2^(R-1) - 1 >= 0 and
 * 2^(R-1) + 1 <= 2^R).  The addend 2^31 * m + 2^30 is {hi = m >> 1, lo = (m << 31) | 2^30} and
 * the quotient is the high word of the sum shifted right by R - 1: ADD, ASR, ORR, SMLAL, ASR --
 * five instructions instead of about twenty, with the zero point for free.  R <= 23 keeps hz in
 * int32 for any s8 z_out; other multipliers (shift >= 0, LeakyReLU) take dsg_requantize. */
#if DSG_USE_DSP || DSG_PORTABLE_GEMM
typedef struct {
    int32_t bias, mult, hz, r1; /* bias: what the kernel starts its accumulator from */
    int32_t r;                  /* R = r1 + 1, for dsg_rq2 */
} dsg_rqf;

/* A dead channel (q = 0: all-zero weights, or a scale below 2^-31) requantizes to 0 whatever
 * its shift (the contract stores shift 0 for it); the fast stage runs it with shift -1. */
static inline int32_t dsg_rqf_ok(int32_t mult, int32_t shift, int32_t z_out)
{
    return ((shift <= -1 && shift >= -23) || mult == 0) && mult >= 0 && z_out >= -128 &&
           z_out <= 127;
}

static inline dsg_rqf dsg_rqf_make(int32_t bias, int32_t mult, int32_t shift, int32_t z_out)
{
    dsg_rqf f;
    if (mult == 0) shift = -1;
    f.bias = bias;
    f.mult = mult;
    f.hz = ((int32_t)1 << (-shift - 1)) + z_out * ((int32_t)1 << -shift);
    f.r1 = -shift - 1;
    f.r = -shift;
    return f;
}

#if DSG_USE_DSP
static inline int32_t dsg_rqf_apply(const dsg_rqf *f, int32_t acc)
{
    const int32_t m = f->hz + (acc >> 31);
    const uint32_t lo = ((uint32_t)m << 31) | 0x40000000u;
    const int64_t s = (int64_t)acc * f->mult + ((int64_t)(m >> 1) * ((int64_t)1 << 32) + lo);
    return (int32_t)(s >> 32) >> f->r1;
}

static inline int32_t dsg_clamp(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static inline int32_t dsg_rq2(int32_t a2, int32_t mult, int32_t hz, int32_t r)
{
    const int32_t m = hz + (a2 >> 31);
#if defined(__ARM_FEATURE_DSP) && !defined(DSG_NO_DSP) && defined(__GNUC__)
    int32_t t;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(t) : "r"(a2), "r"(mult), "r"(m));
#else
    const int32_t t = (int32_t)(((int64_t)a2 * mult + (int64_t)m * ((int64_t)1 << 32) +
                                 ((int64_t)1 << 31)) >> 32);
#endif
    return t >> r;
}

/* clamp to [lo, hi]; sat8 (a compile-time constant at every call) when [lo, hi] = [-128, 127] */
static inline int32_t dsg_sat(int32_t v, int32_t sat8, int32_t lo, int32_t hi)
{
#if defined(__ARM_FEATURE_DSP) && !defined(DSG_NO_DSP)
    if (sat8) return __ssat(v, 8);
#else
    if (sat8) return v < -128 ? -128 : v > 127 ? 127 : v;
#endif
    return dsg_clamp(v, lo, hi);
}
#endif

#endif

/* ------------------------------------------------------------------ portable vectorizable path */
#if DSG_PORTABLE_GEMM
#ifndef DSG_PKMAX
/* Longest dot product (pointwise C_in, or kh*kw*C_in) of the portable GEMM, which keeps 4 such
 * int16 rows on the stack (8*DSG_PKMAX bytes); longer ones take the direct kernel. */
#define DSG_PKMAX 1024
#endif
#ifndef DSG_PCB
#define DSG_PCB 256 /* output channels per pass of the portable GEMM (32*this bytes of stack) */
#endif
#ifndef DSG_PDW_CB
#define DSG_PDW_CB 128 /* channels per pass of the portable 3x3 depthwise */
#endif
typedef char dsg_assert_pdw_cb[DSG_PDW_CB <= DSG_PCB ? 1 : -1];

/* Output stages of channels [c0, c0 + n) as arrays, so that a row of outputs is requantized in
 * one tight loop: bias (zero-point term included), and for the fast stage dsg_rqf's mult, hz and
 * r1.  fast == 0 (LeakyReLU, shift outside [-23, -1]) keeps the contract's double rounding. */
typedef struct {
    int32_t bias[DSG_PCB], mult[DSG_PCB], hz[DSG_PCB], r1[DSG_PCB];
} dsg_pstage;

void dsg_pstage_set(dsg_pstage *st, const dsg_conv_params *p, int32_t fast, int32_t i, int32_t c,
                    uint32_t bias);
void dsg_prq(const int32_t *raw, const dsg_pstage *st, int32_t fast, int32_t c0, int32_t n,
             const dsg_conv_params *p, int8_t *y);
#endif

/* bias[c] - z * sum(w[c]) modulo 2^32: the zero-point term of a raw dot product. */
uint32_t dsg_raw_base(const int32_t *bias, int32_t c, const int8_t *w, int32_t n, int32_t z);
/* Every channel takes the fast output stage dsg_rqf (no LeakyReLU, -23 <= shift <= -1). */
int32_t dsg_rqf_all_ok(const dsg_conv_params *p);
/* Every |bias| + 255*128*taps < 2^29: the doubled-accumulator output stage dsg_rq2 is exact. */
int32_t dsg_acc2_ok(const dsg_conv_params *p, int32_t taps);
#if DSG_USE_DSP
/* y = out_stage(W (x - z_in) + bias) for one input vector x (W = p->weights, [out_n][in_n]): dense
 * layers, and pointwise layers of fewer pixels than the GEMM's smallest block (a 1x1 map is a
 * dense layer).  Four rows per pass share each unpacked input word; the fast output stage where
 * a channel allows it, the contract's otherwise.  y must not overlap x. */
void dsg_mv_s8(const int8_t *x, int8_t *y, const dsg_dense_params *p);
#endif

#endif /* DSG_SUPPORT_H */
