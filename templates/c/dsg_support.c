/*
 * dsg_support.c -- the kernel library's shared helpers that run once per layer or
 * channel, not per MAC (see dsg_support.h).
 */
#include "dsg_support.h"

/* bias[c] - z * sum(w[c]) modulo 2^32: the zero-point term of a raw dot product. */
uint32_t dsg_raw_base(const int32_t *bias, int32_t c, const int8_t *w, int32_t n, int32_t z)
{
    uint32_t s = 0;
    int32_t i;
    for (i = 0; i < n; ++i) s += (uint32_t)(int32_t)w[i];
    return (bias ? (uint32_t)bias[c] : 0u) - s * (uint32_t)z;
}

#if DSG_USE_DSP || DSG_PORTABLE_GEMM
int32_t dsg_rqf_all_ok(const dsg_conv_params *p)
{
    int32_t c;
    if (p->mult_neg) return 0;
    for (c = 0; c < p->out_c; ++c)
        if (!dsg_rqf_ok(p->mult[c], p->shift[c], p->z_out)) return 0;
    return 1;
}
#endif

#if DSG_USE_DSP
/* Four dense rows w, w + k, w + 2k, w + 3k against x - z: s[r] += sum w_r[i] * (x[i] - z).  Each
 * input word is unpacked once (SXTB16, SADD16) and feeds 8 SMLADs, 16 MACs: 4 weight loads, 8
 * SXTB16 and 8 SMLAD per 16 MACs.  The sums wrap modulo 2^32 like the GEMM's (the final one fits
 * int32, so it is exact). */
static void dsg_dot_off4_s8(const int8_t *x, const int8_t *w, int32_t k, int32_t z, uint32_t s[4])
{
    const int32_t nz = dsg_u2i(((uint32_t)(-z) & 0xFFFFu) * 0x10001u); /* (-z, -z) lanes */
    const int8_t *w1 = w + k, *w2 = w1 + k, *w3 = w2 + k;
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, i;
    for (i = 0; i + 4 <= k; i += 4) {
        const uint32_t xv = dsg_read4(x + i);
        const int32_t x02 = dsg_sadd16(dsg_sxtb16(xv), nz), x13 = dsg_sadd16(dsg_sxtb16_ror8(xv), nz);
        uint32_t v = dsg_read4(w + i);
        s0 = dsg_smlad(x13, dsg_sxtb16_ror8(v), dsg_smlad(x02, dsg_sxtb16(v), s0));
        v = dsg_read4(w1 + i);
        s1 = dsg_smlad(x13, dsg_sxtb16_ror8(v), dsg_smlad(x02, dsg_sxtb16(v), s1));
        v = dsg_read4(w2 + i);
        s2 = dsg_smlad(x13, dsg_sxtb16_ror8(v), dsg_smlad(x02, dsg_sxtb16(v), s2));
        v = dsg_read4(w3 + i);
        s3 = dsg_smlad(x13, dsg_sxtb16_ror8(v), dsg_smlad(x02, dsg_sxtb16(v), s3));
    }
    for (; i < k; ++i) {
        const int32_t xi = (int32_t)x[i] - z;
        s0 += w[i] * xi;
        s1 += w1[i] * xi;
        s2 += w2[i] * xi;
        s3 += w3[i] * xi;
    }
    s[0] += (uint32_t)s0;
    s[1] += (uint32_t)s1;
    s[2] += (uint32_t)s2;
    s[3] += (uint32_t)s3;
}

/* channel c's output from its sum: the fast stage where the channel allows it */
static int8_t dsg_mv_out(int32_t acc, int32_t c, const dsg_dense_params *p)
{
    if (!p->mult_neg && dsg_rqf_ok(p->mult[c], p->shift[c], p->z_out)) {
        const dsg_rqf f = dsg_rqf_make(0, p->mult[c], p->shift[c], p->z_out);
        return (int8_t)dsg_clamp(dsg_rqf_apply(&f, acc), p->act_min, p->act_max);
    }
    return (int8_t)dsg_rq(acc, c, p->mult, p->shift, p->mult_neg, p->shift_neg, p->z_out,
                          p->act_min, p->act_max);
}

void dsg_mv_s8(const int8_t *x, int8_t *y, const dsg_dense_params *p)
{
    const int32_t k = p->in_n, n = p->out_n;
    int32_t o, r;
    for (o = 0; o < n; o += 4) {
        const int32_t m = n - o < 4 ? n - o : 4; /* rows in this pass */
        const int8_t *w = p->weights + o * k;
        uint32_t s[4];
        for (r = 0; r < m; ++r) s[r] = p->bias ? (uint32_t)p->bias[o + r] : 0u;
        if (m == 4) {
            dsg_dot_off4_s8(x, w, k, p->z_in, s);
        } else if (m >= 2) { /* a tail of 2 or 3 rows: pairs, then one */
            int32_t acc[2] = {0, 0};
            dsg_dot_off1x2_s8(x, w, w + k, k, p->z_in, acc);
            s[0] += (uint32_t)acc[0];
            s[1] += (uint32_t)acc[1];
            if (m == 3) s[2] += (uint32_t)dsg_dot_off_s8(x, w + 2 * k, k, p->z_in);
        } else {
            s[0] += (uint32_t)dsg_dot_off_s8(x, w, k, p->z_in);
        }
        for (r = 0; r < m; ++r) y[o + r] = dsg_mv_out(dsg_u2i(s[r]), o + r, p);
    }
}
#endif

/* The same output stage on a doubled accumulator a2 = 2*acc, in four instructions (ADD, SMMLAR,
 * ASR, and the clamp's SSAT).  SMMLAR computes floor((m*2^32 + a2*q + 2^31) / 2^32), which is
 * floor((p + 2^30 + 2^31*m) / 2^31) with p = acc*q, so an arithmetic shift by R gives the
 * floor of dsg_rqf_apply (nested floors merge); m = hz - [acc < 0] as there.  Exact when
 * |acc| < 2^29: then |p / 2^31| < 2^29 and |m| < 2^30, so the quotient fits SMMLAR's 32-bit
 * result.  The kernels double the accumulator for free (doubled inputs, doubled bias; 2*(x - z)
 * still fits an int16 lane) and take this stage when every channel satisfies
 * |bias| + 255*128*taps < 2^29 (dsg_acc2_ok), which bounds |acc|. */
int32_t dsg_acc2_ok(const dsg_conv_params *p, int32_t taps)
{
    const int32_t lim = ((int32_t)1 << 29) - 1 - 32640 * taps;
    int32_t c;
    if (taps > 16384) return 0;
    if (p->bias) /* a dead channel (q = 0) outputs z_out whatever its accumulator */
        for (c = 0; c < p->out_c; ++c)
            if (p->mult[c] != 0 && (p->bias[c] > lim || p->bias[c] < -lim)) return 0;
    return 1;
}

#if DSG_PORTABLE_GEMM
void dsg_pstage_set(dsg_pstage *st, const dsg_conv_params *p, int32_t fast, int32_t i,
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

void dsg_prq(const int32_t *raw, const dsg_pstage *st, int32_t fast, int32_t c0,
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
#endif
