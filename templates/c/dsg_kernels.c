/*
 * dsg_kernels.c -- dsgen's integer kernels (see dsg_kernels.h and docs/fixed_point.md).
 *
 * Layout of this file: SIMD primitives (ACLE on DSP cores, a bit-exact C emulation with
 * -DDSG_EMULATE_DSP so host tests exercise the DSP code path, nothing otherwise); dot-product
 * building blocks; the specialised s8 kernels (pointwise GEMM, 3x3 depthwise, dense); then the
 * type-generic kernels, instantiated for s8 and s16 from dsg_kernels_typed.inc.
 */
#include "dsg_kernels.h"

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

#if DSG_USE_DSP
static int32_t dsg_gemm_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p);
#endif
#if DSG_PORTABLE_GEMM
static int32_t dsg_pgemm_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p);
static int32_t dsg_pdw3x3_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p,
                             int32_t wcs, int32_t wts);
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
static int32_t dsg_dot_off_s8(const int8_t *x, const int8_t *w, int32_t n, int32_t z)
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

static int32_t dsg_dot_off_s16(const int16_t *x, const int8_t *w, int32_t n, int32_t z)
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
static void dsg_dot2x2_s8(const int8_t *a, int32_t da, const int8_t *b, int32_t db, int32_t n,
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

/* bias[c] - z * sum(w[c]) modulo 2^32: the zero-point term of a raw dot product. */
static uint32_t dsg_raw_base(const int32_t *bias, int32_t c, const int8_t *w, int32_t n, int32_t z)
{
    uint32_t s = 0;
    int32_t i;
    for (i = 0; i < n; ++i) s += (uint32_t)(int32_t)w[i];
    return (bias ? (uint32_t)bias[c] : 0u) - s * (uint32_t)z;
}

/* sum w0[i] * (x[i] - z) and sum w1[i] * (x[i] - z): two dense rows share the unpacked input. */
static void dsg_dot_off1x2_s8(const int8_t *x, const int8_t *w0, const int8_t *w1, int32_t n,
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

#if DSG_USE_DSP
/* Per-channel sums s[0..3] of 4 neighbouring channels (pixel stride ch) over the window rows
 * [ya, yb), columns [xa, xb) of at most 256 taps: SXTAB16 adds bytes 0, 2 (and, rotated, 1, 3)
 * of each word into int16 lanes, which hold the sum of 256 int8 values exactly
 * ([-32768, 32512]). */
static void dsg_wsum4_s8(const int8_t *x, int32_t in_w, int32_t ch, int32_t ya, int32_t yb,
                         int32_t xa, int32_t xb, int32_t *s)
{
    int32_t a = 0, b = 0, iy, ix;
    for (iy = ya; iy < yb; ++iy)
        for (ix = xa; ix < xb; ++ix) {
            const uint32_t u = dsg_read4(x + (iy * in_w + ix) * ch);
            a = dsg_sxtab16(a, u);
            b = dsg_sxtab16_ror8(b, u);
        }
    s[0] = (int16_t)((uint32_t)a & 0xFFFFu);
    s[1] = (int16_t)((uint32_t)b & 0xFFFFu);
    s[2] = (int16_t)((uint32_t)a >> 16);
    s[3] = (int16_t)((uint32_t)b >> 16);
}

/* The same over n pixels (a global pool), in runs of 256 flushed into int32. */
static void dsg_gsum4_s8(const int8_t *x, int32_t n, int32_t ch, int32_t *s)
{
    int32_t i, j, t[4];
    s[0] = s[1] = s[2] = s[3] = 0;
    for (i = 0; i < n; i += 256) {
        dsg_wsum4_s8(x, 0, ch, 0, 1, i, n - i < 256 ? n : i + 256, t);
        for (j = 0; j < 4; ++j) s[j] += t[j];
    }
}
#define DSG_GSUM4 1

/* The max of 4 neighbouring channels (pixel stride ch) over the window rows [ya, yb) and
 * columns [xa, xb), clamped to [lo, hi] given as 4 bytes each: per tap one LDR and SSUB8 + SEL
 * for 4 channels.  An empty window gives lo, as the scalar loop's INT32_MIN clamps to it. */
static uint32_t dsg_max4_s8(const int8_t *in, int32_t in_w, int32_t ch, int32_t ya, int32_t yb,
                            int32_t xa, int32_t xb, uint32_t lo4, uint32_t hi4)
{
    uint32_t m = lo4;
    int32_t iy, ix;
    for (iy = ya; iy < yb; ++iy)
        for (ix = xa; ix < xb; ++ix) m = dsg_smax8(dsg_read4(in + (iy * in_w + ix) * ch), m);
    return dsg_smin8(m, hi4);
}
#define DSG_MAXPOOL4 1
#endif

/* TFLite's quantized add on int8: each input's rescaling depends on that input's value only,
 * so it is a 256-entry table per input, built once per call (512 requantizations) instead of
 * two requantizations per element -- from DSG_ADD_LUT_MIN elements on.  Same integers. */
#define DSG_ADD_LUT_MIN 1024
static void dsg_add_lut_s8(const int8_t *a, const int8_t *b, int8_t *out, int32_t n,
                           const dsg_add_params *p)
{
    const int32_t scale = (int32_t)1 << p->left_shift;
    const dsg_rqp o = dsg_rqp_make(p->mult_out, p->shift_out); /* a contract multiplier */
    int32_t ta[256], tb[256], v, i;
    for (v = -128; v < 128; ++v) {
        ta[v + 128] = dsg_requantize((v - p->z_a) * scale, p->mult_a, p->shift_a);
        tb[v + 128] = dsg_requantize((v - p->z_b) * scale, p->mult_b, p->shift_b);
    }
    for (i = 0; i < n; ++i)
        out[i] = (int8_t)dsg_clamp_out(dsg_rqp_apply(&o, ta[a[i] + 128] + tb[b[i] + 128]),
                                       p->z_out, p->act_min, p->act_max);
}
#define DSG_ADD_LUT 1

#define DSG_T int8_t
#define DSG_SFX s8
#include "dsg_kernels_typed.inc"
#undef DSG_GSUM4
#undef DSG_ADD_LUT
#undef DSG_MAXPOOL4
#undef DSG_T
#undef DSG_SFX

#define DSG_T int16_t
#define DSG_SFX s16
#include "dsg_kernels_typed.inc"
#undef DSG_T
#undef DSG_SFX

/* ------------------------------------------------------------------ specialised s8 kernels */

/* The stride-1 pointwise inner kernel for output channels c and c + 1 over all pixels (pixel i
 * is in + i*k).  Consecutive pixels and consecutive weight rows are both k bytes apart, so one
 * offset register serves all four loads, which leaves exactly enough of Cortex-M4's 14
 * registers for the unrolled MAC loop: 8 LDR + 16 SXTB16 + 16 SMLAD + ~5 loop instructions per
 * 32 MACs.  Not inlined, so that the caller's loop state does not compete for those registers. */
DSG_NOINLINE static void dsg_pw_pair_s8(const int8_t *in, int8_t *out, int32_t k, int32_t n_pix,
                                        int32_t n_out, const int8_t *w0, int32_t c, int32_t two_c,
                                        uint32_t base0, uint32_t base1, const dsg_outp *o0,
                                        const dsg_outp *o1)
{
    int32_t i;
    for (i = 0; i + 1 < n_pix; i += 2) {
        const int8_t *a = in + i * k, *b = w0;
        int8_t *y = out + i * n_out + c;
        uint32_t acc[4];
        int32_t r = k;
#if DSG_USE_DSP
        int32_t s00 = 0, s01 = 0, s10 = 0, s11 = 0, cnt;
        for (cnt = k >> 3; cnt > 0; --cnt, a += 8, b += 8) {
            DSG_MAC2X2_4(a, k, b, k, s00, s01, s10, s11);
            DSG_MAC2X2_4(a + 4, k, b + 4, k, s00, s01, s10, s11);
        }
        if (k & 4) {
            DSG_MAC2X2_4(a, k, b, k, s00, s01, s10, s11);
            a += 4;
            b += 4;
        }
        r = k & 3;
        acc[0] = base0 + (uint32_t)s00;
        acc[1] = base1 + (uint32_t)s01;
        acc[2] = base0 + (uint32_t)s10;
        acc[3] = base1 + (uint32_t)s11;
#else
        acc[0] = base0;
        acc[1] = base1;
        acc[2] = base0;
        acc[3] = base1;
#endif
        if (r) dsg_dot2x2_s8(a, k, b, k, r, acc);
        y[0] = (int8_t)dsg_outp_apply(o0, dsg_u2i(acc[0]));
        y[n_out] = (int8_t)dsg_outp_apply(o0, dsg_u2i(acc[2]));
        if (two_c) {
            y[1] = (int8_t)dsg_outp_apply(o1, dsg_u2i(acc[1]));
            y[n_out + 1] = (int8_t)dsg_outp_apply(o1, dsg_u2i(acc[3]));
        }
    }
}

/* The 1x1 conv is a GEMM: out[pixel][c] = x[pixel] . w[c].  Blocks of 2 pixels x 2 output
 * channels reuse every unpacked input for two channels and every unpacked weight for two
 * pixels.  Channel pairs are the outer loop so the zero-point term -z * sum(w[c]) is computed
 * once per channel, not per pixel.  Odd tails recompute a duplicate row and drop it. */
int32_t dsg_pointwise_conv_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p)
{
    const int32_t k = p->in_c, n_out = p->out_c, n_pix = p->out_h * p->out_w;
    const int32_t dense_px = p->stride_h == 1 && p->stride_w == 1;
    int32_t c, i;
    if (p->kernel_h != 1 || p->kernel_w != 1 || p->groups != 1 || p->pad_top || p->pad_left ||
        (p->out_h - 1) * p->stride_h >= p->in_h || (p->out_w - 1) * p->stride_w >= p->in_w)
        return DSG_ERR_ARG; /* padding on any side */
#if DSG_USE_DSP
    if (dsg_gemm_s8(in, out, p)) return DSG_OK;
#endif
#if DSG_PORTABLE_GEMM
    if (dsg_pgemm_s8(in, out, p)) return DSG_OK;
#endif
    for (c = 0; c < n_out; c += 2) {
        const int32_t two_c = c + 1 < n_out, c1 = two_c ? c + 1 : c;
        const int8_t *w0 = p->weights + c * k, *w1 = p->weights + c1 * k;
        const uint32_t base0 = dsg_raw_base(p->bias, c, w0, k, p->z_in);
        const uint32_t base1 = dsg_raw_base(p->bias, c1, w1, k, p->z_in);
        const dsg_outp o0 = dsg_outp_make(p->mult, p->shift, p->mult_neg, p->shift_neg, c,
                                          p->z_out, p->act_min, p->act_max);
        const dsg_outp o1 = dsg_outp_make(p->mult, p->shift, p->mult_neg, p->shift_neg, c1,
                                          p->z_out, p->act_min, p->act_max);
        i = 0;
        if (dense_px) { /* all pixel pairs but an odd last one */
            dsg_pw_pair_s8(in, out, k, n_pix, n_out, w0, c, two_c, base0, base1, &o0, &o1);
            i = n_pix & ~1;
        }
        for (; i < n_pix; i += 2) {
            const int32_t two_px = i + 1 < n_pix;
            const int32_t j = two_px ? i + 1 : i;
            const int8_t *x0 =
                in + ((i / p->out_w) * p->stride_h * p->in_w + (i % p->out_w) * p->stride_w) * k;
            const int8_t *x1 =
                in + ((j / p->out_w) * p->stride_h * p->in_w + (j % p->out_w) * p->stride_w) * k;
            uint32_t acc[4];
            acc[0] = base0;
            acc[1] = base1;
            acc[2] = base0;
            acc[3] = base1;
            dsg_dot2x2_s8(x0, (int32_t)(x1 - x0), w0, (int32_t)(w1 - w0), k, acc);
            out[i * n_out + c] = (int8_t)dsg_outp_apply(&o0, dsg_u2i(acc[0]));
            if (two_c) out[i * n_out + c1] = (int8_t)dsg_outp_apply(&o1, dsg_u2i(acc[1]));
            if (two_px) {
                out[j * n_out + c] = (int8_t)dsg_outp_apply(&o0, dsg_u2i(acc[2]));
                if (two_c) out[j * n_out + c1] = (int8_t)dsg_outp_apply(&o1, dsg_u2i(acc[3]));
            }
        }
    }
    return DSG_OK;
}

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
static int32_t dsg_rqf_ok(int32_t mult, int32_t shift, int32_t z_out)
{
    return ((shift <= -1 && shift >= -23) || mult == 0) && mult >= 0 && z_out >= -128 &&
           z_out <= 127;
}

static int32_t dsg_rqf_all_ok(const dsg_conv_params *p)
{
    int32_t c;
    if (p->mult_neg) return 0;
    for (c = 0; c < p->out_c; ++c)
        if (!dsg_rqf_ok(p->mult[c], p->shift[c], p->z_out)) return 0;
    return 1;
}

static dsg_rqf dsg_rqf_make(int32_t bias, int32_t mult, int32_t shift, int32_t z_out)
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

/* The same output stage on a doubled accumulator a2 = 2*acc, in four instructions (ADD, SMMLAR,
 * ASR, and the clamp's SSAT).  SMMLAR computes floor((m*2^32 + a2*q + 2^31) / 2^32), which is
 * floor((p + 2^30 + 2^31*m) / 2^31) with p = acc*q, so an arithmetic shift by R gives the
 * floor of dsg_rqf_apply (nested floors merge); m = hz - [acc < 0] as there.  Exact when
 * |acc| < 2^29: then |p / 2^31| < 2^29 and |m| < 2^30, so the quotient fits SMMLAR's 32-bit
 * result.  The kernels double the accumulator for free (doubled inputs, doubled bias; 2*(x - z)
 * still fits an int16 lane) and take this stage when every channel satisfies
 * |bias| + 255*128*taps < 2^29 (dsg_acc2_ok), which bounds |acc|. */
static int32_t dsg_acc2_ok(const dsg_conv_params *p, int32_t taps)
{
    const int32_t lim = ((int32_t)1 << 29) - 1 - 32640 * taps;
    int32_t c;
    if (taps > 16384) return 0;
    if (p->bias) /* a dead channel (q = 0) outputs z_out whatever its accumulator */
        for (c = 0; c < p->out_c; ++c)
            if (p->mult[c] != 0 && (p->bias[c] > lim || p->bias[c] < -lim)) return 0;
    return 1;
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

static void dsg_pstage_set(dsg_pstage *st, const dsg_conv_params *p, int32_t fast, int32_t i,
                           int32_t c, uint32_t bias)
{
    if (fast) {
        const dsg_rqf f = dsg_rqf_make(dsg_u2i(bias), p->mult[c], p->shift[c], p->z_out);
        st->mult[i] = f.mult;
        st->hz[i] = f.hz;
        st->r1[i] = f.r1;
    }
    st->bias[i] = dsg_u2i(bias);
}

/* y[c] = clamp(RQ(bias[c] + raw[c]) + z_out) for n channels: dsg_rqf_apply written as one
 * 64-bit expression, s = acc*q + m*2^31 + 2^30 (= acc*q + (m >> 1)*2^32 + lo of dsg_rqf_apply;
 * |s| < 2^62 + 2^61 + 2^30).  bias + raw wraps modulo 2^32 to the contract's accumulator. */
DSG_VEC static void dsg_prq_fast(const int32_t *restrict raw, const dsg_pstage *restrict st,
                                 int32_t n, int32_t lo, int32_t hi, int8_t *restrict y)
{
    int32_t c;
    for (c = 0; c < n; ++c) {
        const int32_t acc = dsg_u2i((uint32_t)st->bias[c] + (uint32_t)raw[c]);
        const int32_t m = st->hz[c] + (acc >> 31);
        const int64_t s = (int64_t)acc * st->mult[c] + (int64_t)m * ((int64_t)1 << 31) +
                          ((int64_t)1 << 30);
        int32_t v = (int32_t)(s >> 32) >> st->r1[c]; /* |v| < 2^30: no overflow below */
        v -= (v - lo) & -(int32_t)(v < lo);           /* branch-free clamp: a ReLU's lo */
        v -= (v - hi) & -(int32_t)(v > hi);           /* clips about half the outputs */
        y[c] = (int8_t)v;
    }
}

static void dsg_prq(const int32_t *raw, const dsg_pstage *st, int32_t fast, int32_t c0,
                    int32_t n, const dsg_conv_params *p, int8_t *y)
{
    int32_t c;
    if (fast) {
        dsg_prq_fast(raw, st, n, p->act_min, p->act_max, y);
        return;
    }
    for (c = 0; c < n; ++c)
        y[c] = (int8_t)dsg_rq_channel(dsg_u2i((uint32_t)st->bias[c] + (uint32_t)raw[c]), c0 + c, p);
}

/* s[4*j + i] = sum_n x_j[n] * w_i[n] for the 4 int16 rows x_j = x + j*k (already x - z_in) and
 * the 4 int8 weight rows w_i.  One contiguous loop of widening multiply-adds that GCC and Clang
 * turn into pmaddwd / vpdpwssd / smlal: every loaded vector feeds 4 products.  |x - z| <= 255
 * and |w| <= 128, so with k <= DSG_PKMAX no partial sum, in any order, leaves int32. */
DSG_VEC static void dsg_pg_4x4(const int16_t *x, int32_t k, const int8_t *const *w,
                               int32_t *s)
{
    const int16_t *x0 = x, *x1 = x + k, *x2 = x + 2 * k, *x3 = x + 3 * k;
    const int8_t *w0 = w[0], *w1 = w[1], *w2 = w[2], *w3 = w[3];
    int32_t s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
    int32_t s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
    int32_t n;
    for (n = 0; n < k; ++n) {
        const int16_t a0 = x0[n], a1 = x1[n], a2 = x2[n], a3 = x3[n];
        const int16_t b0 = w0[n], b1 = w1[n], b2 = w2[n], b3 = w3[n];
        s00 += a0 * b0; s01 += a0 * b1; s02 += a0 * b2; s03 += a0 * b3;
        s10 += a1 * b0; s11 += a1 * b1; s12 += a1 * b2; s13 += a1 * b3;
        s20 += a2 * b0; s21 += a2 * b1; s22 += a2 * b2; s23 += a2 * b3;
        s30 += a3 * b0; s31 += a3 * b1; s32 += a3 * b2; s33 += a3 * b3;
    }
    s[0] = s00; s[1] = s01; s[2] = s02; s[3] = s03;
    s[4] = s10; s[5] = s11; s[6] = s12; s[7] = s13;
    s[8] = s20; s[9] = s21; s[10] = s22; s[11] = s23;
    s[12] = s30; s[13] = s31; s[14] = s32; s[15] = s33;
}

/* Row j of the GEMM's left operand: pixel px's receptive field [kh][kw][C_in] as x - z_in in
 * int16, padding 0 (the contract's padding contributes 0). */
DSG_VEC static void dsg_pg_row(const int8_t *in, const dsg_conv_params *p, int32_t px,
                               int16_t *restrict r)
{
    const int32_t iy0 = (px / p->out_w) * p->stride_h - p->pad_top;
    const int32_t ix0 = (px % p->out_w) * p->stride_w - p->pad_left;
    const int32_t z = p->z_in, cin = p->in_c;
    int32_t ky, kx, c;
    for (ky = 0; ky < p->kernel_h; ++ky) {
        const int32_t iy = iy0 + ky * p->dilation_h;
        for (kx = 0; kx < p->kernel_w; ++kx, r += cin) {
            /* a padded tap reads the first pixel masked to 0 (a zero-fill loop would become a
             * call to memset, which the library does not link against) */
            const int32_t ix = ix0 + kx * p->dilation_w;
            const int32_t inside = iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w;
            const int8_t *x = inside ? in + (iy * p->in_w + ix) * cin : in;
            const int32_t keep = -inside;
            for (c = 0; c < cin; ++c) r[c] = (int16_t)((x[c] - z) & keep);
        }
    }
}

/* Convolution with groups 1 (pointwise included) as a GEMM out[pixel][c] = row(pixel) . w[c]
 * in blocks of 4 pixels x 4 output channels; each block of pixels is widened once and reused by
 * every output channel of a pass (DSG_PCB channels), then requantized row by row.  Channel
 * tails repeat the last channel.  Returns 0 (nothing written) when k > DSG_PKMAX. */
static int32_t dsg_pgemm_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p)
{
    /* a grouped conv is one GEMM per group: its input channel slice, its output channels */
    const int32_t cin_g = p->in_c / p->groups, n_out = p->out_c / p->groups;
    const int32_t k = p->kernel_h * p->kernel_w * cin_g, n_pix = p->out_h * p->out_w;
    const int32_t fast = dsg_rqf_all_ok(p);
    int16_t xb[4 * DSG_PKMAX];
    int32_t raw[4 * DSG_PCB];
    dsg_pstage st;
    int32_t c0, i, j, c, t;
    if (p->groups != 1 || k > DSG_PKMAX || k < 1) return 0;
    for (c0 = 0; c0 < n_out; c0 += DSG_PCB) {
        const int32_t nc = n_out - c0 < DSG_PCB ? n_out - c0 : DSG_PCB;
        for (c = 0; c < nc; ++c)
            dsg_pstage_set(&st, p, fast, c, c0 + c, p->bias ? (uint32_t)p->bias[c0 + c] : 0u);
        for (i = 0; i < n_pix; i += 4) {
            const int32_t np = n_pix - i < 4 ? n_pix - i : 4;
            for (j = 0; j < 4; ++j) dsg_pg_row(in, p, i + (j < np ? j : np - 1), xb + j * k);
            for (c = 0; c < nc; c += 4) {
                const int8_t *w[4];
                int32_t cc[4], s[16];
                for (t = 0; t < 4; ++t) {
                    cc[t] = c + t < nc ? c + t : nc - 1;
                    w[t] = p->weights + (c0 + cc[t]) * k;
                }
                dsg_pg_4x4(xb, k, w, s);
                for (j = 0; j < 4; ++j)
                    for (t = 0; t < 4; ++t) raw[j * DSG_PCB + cc[t]] = s[4 * j + t];
            }
            for (j = 0; j < np; ++j)
                dsg_prq(raw + j * DSG_PCB, &st, fast, c0, nc, p, out + (i + j) * n_out + c0);
        }
    }
    return 1;
}

/* acc[c] = sum_t wt[t][c] * x_t[c] over the 9 taps of a 3x3 window, channels innermost so the
 * loop vectorizes; wt is [9][DSG_PDW_CB]. */
DSG_VEC static void dsg_pdw_taps(const int8_t *const *xt, const int8_t *wt, int32_t n,
                                 int32_t *restrict acc)
{
    const int8_t *x0 = xt[0], *x1 = xt[1], *x2 = xt[2], *x3 = xt[3], *x4 = xt[4];
    const int8_t *x5 = xt[5], *x6 = xt[6], *x7 = xt[7], *x8 = xt[8];
    const int8_t *w0 = wt, *w1 = wt + DSG_PDW_CB, *w2 = wt + 2 * DSG_PDW_CB;
    const int8_t *w3 = wt + 3 * DSG_PDW_CB, *w4 = wt + 4 * DSG_PDW_CB, *w5 = wt + 5 * DSG_PDW_CB;
    const int8_t *w6 = wt + 6 * DSG_PDW_CB, *w7 = wt + 7 * DSG_PDW_CB, *w8 = wt + 8 * DSG_PDW_CB;
    int32_t c;
    for (c = 0; c < n; ++c)
        acc[c] = w0[c] * x0[c] + w1[c] * x1[c] + w2[c] * x2[c] + w3[c] * x3[c] +
                 w4[c] * x4[c] + w5[c] * x5[c] + w6[c] * x6[c] + w7[c] * x7[c] + w8[c] * x8[c];
}

/* 3x3 depthwise (multiplier 1, dilation 1): per pass of up to DSG_PDW_CB channels the weights
 * are transposed to [tap][channel], the zero point is folded into the bias (bias - z*sum(w))
 * and a padded tap reads a row of z_in bytes, contributing w*z like the folded term expects, so
 * every output pixel takes the same unchecked path. */
static int32_t dsg_pdw3x3_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p,
                             int32_t wcs, int32_t wts)
{
    const int32_t ch = p->in_c, z = p->z_in;
    const int32_t fast = dsg_rqf_all_ok(p);
    int8_t wt[9 * DSG_PDW_CB], zrow[DSG_PDW_CB];
    int32_t acc[DSG_PDW_CB];
    dsg_pstage st;
    int32_t c0, c, t, oy, ox, ky, kx;
    for (c0 = 0; c0 < ch; c0 += DSG_PDW_CB) {
        const int32_t n = ch - c0 < DSG_PDW_CB ? ch - c0 : DSG_PDW_CB;
        zrow[0] = (int8_t)z; /* by doubling: a fill loop would become a call to memset */
        for (c = 1; c < n; c *= 2) memcpy(zrow + c, zrow, (size_t)(n - c < c ? n - c : c));
        for (c = 0; c < n; ++c) {
            uint32_t sw = 0;
            for (t = 0; t < 9; ++t) {
                wt[t * DSG_PDW_CB + c] = p->weights[(c0 + c) * wcs + t * wts];
                sw += (uint32_t)(int32_t)wt[t * DSG_PDW_CB + c];
            }
            dsg_pstage_set(&st, p, fast, c, c0 + c,
                           (p->bias ? (uint32_t)p->bias[c0 + c] : 0u) - sw * (uint32_t)z);
        }
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_left;
                const int8_t *xt[9];
                for (ky = 0; ky < 3; ++ky)
                    for (kx = 0; kx < 3; ++kx) {
                        const int32_t iy = iy0 + ky, ix = ix0 + kx;
                        xt[ky * 3 + kx] = iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w
                                              ? zrow
                                              : in + (iy * p->in_w + ix) * ch + c0;
                    }
                dsg_pdw_taps(xt, wt, n, acc);
                dsg_prq(acc, &st, fast, c0, n, p, out + (oy * p->out_w + ox) * ch + c0);
            }
        }
    }
    return 1;
}
#endif

