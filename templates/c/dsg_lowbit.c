/*
 * dsg_lowbit.c -- the kernels of dsg_lowbit.h: convolutions with packed 1-, 2- and 4-bit weights.
 */
#include "dsg_kernels.h"

#ifndef DSG_LB_KMAX
#define DSG_LB_KMAX 1024 /* weights per output channel unpacked into a stack buffer */
#endif

/* Stored value of weight i (see dsg_lowbit.h for the layout). */
static int32_t dsg_lb_get(const uint8_t *w, int32_t bits, int32_t i)
{
    const int32_t bit = i * bits;
    const uint32_t v = ((uint32_t)w[bit >> 3] >> (bit & 7)) & ((1u << bits) - 1u);
    if (bits == 1) return v ? 1 : -1;
    return v >= (1u << (bits - 1)) ? (int32_t)v - (1 << bits) : (int32_t)v;
}

/* bias + s * 2^wshift, then the contract's RQ and clamp (LeakyReLU's m_neg where acc < 0). */
static int32_t dsg_lb_out(int32_t s, int32_t c, const dsg_lowbit_conv_params *lp)
{
    const dsg_conv_params *p = &lp->conv;
    /* the unsigned shift is the exact product s * 2^wshift: the result fits int32 (proven) */
    const int32_t acc = (p->bias ? p->bias[c] : 0) + (int32_t)((uint32_t)s << lp->wshift);
    const int32_t neg = p->mult_neg != 0 && acc < 0;
    const int32_t r = neg ? dsg_requantize(acc, p->mult_neg[c], p->shift_neg[c])
                          : dsg_requantize(acc, p->mult[c], p->shift[c]);
    return dsg_clamp_out(r, p->z_out, p->act_min, p->act_max);
}

/* The kernels, once per activation type (as the other families do with their dsg_<family>_typed.inc). */
#define DSG_LB_FN2(name, sfx) name##_##sfx
#define DSG_LB_FN1(name, sfx) DSG_LB_FN2(name, sfx)
#define DSG_LB_FN(name) DSG_LB_FN1(name, DSG_LB_SFX)

#define DSG_LB_T int8_t
#define DSG_LB_SFX s8
#include "dsg_lowbit_typed.inc"
#undef DSG_LB_T
#undef DSG_LB_SFX

#define DSG_LB_T int16_t
#define DSG_LB_SFX s16
#include "dsg_lowbit_typed.inc"
#undef DSG_LB_T
#undef DSG_LB_SFX
