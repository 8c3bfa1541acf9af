/*
 * dsg_elementwise.c -- element-wise and data-movement kernels: add, standalone activations
 * (clamp, LeakyReLU), channel concat and channel shuffle, s8 and s16.
 */
#include "dsg_support.h"

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

#define DSG_T int8_t
#define DSG_SFX s8
#define DSG_ADD_LUT 1
#include "dsg_elementwise_typed.inc"
#undef DSG_ADD_LUT
#undef DSG_T
#undef DSG_SFX

#define DSG_T int16_t
#define DSG_SFX s16
#include "dsg_elementwise_typed.inc"
#undef DSG_T
#undef DSG_SFX