/* ------------------------------------------------------------------ 3x3 depthwise */

/* Portable per-channel loop of the 3x3 depthwise kernels: weight of channel c, tap t (= ky*3 +
 * kx) at w[c*wcs + t*wts]; any output stage.  Also the tail (C % 4 channels) of the DSP path. */
static void dsg_dw3x3_channels(const int8_t *in, int8_t *out, const dsg_conv_params *p,
                               int32_t wcs, int32_t wts, int32_t c_begin)
{
    const int32_t ch = p->in_c;
    int32_t c, oy, ox, ky, kx;
    for (c = c_begin; c < ch; ++c) {
        const int8_t *w = p->weights + c * wcs;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_left;
                int32_t acc = p->bias ? p->bias[c] : 0;
                for (ky = 0; ky < 3; ++ky) {
                    const int32_t iy = iy0 + ky;
                    if (iy < 0 || iy >= p->in_h) continue;
                    for (kx = 0; kx < 3; ++kx) {
                        const int32_t ix = ix0 + kx;
                        if (ix < 0 || ix >= p->in_w) continue;
                        acc += w[(ky * 3 + kx) * wts] * ((int32_t)in[(iy * p->in_w + ix) * ch + c] -
                                                        p->z_in);
                    }
                }
                out[(oy * p->out_w + ox) * ch + c] = (int8_t)dsg_rq_channel(acc, c, p);
            }
        }
    }
}

