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
static inline int32_t dsg_smlad(int32_t a, int32_t b, int32_t acc)
{
    const uint32_t s = (uint32_t)acc + (uint32_t)(dsg_lo(a) * dsg_lo(b)) +
                       (uint32_t)(dsg_hi(a) * dsg_hi(b));
    return s <= 0x7FFFFFFFu ? (int32_t)s : (int32_t)(s - 0x80000000u) + INT32_MIN;
}
static inline int32_t dsg_sadd16(int32_t a, int32_t b)
{
    return dsg_pack(dsg_lo(a) + dsg_lo(b), dsg_hi(a) + dsg_hi(b));
}
#else
#define DSG_USE_DSP 0
#endif

#if DSG_USE_DSP
#include <string.h> /* memcpy: the portable unaligned 32-bit load, one LDR on Cortex-M4 */
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

#define DSG_T int8_t
#define DSG_SFX s8
#include "dsg_kernels_typed.inc"
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
    if (p->kernel_h != 1 || p->kernel_w != 1 || p->groups != 1 || p->pad_top || p->pad_left)
        return DSG_ERR_ARG;
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

/* 3x3 depthwise, multiplier 1: interior pixels take the 9 taps unrolled with channels innermost
 * (contiguous loads and stores); border pixels go through the bounds-checked generic pixel. */
int32_t dsg_depthwise_conv_3x3_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p)
{
    const int32_t ch = p->in_c, row = p->in_w * p->in_c, z = p->z_in;
    int32_t oy, ox, c;
    if (p->kernel_h != 3 || p->kernel_w != 3 || p->out_c != ch || p->groups != ch ||
        p->dilation_h != 1 || p->dilation_w != 1)
        return DSG_ERR_ARG;
    for (oy = 0; oy < p->out_h; ++oy) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        for (ox = 0; ox < p->out_w; ++ox) {
            const int32_t ix0 = ox * p->stride_w - p->pad_left;
            int8_t *y = out + (oy * p->out_w + ox) * ch;
            const int8_t *r0, *r1, *r2;
            if (iy0 < 0 || iy0 + 3 > p->in_h || ix0 < 0 || ix0 + 3 > p->in_w) {
                dsg_dw_pixel_s8(in, y, p, iy0, ix0);
                continue;
            }
            r0 = in + iy0 * row + ix0 * ch;
            r1 = r0 + row;
            r2 = r1 + row;
            if (p->stride_w == 1 && ox + 1 < p->out_w && ix0 + 4 <= p->in_w) {
                /* Two neighbours at once: the 9 weights and 3 of 4 input columns serve both. */
                for (c = 0; c < ch; ++c) {
                    const int8_t *w = p->weights + 9 * c;
                    const int32_t b = p->bias ? p->bias[c] : 0;
                    const int32_t a0 = r0[c] - z, a1 = r0[c + ch] - z, a2 = r0[c + 2 * ch] - z,
                                  a3 = r0[c + 3 * ch] - z;
                    const int32_t b0 = r1[c] - z, b1 = r1[c + ch] - z, b2 = r1[c + 2 * ch] - z,
                                  b3 = r1[c + 3 * ch] - z;
                    const int32_t c0 = r2[c] - z, c1 = r2[c + ch] - z, c2 = r2[c + 2 * ch] - z,
                                  c3 = r2[c + 3 * ch] - z;
                    const int32_t acc0 = b + (w[0] * a0 + w[1] * a1 + w[2] * a2) +
                                         (w[3] * b0 + w[4] * b1 + w[5] * b2) +
                                         (w[6] * c0 + w[7] * c1 + w[8] * c2);
                    const int32_t acc1 = b + (w[0] * a1 + w[1] * a2 + w[2] * a3) +
                                         (w[3] * b1 + w[4] * b2 + w[5] * b3) +
                                         (w[6] * c1 + w[7] * c2 + w[8] * c3);
                    y[c] = (int8_t)dsg_rq_channel(acc0, c, p);
                    y[c + ch] = (int8_t)dsg_rq_channel(acc1, c, p);
                }
                ++ox;
                continue;
            }
            for (c = 0; c < ch; ++c) {
                const int8_t *w = p->weights + 9 * c;
                int32_t acc = p->bias ? p->bias[c] : 0;
                acc += w[0] * (r0[c] - z) + w[1] * (r0[c + ch] - z) + w[2] * (r0[c + 2 * ch] - z);
                acc += w[3] * (r1[c] - z) + w[4] * (r1[c + ch] - z) + w[5] * (r1[c + 2 * ch] - z);
                acc += w[6] * (r2[c] - z) + w[7] * (r2[c + ch] - z) + w[8] * (r2[c + 2 * ch] - z);
                y[c] = (int8_t)dsg_rq_channel(acc, c, p);
            }
        }
    }
    return DSG_OK;
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
