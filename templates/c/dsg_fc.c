/*
 * dsg_fc.c -- fully connected (dense) layers, s8 and s16.
 */
#include "dsg_support.h"

void dsg_dense_s8(const int8_t *in, int8_t *out, const dsg_dense_params *p)
{
    const int32_t n = p->in_n;
    int32_t o;
#if DSG_USE_DSP
    dsg_mv_s8(in, out, p); /* four rows per unpacked input word */
    return;
#endif
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