#if DSG_USE_DSP
/* One kernel row (3 taps) for 4 channels: tap kx is the word at rp + kx*st; w points to the
 * row's unpacked weights {w02, w13} x 3.  SXTB16 splits an input word into channels {0, 2} and
 * {1, 3} like the weights, and SMLABB/SMLATT multiply matching lanes: per tap LDR, LDRD, 2 SXTB16,
 * 4 SMLAxy = 8 instructions for 4 MACs.  In assembly because GCC keeps the weights on the stack
 * and recomputes the addresses (about 12 instructions per tap). */
#if defined(__ARM_FEATURE_DSP) && !defined(DSG_NO_DSP) && defined(__GNUC__)
#define DSG_DW_TAP_ASM(off, addr)                                                             \
    "ldrd   %[w0], %[w1], [%[pw], #" off "]\n\t"                                              \
    "ldr    %[x], " addr "\n\t"                                                               \
    "sxtb16 %[t], %[x]\n\t"                                                                   \
    "sxtb16 %[x], %[x], ror #8\n\t"                                                           \
    "smlabb %[a0], %[t], %[w0], %[a0]\n\t"                                                    \
    "smlatt %[a2], %[t], %[w0], %[a2]\n\t"                                                    \
    "smlabb %[a1], %[x], %[w1], %[a1]\n\t"                                                    \
    "smlatt %[a3], %[x], %[w1], %[a3]\n\t"
