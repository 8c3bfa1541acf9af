/*
 * dsg_nonlinear.c -- the MobileNetV3 / EfficientNet / ShuffleNetV2 kernels: table activations
 * (HardSwish, HardSigmoid, Sigmoid, SiLU, Tanh as one 256-entry table; on int16 a 513-entry table
 * interpolated), squeeze-and-excitation's run-time channel scale and the channel slice of
 * Split / Slice.  s8 and s16.
 */
#include <string.h>

#include "dsg_support.h"

/* y = T[x + 128], four elements per iteration: one word load, one byte load from the table per
 * element, one word store.  Flipping the sign bits turns each int8 x into the unsigned index
 * x + 128 of its byte, so no conversion of an out-of-range value is needed; every byte keeps its
 * position in the word, so the result is the same on either byte order.  Element-wise: `out`
 * may be `in`. */
void dsg_lut_s8(const int8_t *in, int8_t *out, int32_t n, const dsg_lut_params *p)
{
    const uint8_t *t = (const uint8_t *)(const void *)p->table;
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        uint32_t v, y;
        memcpy(&v, in + i, 4);
        v ^= 0x80808080u;
        y = (uint32_t)t[v & 0xFFu] | ((uint32_t)t[(v >> 8) & 0xFFu] << 8) |
            ((uint32_t)t[(v >> 16) & 0xFFu] << 16) | ((uint32_t)t[v >> 24] << 24);
        memcpy(out + i, &y, 4);
    }
    for (; i < n; ++i) out[i] = p->table[(int32_t)in[i] + 128];
}

/* The contract's expression, on the table's middle: t = table + 256 and x >> 7 (arithmetic) give
 * t[(x >> 7)] = table[(x + 32768) >> 7], and x & 127 = (x + 32768) & 127, which saves an add.
 * |T[i+1] - T[i]| < 2^17 and f <= 127, so the product stays under 2^24.  sat16 (a compile-time
 * constant at each call) clamps to [-32768, 32767] (one SSAT on DSP cores). */
DSG_INLINE void dsg_lut_interp_run(const int16_t *in, int16_t *out, int32_t n, const int32_t *t,
                                   int32_t lo, int32_t hi, int sat16)
{
    int32_t i;
    for (i = 0; i < n; ++i) {
        const int32_t x = in[i];
        const int32_t *e = t + (x >> 7);
        const int32_t t0 = e[0];
        int32_t y = t0 + (((e[1] - t0) * (x & 127) + 64) >> 7);
#if defined(__ARM_FEATURE_DSP) && !defined(DSG_NO_DSP)
        if (sat16)
            y = __ssat(y, 16);
#else
        if (sat16)
            y = y < -32768 ? -32768 : y > 32767 ? 32767 : y;
#endif
        else
            y = y < lo ? lo : y > hi ? hi : y;
        out[i] = (int16_t)y;
    }
}

/* Element-wise: each x is read before its y is written, so `out` may be `in`. */
void dsg_lut_interp_s16(const int16_t *in, int16_t *out, int32_t n,
                        const dsg_lut_interp_params *p)
{
    const int32_t *mid = p->table + 256;
    if (p->act_min == -32768 && p->act_max == 32767)
        dsg_lut_interp_run(in, out, n, mid, -32768, 32767, 1);
    else
        dsg_lut_interp_run(in, out, n, mid, p->act_min, p->act_max, 0);
}

#if DSG_USE_DSP
/* One channel of the s8 channel scale on the doubled product a2 = 2 (x - z_x)(s - z_s) =
 * x * s2 + b2 (one MLA), with the four-instruction output stage dsg_rq2 (exact for
 * |a2| < 2^29; here |a2| <= 2 * 255^2).  The channel's factors stay in registers while the loop
 * walks its pixels, C bytes apart: 10 instructions per element with the [-128, 127] clamp. */
