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