#define DSG_DW_ROW(rp, st, w)                                                                 \
    do {                                                                                      \
        int32_t w0_, w1_, x_, t_;                                                             \
        __asm__(DSG_DW_TAP_ASM("0", "[%[pr]]") DSG_DW_TAP_ASM("8", "[%[pr], %[ps]]")          \
                    DSG_DW_TAP_ASM("16", "[%[pr], %[ps], lsl #1]")                            \
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [w0] "=&r"(w0_), \
                  [w1] "=&r"(w1_), [x] "=&r"(x_), [t] "=&r"(t_)                               \
                : [pr] "r"(rp), [ps] "r"(st), [pw] "r"(w)                                     \
                : "memory");                                                                  \
    } while (0)
#else
#define DSG_DW_TAP_C(ptr, w)                                                                  \
    do {                                                                                      \
        const uint32_t x_ = dsg_read4(ptr);                                                   \
        const int32_t x02_ = dsg_sxtb16(x_), x13_ = dsg_sxtb16_ror8(x_);                      \
        a0 = dsg_smlabb(x02_, (w)[0], a0);                                                    \
        a2 = dsg_smlatt(x02_, (w)[0], a2);                                                    \
        a1 = dsg_smlabb(x13_, (w)[1], a1);                                                    \
        a3 = dsg_smlatt(x13_, (w)[1], a3);                                                    \
    } while (0)
#define DSG_DW_ROW(rp, st, w)                                                                 \
    do {                                                                                      \
        DSG_DW_TAP_C(rp, w);                                                                  \
        DSG_DW_TAP_C((rp) + (st), (w) + 2);                                                   \
        DSG_DW_TAP_C((rp) + 2 * (st), (w) + 4);                                               \
    } while (0)
#endif

#ifndef DSG_DW_WMAX
#define DSG_DW_WMAX 128 /* widest padded input row of the DSP 3x3 depthwise: 12*this bytes of stack */
#endif

/* Four channels at a time, channel groups outermost so that the group's unpacked weights and
 * output stages are computed once.  The three input rows a output row reads are copied, as
 * words of the group's 4 channels, into a ring of padded row buffers (each input row once per
 * group at stride 1), so every output pixel takes the same unchecked path.  The zero point is
 * folded into the bias (bias - z*sum(w)) and padding is a word of four z_in bytes, contributing
 * w*(z_in - z_in) = 0 like the contract's padding.  Partial sums may wrap modulo 2^32; the final
 * sum is the contract's accumulator, which fits. */
static void dsg_dw3x3_dsp(const int8_t *in, int8_t *out, const dsg_conv_params *p, int32_t wcs,
                          int32_t wts, int32_t c4)
{
    const int32_t ch = p->in_c, z = p->z_in, sw = p->stride_w;
    const int32_t len = (p->out_w - 1) * sw + 3; /* padded row: ix = -pad_left .. */
    const uint32_t zz = ((uint32_t)z & 0xFFu) * 0x01010101u;
    const int32_t lo = p->act_min, hi = p->act_max;
    uint32_t rb[3][DSG_DW_WMAX];
    int32_t c, j, t, oy, ox, ky;
    for (c = 0; c < c4; c += 4) {
        int32_t wu[18], held[3];
        dsg_rqf f[4];
        for (t = 0; t < 9; ++t) {
            const int8_t *w = p->weights + c * wcs + t * wts;
            const uint32_t v = (uint32_t)(uint8_t)w[0] | (uint32_t)(uint8_t)w[wcs] << 8 |
                               (uint32_t)(uint8_t)w[2 * wcs] << 16 |
                               (uint32_t)(uint8_t)w[3 * wcs] << 24;
            wu[2 * t] = dsg_sxtb16(v);
            wu[2 * t + 1] = dsg_sxtb16_ror8(v);
        }
        for (j = 0; j < 4; ++j) {
            uint32_t sw_ = 0;
            for (t = 0; t < 9; ++t) sw_ += (uint32_t)(int32_t)p->weights[(c + j) * wcs + t * wts];
            f[j] = dsg_rqf_make(dsg_u2i((p->bias ? (uint32_t)p->bias[c + j] : 0u) -
                                        sw_ * (uint32_t)z),
                                p->mult[c + j], p->shift[c + j], p->z_out);
        }
        held[0] = held[1] = held[2] = INT32_MIN;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            const int8_t *r[3];
            int8_t *y = out + oy * p->out_w * ch + c;
            for (ky = 0; ky < 3; ++ky) {
                const int32_t iy = iy0 + ky, slot = ((iy % 3) + 3) % 3;
                uint32_t *b = rb[slot];
                if (held[slot] != iy) {
                    int32_t i, ix = -p->pad_left;
                    held[slot] = iy;
                    if (iy < 0 || iy >= p->in_h) {
                        for (i = 0; i < len; ++i) b[i] = zz;
                    } else {
                        const int8_t *x = in + iy * p->in_w * ch + c;
                        for (i = 0; i < len; ++i, ++ix)
                            b[i] = ix >= 0 && ix < p->in_w ? dsg_read4(x + ix * ch) : zz;
                    }
                }
                r[ky] = (const int8_t *)b;
            }
            for (ox = 0; ox < p->out_w; ++ox, y += ch) {
                const int32_t off = ox * sw * 4;
                int32_t a0 = f[0].bias, a1 = f[1].bias, a2 = f[2].bias, a3 = f[3].bias;
                DSG_DW_ROW(r[0] + off, 4, wu);
                DSG_DW_ROW(r[1] + off, 4, wu + 6);
                DSG_DW_ROW(r[2] + off, 4, wu + 12);
                y[0] = (int8_t)dsg_clamp(dsg_rqf_apply(&f[0], a0), lo, hi);
                y[1] = (int8_t)dsg_clamp(dsg_rqf_apply(&f[1], a1), lo, hi);
                y[2] = (int8_t)dsg_clamp(dsg_rqf_apply(&f[2], a2), lo, hi);
                y[3] = (int8_t)dsg_clamp(dsg_rqf_apply(&f[3], a3), lo, hi);
            }
        }
    }
}
#endif

#if DSG_USE_DSP
#include "dsg_kernels_dw3x3.inc"
#endif

static int32_t dsg_dw3x3(const int8_t *in, int8_t *out, const dsg_conv_params *p, int32_t wcs,
                         int32_t wts)
{
    int32_t c4 = 0;
    if (p->kernel_h != 3 || p->kernel_w != 3 || p->out_c != p->in_c || p->groups != p->in_c ||
        p->dilation_h != 1 || p->dilation_w != 1)
        return DSG_ERR_ARG;
#if DSG_PORTABLE_GEMM
    if (dsg_pdw3x3_s8(in, out, p, wcs, wts)) return DSG_OK;
#endif
#if DSG_USE_DSP
    if (dsg_rqf_all_ok(p)) {
        dsg_dwl g;
        dsg_dwl_make(&g, p, p->out_h > p->out_w); /* the longer lines */
        if (!dsg_dwl_ok(&g)) dsg_dwl_make(&g, p, p->out_h <= p->out_w);
        if (dsg_acc2_ok(p, 9) && dsg_dwl_ok(&g)) {
            c4 = p->in_c & ~3;
            dsg_dwp(in, out, p, wcs, wts, c4, &g);
        } else if ((p->out_w - 1) * p->stride_w + 3 <= DSG_DW_WMAX) {
            c4 = p->in_c & ~3;
            dsg_dw3x3_dsp(in, out, p, wcs, wts, c4);
        }
    }
#endif
    dsg_dw3x3_channels(in, out, p, wcs, wts, c4);
    return DSG_OK;
}

int32_t dsg_depthwise_conv_3x3_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p)
{
    return dsg_dw3x3(in, out, p, 9, 1);
}