DSG_INLINE void dsg_cs_channel_s8(const int8_t *x, int8_t *y, int32_t end, int32_t stride,
                                  int32_t s2, int32_t b2, int32_t mult, int32_t hz, int32_t r,
                                  int32_t sat8, int32_t lo, int32_t hi)
{
    int32_t o;
    for (o = 0; o < end; o += stride)
        y[o] = (int8_t)dsg_sat(dsg_rq2(x[o] * s2 + b2, mult, hz, r), sat8, lo, hi);
}

static void dsg_channel_scale_fast_s8(const int8_t *x, const int8_t *s, int8_t *out,
                                      const dsg_channel_scale_params *p)
{
    const dsg_rqf f = dsg_rqf_make(0, p->mult, p->shift, p->z_out);
    const int32_t cn = p->c, end = p->pixels * p->c, z_x = p->z_x, z_s = p->z_s;
    const int32_t lo = p->act_min, hi = p->act_max;
    int32_t c;
    for (c = 0; c < cn; ++c) {
        const int32_t s2 = 2 * ((int32_t)s[c] - z_s), b2 = -z_x * s2;
        if (lo == -128 && hi == 127)
            dsg_cs_channel_s8(x + c, out + c, end - c, cn, s2, b2, f.mult, f.hz, f.r, 1, lo, hi);
        else
            dsg_cs_channel_s8(x + c, out + c, end - c, cn, s2, b2, f.mult, f.hz, f.r, 0, lo, hi);
    }
}
#endif

/* Channel-outer so that (s[c] - z_s) is computed once per channel and no scratch is needed;
 * each element is read before the same element is written, so `out` may be `x`. */
void dsg_channel_scale_s8(const int8_t *x, const int8_t *s, int8_t *out,
                          const dsg_channel_scale_params *p)
{
    const dsg_rqp rq = dsg_rqp_make(p->mult, p->shift); /* a contract multiplier */
    const int32_t cn = p->c, end = p->pixels * p->c, z_x = p->z_x, z_s = p->z_s;
    const int32_t z_out = p->z_out, lo = p->act_min, hi = p->act_max;
    int32_t c, o;
#if DSG_USE_DSP
    if (dsg_rqf_ok(p->mult, p->shift, p->z_out)) {
        dsg_channel_scale_fast_s8(x, s, out, p);
        return;
    }
#endif
    for (c = 0; c < cn; ++c) {
        const int32_t sc = (int32_t)s[c] - z_s;
        for (o = c; o < end; o += cn)
            out[o] = (int8_t)dsg_clamp_out(dsg_rqp_apply(&rq, ((int32_t)x[o] - z_x) * sc), z_out,
                                           lo, hi);
    }
}

/* 16x8: the product (x - z_x)(s - z_s) fits int32 (the compiler proves it, docs/fixed_point.md);
 * the contract's requantization as written. */
void dsg_channel_scale_s16(const int16_t *x, const int16_t *s, int16_t *out,
                           const dsg_channel_scale_params *p)
{
    const int32_t cn = p->c, end = p->pixels * p->c, z_x = p->z_x, z_s = p->z_s;
    const int32_t mult = p->mult, shift = p->shift, z_out = p->z_out;
    const int32_t lo = p->act_min, hi = p->act_max;
    int32_t c, o;
    for (c = 0; c < cn; ++c) {
        const int32_t sc = (int32_t)s[c] - z_s;
        for (o = c; o < end; o += cn)
            out[o] = (int16_t)dsg_clamp_out(
                dsg_requantize(((int32_t)x[o] - z_x) * sc, mult, shift), z_out, lo, hi);
    }
}

/* One contiguous run of stop - start channels per pixel. */
void dsg_channel_slice_s8(const int8_t *in, int8_t *out, const dsg_channel_slice_params *p)
{
    const int32_t n = p->stop - p->start;
    int32_t i;
    for (i = 0; i < p->pixels; ++i) memcpy(out + i * n, in + i * p->in_c + p->start, (size_t)n);
}

void dsg_channel_slice_s16(const int16_t *in, int16_t *out, const dsg_channel_slice_params *p)
{
    const int32_t n = p->stop - p->start;
    int32_t i;
    for (i = 0; i < p->pixels; ++i)
        memcpy(out + i * n, in + i * p->in_c + p->start, (size_t)n * sizeof(int16_t));
}