int32_t dsg_depthwise_conv_3x3_hwc_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p)
{
    return dsg_dw3x3(in, out, p, 1, p->in_c);
}

/* ------------------------------------------------------------------ im2col GEMM (DSP cores) */
#if DSG_USE_DSP
#ifndef DSG_KMAX
/* Longest dot product (pointwise C_in, or kh*kw*C_in) of the GEMM path, which takes about
 * 18*DSG_KMAX + 1.3 KB of stack; longer ones use the direct kernels. */
#define DSG_KMAX 256
#endif
#define DSG_CBLK 64 /* output channels whose output stages are prepared at a time */
#define DSG_WPAD 1024 /* bytes of weight rows padded to a multiple of 4 (k % 4 != 0) */

/* x - z of four k-vectors as int16 lanes, per 4 elements 8 words {v0: x0,x2} {v0: x1,x3}
 * {v1: x0,x2} ... -- the lane order in which SXTB16 unpacks a weight word, so the GEMM needs no
 * repacking.  Done once per 4 pixels and reused by every output channel; x - z is in
 * [-255, 255]. */
static void dsg_expand4(const int8_t *const *v, int32_t n4, int32_t nz, int32_t *xb)
{
    int32_t g, j;
    for (g = 0; g < n4; ++g, xb += 8)
        for (j = 0; j < 4; ++j) {
            const uint32_t u = dsg_read4(v[j] + 4 * g);
            xb[2 * j] = dsg_sadd16(dsg_sxtb16(u), nz);
            xb[2 * j + 1] = dsg_sadd16(dsg_sxtb16_ror8(u), nz);
        }
}

/* The same with 2*(x - z) (in [-510, 510]) for np (4 or 6) pixels, 2*np words per group: the
 * accumulators come out doubled, for dsg_rq2. */
static void dsg_expandx2(const int8_t *const *v, int32_t np, int32_t n4, int32_t nz, int32_t *xb)
{
    int32_t g, j;
    for (g = 0; g < n4; ++g, xb += 2 * np)
        for (j = 0; j < np; ++j) {
            const uint32_t u = dsg_read4(v[j] + 4 * g);
            const int32_t a = dsg_sadd16(dsg_sxtb16(u), nz), b = dsg_sadd16(dsg_sxtb16_ror8(u), nz);
            xb[2 * j] = dsg_sadd16(a, a);
            xb[2 * j + 1] = dsg_sadd16(b, b);
        }
}

/* n bytes from s to d (or the byte z to all of d when s is NULL), a word at a time: GCC would
 * turn the plain byte loops into memcpy/memset calls, which cost more than short rows do. */
DSG_INLINE void dsg_put_s8(int8_t *d, const int8_t *s, int32_t n, uint32_t zz)
{
    for (; n >= 4; n -= 4, d += 4) {
        const uint32_t v = s ? dsg_read4(s) : zz;
        memcpy(d, &v, 4);
        if (s) s += 4;
    }
    for (; n > 0; --n, ++d) {
        *d = s ? *s : (int8_t)(zz & 0xFFu);
        if (s) ++s;
    }
}

/* The receptive field of output pixel i as a k-vector [kh][kw][cg] (padding = z_in, which
 * dsg_expand4 turns into 0) of the cg channels at in (a group's slice of each pixel, or all of
 * it: then a kernel row inside the image is one contiguous run of the input). */
static void dsg_gather_s8(const int8_t *in, const dsg_conv_params *p, int32_t i, int8_t *raw,
                          int32_t cg)
{
    const int32_t iy0 = (i / p->out_w) * p->stride_h - p->pad_top;
    const int32_t ix0 = (i % p->out_w) * p->stride_w - p->pad_left;
    const int32_t ch = p->in_c, kw = p->kernel_w, run = kw * cg;
    const int32_t inside = cg == ch && p->dilation_w == 1 && ix0 >= 0 && ix0 + kw <= p->in_w;
    const uint32_t zz = ((uint32_t)p->z_in & 0xFFu) * 0x01010101u;
    int32_t ky, kx;
    for (ky = 0; ky < p->kernel_h; ++ky, raw += run) {
        const int32_t iy = iy0 + ky * p->dilation_h;
        if (iy < 0 || iy >= p->in_h) {
            dsg_put_s8(raw, 0, run, zz);
        } else if (inside) {
            dsg_put_s8(raw, in + (iy * p->in_w + ix0) * ch, run, zz);
        } else {
            for (kx = 0; kx < kw; ++kx) {
                const int32_t ix = ix0 + kx * p->dilation_w;
                dsg_put_s8(raw + kx * cg, ix < 0 || ix >= p->in_w ? 0 : in + (iy * p->in_w + ix) * ch,
                           cg, zz);
            }
        }
    }
}

/* The GEMM's inner loop, 4 pixels x 1 output channel: s_j += v_j . w over n groups of 4
 * elements, xp walking the dsg_expand4 buffer (8 words per group) and wp the weight row.  Per
 * group LDR + 2 SXTB16 + 4 LDRD + 8 SMLAD = 15 instructions for 16 MACs (+1 of loop, unrolled
 * twice); the weight word is unpacked once for four pixels.  GCC's schedule of the C version
 * needs a few more registers than Cortex-M4 has and reloads, hence the assembly.  Same integers
 * either way: SMLAD wraps modulo 2^32, and the final sum is the contract's accumulator. */
#if defined(__ARM_FEATURE_DSP) && !defined(DSG_NO_DSP) && defined(__GNUC__)
#define DSG_MM4_GROUP                                                                         \
    "ldr    %[u], [%[pw]], #4\n\t"                                                            \
    "sxtb16 %[t], %[u]\n\t"                                                                   \
    "sxtb16 %[u], %[u], ror #8\n\t"                                                           \
    "ldrd   %[x0], %[x1], [%[px]], #32\n\t"                                                   \
    "smlad  %[q0], %[x0], %[t], %[q0]\n\t"                                                    \
    "smlad  %[q0], %[x1], %[u], %[q0]\n\t"                                                    \
    "ldrd   %[x0], %[x1], [%[px], #-24]\n\t"                                                  \
    "smlad  %[q1], %[x0], %[t], %[q1]\n\t"                                                    \
    "smlad  %[q1], %[x1], %[u], %[q1]\n\t"                                                    \
    "ldrd   %[x0], %[x1], [%[px], #-16]\n\t"                                                  \
    "smlad  %[q2], %[x0], %[t], %[q2]\n\t"                                                    \
    "smlad  %[q2], %[x1], %[u], %[q2]\n\t"                                                    \
    "ldrd   %[x0], %[x1], [%[px], #-8]\n\t"                                                   \
    "smlad  %[q3], %[x0], %[t], %[q3]\n\t"                                                    \
    "smlad  %[q3], %[x1], %[u], %[q3]\n\t"
#define DSG_MM4_OPERANDS                                                                      \
    : [q0] "+r"(s0), [q1] "+r"(s1), [q2] "+r"(s2), [q3] "+r"(s3), [px] "+r"(xp_),             \
      [pw] "+r"(wp_), [cnt] "+r"(n_), [x0] "=&r"(x0_), [x1] "=&r"(x1_), [u] "=&r"(u_),        \
      [t] "=&r"(t_)                                                                           \
    :                                                                                         \
    : "cc", "memory"
#define DSG_MM4_LOOP(xp, wp, n, s0, s1, s2, s3)                                               \
    do {                                                                                      \
        int32_t x0_, x1_, u_, t_, n_ = (n) >> 1;                                              \
        const int32_t *xp_ = (xp);                                                            \
        const int8_t *wp_ = (wp);                                                             \
        if (n_ > 0)                                                                           \
            __asm__("1:\n\t" DSG_MM4_GROUP DSG_MM4_GROUP "subs   %[cnt], %[cnt], #1\n\t"      \
                    "bne    1b" DSG_MM4_OPERANDS);                                            \
        if ((n) & 1) __asm__(DSG_MM4_GROUP DSG_MM4_OPERANDS);                                 \
    } while (0)
#else
#define DSG_MM4_LOOP(xp, wp, n, s0, s1, s2, s3)                                               \
    do {                                                                                      \
        int32_t n_;                                                                           \
        const int32_t *xp_ = (xp);                                                            \
        const int8_t *wp_ = (wp);                                                             \
        for (n_ = (n); n_ > 0; --n_, xp_ += 8, wp_ += 4) {                                    \
            const uint32_t u = dsg_read4(wp_);                                                \
            const int32_t w02 = dsg_sxtb16(u), w13 = dsg_sxtb16_ror8(u);                      \
            s0 = dsg_smlad(xp_[1], w13, dsg_smlad(xp_[0], w02, s0));                          \
            s1 = dsg_smlad(xp_[3], w13, dsg_smlad(xp_[2], w02, s1));                          \
            s2 = dsg_smlad(xp_[5], w13, dsg_smlad(xp_[4], w02, s2));                          \
            s3 = dsg_smlad(xp_[7], w13, dsg_smlad(xp_[6], w02, s3));                          \
        }                                                                                     \
    } while (0)
#endif

typedef struct {
    const int32_t *xb;   /* dsg_expand4 of v */
    const int8_t *v[6];  /* the raw k-vectors (4, or 6 for the assembly), for the k % 4 tail */
    int8_t *y[6];        /* their output pixels */
    int32_t k, z, lo, hi;
} dsg_mm_in;

/* Output channels [0, nch) (weights w, output stages f) of the four pixels of x; with lp (a
 * LeakyReLU layer, whose channel c is lp's c_first + c) the contract's two-multiplier stage. */
DSG_NOINLINE static void dsg_mm4_channels(const dsg_mm_in *x, const int8_t *w, const dsg_rqf *f,
                                          int32_t nch, const dsg_conv_params *lp,
                                          int32_t c_first)
{
    const int32_t k = x->k, n4 = k >> 2, lo = x->lo, hi = x->hi;
    int8_t *y0 = x->y[0], *y1 = x->y[1], *y2 = x->y[2], *y3 = x->y[3];
    int32_t c, i;
    for (c = 0; c < nch; ++c, w += k) {
        int32_t s0 = lp ? (lp->bias ? lp->bias[c_first + c] : 0) : f[c].bias;
        int32_t s1 = s0, s2 = s0, s3 = s0;
        DSG_MM4_LOOP(x->xb, w, n4, s0, s1, s2, s3);
        for (i = n4 * 4; i < k; ++i) { /* k % 4 tail, wrapping like SMLAD */
            const int32_t wi = w[i], z = x->z;
            s0 = dsg_u2i((uint32_t)s0 + (uint32_t)(wi * (x->v[0][i] - z)));
            s1 = dsg_u2i((uint32_t)s1 + (uint32_t)(wi * (x->v[1][i] - z)));
            s2 = dsg_u2i((uint32_t)s2 + (uint32_t)(wi * (x->v[2][i] - z)));
            s3 = dsg_u2i((uint32_t)s3 + (uint32_t)(wi * (x->v[3][i] - z)));
        }
        if (lp) {
            const dsg_outp o = dsg_outp_make(lp->mult, lp->shift, lp->mult_neg, lp->shift_neg,
                                             c_first + c, lp->z_out, lo, hi);
            y0[c] = (int8_t)dsg_outp_apply(&o, s0);
            y1[c] = (int8_t)dsg_outp_apply(&o, s1);
            y2[c] = (int8_t)dsg_outp_apply(&o, s2);
            y3[c] = (int8_t)dsg_outp_apply(&o, s3);
        } else {
            const dsg_rqf fc = f[c];
            y0[c] = (int8_t)dsg_clamp(dsg_rqf_apply(&fc, s0), lo, hi);
            y1[c] = (int8_t)dsg_clamp(dsg_rqf_apply(&fc, s1), lo, hi);
            y2[c] = (int8_t)dsg_clamp(dsg_rqf_apply(&fc, s2), lo, hi);
            y3[c] = (int8_t)dsg_clamp(dsg_rqf_apply(&fc, s3), lo, hi);
        }
    }
}

/* dsg_mm4_channels on doubled inputs and biases, with the dsg_rq2 output stage. */
DSG_INLINE void dsg_mm4_ch2(const dsg_mm_in *x, const int8_t *w, const dsg_rqf *f,
                               int32_t nch, int32_t sat8)
{
    const int32_t k = x->k, n4 = k >> 2, lo = x->lo, hi = x->hi;
    int8_t *y0 = x->y[0], *y1 = x->y[1], *y2 = x->y[2], *y3 = x->y[3];
    int32_t c, i;
    for (c = 0; c < nch; ++c, w += k) {
        int32_t s0 = f[c].bias, s1 = s0, s2 = s0, s3 = s0;
        DSG_MM4_LOOP(x->xb, w, n4, s0, s1, s2, s3);
        for (i = n4 * 4; i < k; ++i) { /* k % 4 tail, wrapping like SMLAD */
            const int32_t wi = 2 * w[i], z = x->z;
            s0 = dsg_u2i((uint32_t)s0 + (uint32_t)(wi * (x->v[0][i] - z)));
            s1 = dsg_u2i((uint32_t)s1 + (uint32_t)(wi * (x->v[1][i] - z)));
            s2 = dsg_u2i((uint32_t)s2 + (uint32_t)(wi * (x->v[2][i] - z)));
            s3 = dsg_u2i((uint32_t)s3 + (uint32_t)(wi * (x->v[3][i] - z)));
        }
        {
            const int32_t q = f[c].mult, hz = f[c].hz, r = f[c].r;
            y0[c] = (int8_t)dsg_sat(dsg_rq2(s0, q, hz, r), sat8, lo, hi);
            y1[c] = (int8_t)dsg_sat(dsg_rq2(s1, q, hz, r), sat8, lo, hi);
            y2[c] = (int8_t)dsg_sat(dsg_rq2(s2, q, hz, r), sat8, lo, hi);
            y3[c] = (int8_t)dsg_sat(dsg_rq2(s3, q, hz, r), sat8, lo, hi);
        }
    }
}

#if defined(__ARM_FEATURE_DSP) && !defined(DSG_NO_DSP) && defined(__GNUC__) && defined(__thumb2__)
#define DSG_MM4_ASM 1
/* dsg_mm4_ch2_sat for 4 consecutive output pixels (y, y + n_out, y + 2 n_out, y + 3 n_out) and
 * k % 4 == 0, all in assembly: the C version spills the four output pointers and the loop
 * state around the inner loop, about 54 instructions per channel besides the MACs; this takes
 * 38.  The first group starts the sums from the bias; {q, hz, R} are dsg_rqf words 1, 2, 4. */
typedef struct {
    const int32_t *xb;  /* [0]  dsg_expandx2 of the pixels */
    const int8_t *w;    /* [4]  weight row of the first channel; rows follow each other */
    const dsg_rqf *f;   /* [8]  output stages, one per channel */
    int8_t *y;          /* [12] pixel 0, first channel */
    int32_t n_out;      /* [16] pixel stride of the output */
    int32_t n4;         /* [20] k / 4 (>= 1) */
    const dsg_rqf *end; /* [24] f + channels */
} dsg_mm4_job;

/* one group of 4 k for the 4 pixels; a0..a3: what the sums add to (lr = bias in the first) */
#define DSG_MM4_G(a0, a1, a2, a3)                                                             \
    "ldr    r8, [r1], #4\n\t"                                                                  \
    "sxtb16 r9, r8\n\t"                                                                        \
    "sxtb16 r8, r8, ror #8\n\t"                                                                \
    "ldrd   r10, r11, [r0], #32\n\t"                                                           \
    "smlad  r4, r10, r9, " a0 "\n\t"                                                       \
    "smlad  r4, r11, r8, r4\n\t"                                                               \
    "ldrd   r10, r11, [r0, #-24]\n\t"                                                          \
    "smlad  r5, r10, r9, " a1 "\n\t"                                                       \
    "smlad  r5, r11, r8, r5\n\t"                                                               \
    "ldrd   r10, r11, [r0, #-16]\n\t"                                                          \
    "smlad  r6, r10, r9, " a2 "\n\t"                                                       \
    "smlad  r6, r11, r8, r6\n\t"                                                               \
    "ldrd   r10, r11, [r0, #-8]\n\t"                                                           \
    "smlad  r7, r10, r9, " a3 "\n\t"                                                       \
    "smlad  r7, r11, r8, r7\n\t"
#define DSG_MM4_RQ(s)                                                                         \
    "add    r10, r9, " s ", asr #31\n\t"                                                       \
    "smmlar " s ", " s ", lr, r10\n\t"                                                         \
    "asr    " s ", " s ", r8\n\t"                                                              \
    "ssat   " s ", #8, " s "\n\t"

__attribute__((naked)) static void dsg_mm4_sat_asm(const dsg_mm4_job *j __attribute__((unused)))
{
    /* r0 input buffer, r1 weights, r2 output stage, r3 y, r4-r7 sums, r8/r9 weight word
     * unpacked, r10/r11 inputs, r12 group count, lr bias then q; [sp] = j */
    __asm__("push   {r4-r11, lr}\n\t"
            "ldr    r1, [r0, #4]\n\t"
            "ldr    r2, [r0, #8]\n\t"
            "ldr    r3, [r0, #12]\n\t"
            "str    r0, [sp, #-8]!\n\t"
            "2:\n\t"
            "ldr    r0, [sp]\n\t"
            "ldr    lr, [r2]\n\t"
            "ldr    r12, [r0, #20]\n\t"
            "ldr    r0, [r0]\n\t"
            DSG_MM4_G("lr", "lr", "lr", "lr")
            "subs   r12, r12, #1\n\t"
            "beq    4f\n\t"
            "tst    r12, #1\n\t"
            "beq    3f\n\t"
            DSG_MM4_G("r4", "r5", "r6", "r7")
            "subs   r12, r12, #1\n\t"
            "beq    4f\n\t"
            "3:\n\t"
            DSG_MM4_G("r4", "r5", "r6", "r7") DSG_MM4_G("r4", "r5", "r6", "r7")
            "subs   r12, r12, #2\n\t"
            "bne    3b\n\t"
            "4:\n\t"
            "ldr    lr, [r2, #4]\n\t"
            "ldr    r9, [r2, #8]\n\t"
            "ldr    r8, [r2, #16]\n\t"
            DSG_MM4_RQ("r4") DSG_MM4_RQ("r5") DSG_MM4_RQ("r6") DSG_MM4_RQ("r7")
            "ldr    r0, [sp]\n\t"
            "ldr    r11, [r0, #16]\n\t"
            "ldr    r12, [r0, #24]\n\t"
            "strb   r4, [r3]\n\t"
            "strb   r5, [r3, r11]\n\t"
            "add    r10, r3, r11, lsl #1\n\t"
            "strb   r6, [r10]\n\t"
            "strb   r7, [r10, r11]\n\t"
            "adds   r3, r3, #1\n\t"
            "adds   r2, r2, #20\n\t"
            "cmp    r2, r12\n\t"
            "bne    2b\n\t"
            "add    sp, sp, #8\n\t"
            "pop    {r4-r11, pc}\n\t");
}
/* One group of 4 k for 6 pixels (12 expanded words): 21 instructions for 24 MACs; a4..a9: what
 * the sums r4..r9 add to (r3 = bias in the first group). */
#define DSG_MM6_G(a4, a5, a6, a7, a8, a9)                                                     \
    "ldr    r10, [r1], #4\n\t"                                                                 \
    "sxtb16 r11, r10\n\t"                                                                      \
    "sxtb16 r10, r10, ror #8\n\t"                                                              \
    "ldrd   r12, lr, [r0], #48\n\t"                                                            \
    "smlad  r4, r12, r11, " a4 "\n\t"                                                          \
    "smlad  r4, lr, r10, r4\n\t"                                                               \
    "ldrd   r12, lr, [r0, #-40]\n\t"                                                           \
    "smlad  r5, r12, r11, " a5 "\n\t"                                                          \
    "smlad  r5, lr, r10, r5\n\t"                                                               \
    "ldrd   r12, lr, [r0, #-32]\n\t"                                                           \
    "smlad  r6, r12, r11, " a6 "\n\t"                                                          \
    "smlad  r6, lr, r10, r6\n\t"                                                               \
    "ldrd   r12, lr, [r0, #-24]\n\t"                                                           \
    "smlad  r7, r12, r11, " a7 "\n\t"                                                          \
    "smlad  r7, lr, r10, r7\n\t"                                                               \
    "ldrd   r12, lr, [r0, #-16]\n\t"                                                           \
    "smlad  r8, r12, r11, " a8 "\n\t"                                                          \
    "smlad  r8, lr, r10, r8\n\t"                                                               \
    "ldrd   r12, lr, [r0, #-8]\n\t"                                                            \
    "smlad  r9, r12, r11, " a9 "\n\t"                                                          \
    "smlad  r9, lr, r10, r9\n\t"
#define DSG_MM6_NEXT DSG_MM6_G("r4", "r5", "r6", "r7", "r8", "r9")
#define DSG_MM6_RQ(s)                                                                         \
    "add    r12, r11, " s ", asr #31\n\t"                                                      \
    "smmlar " s ", " s ", lr, r12\n\t"                                                         \
    "asr    " s ", " s ", r10\n\t"                                                             \
    "ssat   " s ", #8, " s "\n\t"

/* The same for 6 consecutive pixels: one weight word unpacked for 6 pixels (0.875 instructions
 * per MAC in the loop instead of 0.94).  Six sums need r4-r9, so the output stage and output
 * pointers live on the stack during the loop: [sp] = j, [sp + 4] = f, [sp + 8] = y. */
__attribute__((naked)) static void dsg_mm6_sat_asm(const dsg_mm4_job *j __attribute__((unused)))
{
    /* r0 input buffer, r1 weights, r2 group count, r3 bias, r4-r9 sums, r10/r11 weight word
     * unpacked, r12/lr inputs */
    __asm__("push   {r4-r11, lr}\n\t"
            "sub    sp, sp, #16\n\t"
            "str    r0, [sp]\n\t"
            "ldr    r1, [r0, #4]\n\t"
            "ldr    r2, [r0, #8]\n\t"
            "ldr    r3, [r0, #12]\n\t"
            "strd   r2, r3, [sp, #4]\n\t"
            "2:\n\t"
            "ldr    r0, [sp]\n\t"
            "ldr    r2, [r0, #20]\n\t"
            "ldr    r0, [r0]\n\t"
            "ldr    r3, [sp, #4]\n\t"
            "ldr    r3, [r3]\n\t"
            DSG_MM6_G("r3", "r3", "r3", "r3", "r3", "r3")
            "subs   r2, r2, #1\n\t"
            "beq    4f\n\t"
            "tst    r2, #1\n\t"
            "beq    3f\n\t"
            DSG_MM6_NEXT
            "subs   r2, r2, #1\n\t"
            "beq    4f\n\t"
            "3:\n\t"
            DSG_MM6_NEXT DSG_MM6_NEXT
            "subs   r2, r2, #2\n\t"
            "bne    3b\n\t"
            "4:\n\t"
            "ldr    r3, [sp, #4]\n\t"
            "ldr    lr, [r3, #4]\n\t"
            "ldr    r11, [r3, #8]\n\t"
            "ldr    r10, [r3, #16]\n\t"
            DSG_MM6_RQ("r4") DSG_MM6_RQ("r5") DSG_MM6_RQ("r6")
            DSG_MM6_RQ("r7") DSG_MM6_RQ("r8") DSG_MM6_RQ("r9")
            "adds   r3, r3, #20\n\t"
            "str    r3, [sp, #4]\n\t"
            "ldr    r0, [sp]\n\t"
            "ldr    r11, [r0, #16]\n\t"
            "ldr    r12, [sp, #8]\n\t"
            "strb   r4, [r12]\n\t"
            "strb   r5, [r12, r11]\n\t"
            "add    r10, r12, r11, lsl #1\n\t"
            "strb   r6, [r10]\n\t"
            "strb   r7, [r10, r11]\n\t"
            "add    r10, r10, r11, lsl #1\n\t"
            "strb   r8, [r10]\n\t"
            "strb   r9, [r10, r11]\n\t"
            "adds   r12, r12, #1\n\t"
            "str    r12, [sp, #8]\n\t"
            "ldr    r12, [r0, #24]\n\t"
            "cmp    r3, r12\n\t"
            "bne    2b\n\t"
            "add    sp, sp, #16\n\t"
            "pop    {r4-r11, pc}\n\t");
}

/* Runs the 4- or 6-pixel assembly GEMM over the channel runs [run[2i], run[2i + 1]) of the
 * block: the channels that are not constant. */
static void dsg_mm_runs(const dsg_mm_in *x, int32_t np, const int8_t *w, const dsg_rqf *f,
                        const int32_t *run, int32_t n_runs, int32_t n_out)
{
    dsg_mm4_job j;
    int32_t r;
    j.xb = x->xb;
    j.n_out = n_out;
    j.n4 = x->k >> 2;
    for (r = 0; r < n_runs; ++r) {
        const int32_t a = run[2 * r];
        j.w = w + a * x->k;
        j.f = f + a;
        j.y = x->y[0] + a;
        j.end = f + run[2 * r + 1];
        if (np == 6)
            dsg_mm6_sat_asm(&j);
        else
            dsg_mm4_sat_asm(&j);
    }
}
#else
#define DSG_MM4_ASM 0
#define dsg_mm_runs(x, np, w, f, run, n_runs, n_out) ((void)(run), (void)(n_runs))
#endif

DSG_NOINLINE static void dsg_mm4_ch2_sat(const dsg_mm_in *x, const int8_t *w, const dsg_rqf *f,
                                         int32_t nch)
{
    dsg_mm4_ch2(x, w, f, nch, 1);
}

DSG_NOINLINE static void dsg_mm4_ch2_clamp(const dsg_mm_in *x, const int8_t *w,
                                           const dsg_rqf *f, int32_t nch)
{
    dsg_mm4_ch2(x, w, f, nch, 0);
}

/* Convolution with groups 1 as a GEMM: out[pixel][c] = im2col(pixel) . w[c], weights in their
 * contract layout [C_out][kh][kw][C_in] (each row is one k-vector).  A 1x1 conv without padding
 * reads its pixels in place; other convs gather them, so a C_in = 1 first layer becomes
 * k = kh*kw dot products instead of kh*kw dot products of length 1.  Blocks of 4 pixels (the
 * last block repeats its last pixel, writing the same values twice).  Needs k <= DSG_KMAX and
 * the fast output stage on every channel; returns 0 (nothing written) otherwise. */
/* A channel with an all-zero weight row outputs a constant, clamp(z_out + RQ(bias)), whatever
 * the input.  QDQ exports give pruned channels such rows with a saturated bias and a scale far
 * below the fast output stage's range; the GEMM writes their constant instead of computing
 * them, so they do not send the whole layer to the slow path. */
static int32_t dsg_zero_row(const int8_t *w, int32_t k)
{
    int32_t i;
    for (i = 0; i < k; ++i)
        if (w[i]) return 0;
    return 1;
}

/* Channel c in the doubled fast stage (dsg_rq2): fast multiplier, and a bias within the bound
 * (a dead channel, q = 0, outputs z_out whatever its accumulator). */
static int32_t dsg_fast2(const dsg_conv_params *p, int32_t c, int32_t lim)
{
    const int32_t b = p->bias ? p->bias[c] : 0;
    return dsg_rqf_ok(p->mult[c], p->shift[c], p->z_out) &&
           (p->mult[c] == 0 || (b <= lim && b >= -lim));
}

/* 1 when the GEMM takes the layer: every channel is fast, or constant (dsg_zero_row); *dbl
 * tells whether the non-constant ones all take the doubled stage, *cst whether any is not
 * fast2 (then the blocks classify their channels). */
static int32_t dsg_gemm_ok(const dsg_conv_params *p, int32_t k, int32_t lim, int32_t *dbl,
                           int32_t *cst)
{
    int32_t c;
    *dbl = k <= 16384;
    *cst = 0;
    if (p->mult_neg) { /* LeakyReLU: the contract's output stage (dsg_outp), undoubled */
        *dbl = 0;
        return 1;
    }
    for (c = 0; c < p->out_c; ++c) {
        if (dsg_fast2(p, c, lim)) continue;
        *cst = 1;
        if (dsg_zero_row(p->weights + c * k, k)) continue;
        if (!dsg_rqf_ok(p->mult[c], p->shift[c], p->z_out)) return 0;
        *dbl = 0; /* fast, but its bias may overflow the doubled stage */
    }
    return 1;
}

static int32_t dsg_gemm_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p)
{
    /* a grouped conv is one GEMM per group: its input channel slice, its output channels */
    const int32_t cin_g = p->in_c / p->groups, n_out = p->out_c / p->groups;
    const int32_t k = p->kernel_h * p->kernel_w * cin_g, n_pix = p->out_h * p->out_w;
    /* a 1x1 conv whose every output pixel reads an input pixel (no padding on any side) */
    int32_t in_place = p->kernel_h == 1 && p->kernel_w == 1 && !p->pad_top &&
                             !p->pad_left && (p->out_h - 1) * p->stride_h < p->in_h &&
                             (p->out_w - 1) * p->stride_w < p->in_w;
    const int32_t nz = dsg_u2i(((uint32_t)(-p->z_in) & 0xFFFFu) * 0x10001u);
    const uint32_t zz = ((uint32_t)p->z_in & 0xFFu) * 0x01010101u;
    /* k rounded up to whole groups of 4: a k % 4 tail (an RGB first layer's 27) is padded with
     * zero weights and z_in inputs, which the assembly then runs like any other group */
    const int32_t kp = (k + 3) & ~3;
    int32_t xb[3 * DSG_KMAX];
    int8_t raw[6][DSG_KMAX];
    int8_t wpad[DSG_WPAD];
    const int32_t lim = ((int32_t)1 << 29) - 1 - 32640 * (k < 16384 ? k : 16384);
    dsg_rqf f[DSG_CBLK];
    int8_t cst[DSG_CBLK], cval[DSG_CBLK]; /* constant channels of the block, their output */
    int32_t run[DSG_CBLK + 2];               /* [start, end) of the other channels' runs */
    dsg_mm_in x;
    int32_t g, c0, c, i, j, np, cblk = DSG_CBLK, pad = 0, n_cst, n_runs;
    int32_t dbl, sat8, use_asm, any_cst;
    if (kp > DSG_KMAX || !dsg_gemm_ok(p, k, lim, &dbl, &any_cst)) return 0;
    sat8 = p->act_min == -128 && p->act_max == 127;
    use_asm = DSG_MM4_ASM && dbl && sat8;
    if (use_asm && kp != k) {
        pad = 1;
        in_place = 0;
        cblk = DSG_WPAD / kp < DSG_CBLK ? DSG_WPAD / kp : DSG_CBLK;
    }
    x.xb = xb;
    x.k = pad ? kp : k;
    x.z = p->z_in;
    x.lo = p->act_min;
    x.hi = p->act_max;
    for (g = 0; g < p->groups; ++g) {
        for (c0 = 0; c0 < n_out; c0 += cblk) {
            const int32_t nc = n_out - c0 < cblk ? n_out - c0 : cblk, cg0 = g * n_out + c0;
            const int8_t *w0 = pad ? wpad : p->weights + cg0 * k;
            for (i = n_cst = 0; i < nc; ++i) {
                const int32_t c = cg0 + i, b = p->bias ? p->bias[c] : 0;
                cst[i] = any_cst && !(dbl ? dsg_fast2(p, c, lim)
                                          : dsg_rqf_ok(p->mult[c], p->shift[c], p->z_out));
                if (p->mult_neg) { /* LeakyReLU: dsg_mm4_channels reads p, not f */
                    f[i] = dsg_rqf_make(0, 0, -1, p->z_out);
                } else if (cst[i]) { /* a zero row (dsg_gemm_ok): any stage, overwritten */
                    cval[i] = (int8_t)dsg_rq_channel(b, c, p);
                    f[i] = dsg_rqf_make(0, 0, -1, p->z_out);
                    ++n_cst;
                } else {
                    f[i] = dsg_rqf_make(dsg_u2i((uint32_t)b << dbl), p->mult[c], p->shift[c],
                                        p->z_out);
                }
                if (pad) {
                    dsg_put_s8(wpad + i * kp, p->weights + (cg0 + i) * k, k, 0);
                    dsg_put_s8(wpad + i * kp + k, 0, kp - k, 0);
                }
            }
            for (i = n_runs = 0; i < nc; ++i)
                if (!cst[i] && (i == 0 || cst[i - 1])) run[2 * n_runs] = i;
                else if (cst[i] && i > 0 && !cst[i - 1]) run[2 * n_runs++ + 1] = i;
            if (nc > 0 && !cst[nc - 1]) run[2 * n_runs++ + 1] = nc;
            for (i = 0; i < n_pix; i += np) {
                np = use_asm && n_pix - i >= 6 ? 6 : 4; /* blocks of 6 pixels, then of 4 */
                for (j = 0; j < np; ++j) {
                    const int32_t px = i + j < n_pix ? i + j : n_pix - 1;
                    if (in_place) {
                        x.v[j] = in + ((px / p->out_w) * p->stride_h * p->in_w +
                                       (px % p->out_w) * p->stride_w) * p->in_c + g * cin_g;
                    } else {
                        dsg_gather_s8(in + g * cin_g, p, px, raw[j], cin_g);
                        if (pad) dsg_put_s8(raw[j] + k, 0, kp - k, zz);
                        x.v[j] = raw[j];
                    }
                    x.y[j] = out + px * p->out_c + cg0;
                }
                if (!dbl) {
                    dsg_expand4(x.v, x.k >> 2, nz, xb);
                    dsg_mm4_channels(&x, w0, f, nc, p->mult_neg ? p : 0, cg0);
                } else {
                    dsg_expandx2(x.v, np, x.k >> 2, nz, xb);
                    if (use_asm && i + np <= n_pix)
                        dsg_mm_runs(&x, np, w0, f, run, n_runs, p->out_c);
                    else if (sat8)
                        dsg_mm4_ch2_sat(&x, w0, f, nc);
                    else
                        dsg_mm4_ch2_clamp(&x, w0, f, nc);
                }
                if (n_cst)
                    for (j = 0; j < np; ++j)
                        for (c = 0; c < nc; ++c)
                            if (cst[c]) x.y[j][c] = cval[c];
            }
        }
    }
    return 1;
}
#endif

void dsg_conv_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p)
{
#if DSG_USE_DSP
    if (dsg_gemm_s8(in, out, p)) return;
#endif
#if DSG_PORTABLE_GEMM
    if (dsg_pgemm_s8(in, out, p)) return;
#endif
    dsg_conv_direct_s8(in, out, p);
}

void dsg_conv_s16(const int16_t *in, int16_t *out, const dsg_conv_params *p)
{
    dsg_conv_direct_s16(in, out, p);
}

void dsg_dense_s8(const int8_t *in, int8_t *out, const dsg_dense_params *p)
{
    const int32_t n = p->in_n;
    int32_t o;
    for (o = 0; o < p->out_n; o += 2) {
        const int32_t two = o + 1 < p->out_n;
        const int8_t *w0 = p->weights + o * n, *w1 = two ? w0 + n : w0;
        int32_t acc[2];
        acc[0] = p->bias ? p->bias[o] : 0;
        acc[1] = two && p->bias ? p->bias[o + 1] : 0;
        dsg_dot_off1x2_s8(in, w0, w1, n, p->z_in, acc);
        out[o] = (int8_t)dsg_rq(acc[0], o, p->mult, p->shift, p->mult_neg, p->shift_neg,
                                p->z_out, p->act_min, p->act_max);
        if (two)
            out[o + 1] = (int8_t)dsg_rq(acc[1], o + 1, p->mult, p->shift, p->mult_neg,
                                        p->shift_neg, p->z_out, p->act_min, p->act_max);
    }
}

void dsg_dense_s16(const int16_t *in, int16_t *out, const dsg_dense_params *p)
{
    int32_t o;
    for (o = 0; o < p->out_n; ++o) {
        const int32_t acc = (p->bias ? p->bias[o] : 0) +
                            dsg_dot_off_s16(in, p->weights + o * p->in_n, p->in_n, p->z_in);
        out[o] = (int16_t)dsg_rq(acc, o, p->mult, p->shift, p->mult_neg, p->shift_neg, p->z_out,
                                 p->act_min, p->act_max);
    }
}

void dsg_grouped_conv_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p)
{
    dsg_conv_s8(in, out, p);
}
