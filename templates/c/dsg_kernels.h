/*
 * dsg_kernels.h -- dsgen's integer kernel library (C99, no malloc, no stdio, no float, no globals).
 *
 * Every kernel reproduces docs/fixed_point.md bit for bit (the Python reference is
 * dsgen/quant/ops.py).  Activations are NHWC without batch dimension; weights are
 * [C_out][kh][kw][C_in/groups] (dense: [out][in]); biases int32 (NULL = zero).
 * "_s8" kernels take int8 activations, "_s16" kernels int16 activations with int8 weights
 * (16x8 mode, z_in = z_out = 0, int32 accumulators as the contract says).
 *
 * On a core with __ARM_FEATURE_DSP (Cortex-M4/M7/M33...) the s8 dot products use the dual
 * 16-bit MAC (SMLAD); elsewhere a portable C path computes the same integers.  On DSP cores
 * dsg_conv_s8 (groups 1) and dsg_pointwise_conv_s8 run an im2col GEMM that needs
 * 18*DSG_KMAX + DSG_WPAD + ~1.5 KB of stack (DSG_KMAX = 256 by default; longer dot products
 * take the direct kernels).  Scratch sizes come from dsg_config.h: the library defaults, or a
 * generated tree's copy sized to its model's layers.  Convs, depthwise 3x3 and pointwise take a 5-instruction
 * requantization when every channel has -23 <= shift <= -1 and no LeakyReLU (the common case),
 * and a 4-instruction one (SMMLAR on a doubled accumulator, SSAT for a [-128, 127] clamp) when
 * moreover every |bias| + 255*128*taps < 2^29, which bounds |acc| below 2^29.
 */
#ifndef DSG_KERNELS_H
#define DSG_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The requantization relies on '>>' of a negative integer being an arithmetic shift.  C99 leaves
 * that implementation-defined; every compiler dsgen targets (GCC, Clang, arm-none-eabi, MSVC,
 * Vitis HLS) documents it as arithmetic.  This typedef fails to compile where it is not. */
typedef char dsg_assert_arithmetic_shift[((-1 >> 1) == -1 && ((int64_t)-1 >> 1) == -1) ? 1 : -1];

/* --------------------------------------------------------------------- parameter structs */

/* Convolution of every kind: dense, pointwise (1x1), depthwise (groups == in_c, depth multiplier
 * out_c / in_c), grouped.  Output channel c reads group c / (out_c / groups).  The bottom/right
 * padding is implied by out_h/out_w: positions outside the input contribute 0. */
typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_top, pad_left;
    int32_t groups;
    int32_t z_in, z_out;        /* zero points (0 in 16x8 mode) */
    int32_t act_min, act_max;   /* output clamp: type range intersected with the fused activation */
    const int32_t *mult;        /* [out_c] requantization multiplier q (Q31, in [2^30, 2^31)) */
    const int32_t *shift;       /* [out_c] its exponent: m = q * 2^(shift - 31) */
    const int32_t *mult_neg;    /* [out_c] LeakyReLU multiplier for acc < 0, or NULL */
    const int32_t *shift_neg;
    const int8_t *weights;      /* [out_c][kernel_h][kernel_w][in_c / groups] */
    const int32_t *bias;        /* [out_c] or NULL */
} dsg_conv_params;

typedef struct {
    int32_t in_n, out_n;
    int32_t z_in, z_out;
    int32_t act_min, act_max;
    const int32_t *mult, *shift;          /* [out_n] */
    const int32_t *mult_neg, *shift_neg;  /* [out_n] or NULL */
    const int8_t *weights;                /* [out_n][in_n] */
    const int32_t *bias;                  /* [out_n] or NULL */
} dsg_dense_params;

/* Max / average pooling.  Average: without rq_mult (NULL) the input and output share scale and
 * zero point and y = rdiv(sum, n); otherwise y = z_out + RQ(sum - n*z_in, rq_mult[n], rq_shift[n]),
 * the tables indexed by the window count n (1 .. kernel_h*kernel_w), since m = s_in/(s_out*n). */
typedef struct {
    int32_t in_h, in_w, c;
    int32_t out_h, out_w;
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;
    int32_t count_include_pad;            /* average pool: padded positions count (value z_in) */
    int32_t z_in, z_out;
    int32_t act_min, act_max;
    const int32_t *rq_mult, *rq_shift;    /* [kernel_h*kernel_w + 1] or NULL */
} dsg_pool_params;

/* Global average pool: n = h*w; rq_mult == 0 selects rdiv (same scale in and out). */
typedef struct {
    int32_t h, w, c;
    int32_t z_in, z_out;
    int32_t act_min, act_max;
    int32_t rq_mult, rq_shift;
} dsg_global_pool_params;

/* TFLite's quantized add: left_shift is 20 for s8 and 15 for s16. */
typedef struct {
    int32_t z_a, z_b, z_out;
    int32_t mult_a, shift_a, mult_b, shift_b, mult_out, shift_out;
    int32_t left_shift;
    int32_t act_min, act_max;
} dsg_add_params;

/* One input of a channel concat: copied when requant == 0, else z_out + RQ(x - z_in, mult). */
typedef struct {
    const int8_t *data;
    int32_t c;
    int32_t requant;
    int32_t z_in, mult, shift;
} dsg_concat_input_s8;

typedef struct {
    const int16_t *data;
    int32_t c;
    int32_t requant;
    int32_t z_in, mult, shift;
} dsg_concat_input_s16;

/* A standalone activation (one no producer could absorb): with requant == 0 a clamp to
 * [act_min, act_max] (ReLU/ReLU6 at unchanged scale); otherwise
 * y = clamp(z_out + RQ(x - z_in, x >= z_in ? mult : mult_neg), act_min, act_max) (LeakyReLU). */
typedef struct {
    int32_t z_in, z_out;
    int32_t act_min, act_max;
    int32_t requant;
    int32_t mult, shift, mult_neg, shift_neg;
} dsg_act_params;

/* A table activation (docs/fixed_point.md, "Table activations"): y = table[x + 128], int8 in and
 * out.  The compiler builds the 256 entries (the output clamp included); the kernel only reads. */
typedef struct {
    const int8_t *table; /* [256] */
} dsg_lut_params;

/* A table activation on int16 (docs/fixed_point.md, "Table activations", 16 bits): 513 entries
 * one every 128 input codes, interpolated: with u = x + 32768, i = u >> 7, f = u & 127,
 * y = clamp(table[i] + (((table[i + 1] - table[i]) * f + 64) >> 7), act_min, act_max), the shift
 * arithmetic (floor).  The compiler builds the entries, 17-bit values (beyond the output's range
 * where the function leaves it, so that the clamp cuts the interpolated line); the kernel reads. */
typedef struct {
    const int32_t *table; /* [513], each in [-65536, 65535] */
    int32_t act_min, act_max;
} dsg_lut_interp_params;

/* Squeeze-and-excitation's run-time channel scale of a map x (pixels x c, NHWC) by a vector s (c):
 * y[px][ch] = clamp(z_out + RQ((x[px][ch] - z_x) * (s[ch] - z_s), mult, shift), act_min, act_max),
 * one (mult, shift) for the layer (m = s_x * s_s / s_out).  The product times 2^max(shift, 0)
 * fits int32 (the compiler checks). */
typedef struct {
    int32_t pixels, c;
    int32_t z_x, z_s, z_out;
    int32_t mult, shift;
    int32_t act_min, act_max;
} dsg_channel_scale_params;

/* Channels [start, stop) of an NHWC map with in_c channels: a copy (same scale and zero point). */
typedef struct {
    int32_t pixels, in_c;
    int32_t start, stop;
} dsg_channel_slice_params;

/* Kernels that accept only some geometries return DSG_ERR_ARG, writing nothing. */
#define DSG_OK 0
#define DSG_ERR_ARG (-1)

/* --------------------------------------------------------------------- requantization */

/* RQ(acc, q, shift) of docs/fixed_point.md: TFLite's MultiplyByQuantizedMultiplier.
 * SRDHM: the contract's "(p + nudge) / 2^31, truncating" equals floor((p + 2^30) / 2^31) for
 * both signs (for p < 0 both are ceil((p + 1 - 2^30) / 2^31)), so one 64-bit add and an
 * arithmetic shift replace the division (a library call on Cortex-M).  acc * 2^left must fit
 * int32, which the compiler checks; it is a multiplication because left-shifting a negative
 * value is undefined in C99. */
static inline int32_t dsg_requantize(int32_t acc, int32_t mult, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    const int32_t x = acc * ((int32_t)1 << left);
    int32_t y;
    if (x == INT32_MIN && mult == INT32_MIN) {
        y = INT32_MAX; /* the only SRDHM overflow; unreachable with q >= 0, kept for exactness */
    } else {
        y = (int32_t)(((int64_t)x * mult + ((int64_t)1 << 30)) >> 31);
    }
    {
        /* RDBPOT: rounding right shift, ties away from zero.  right <= 31, so the mask is
         * built unsigned to avoid 1 << 31 on a signed int. */
        const int32_t mask = (int32_t)(((uint32_t)1 << right) - 1u);
        const int32_t rem = y & mask;
        const int32_t thr = (mask >> 1) + (y < 0 ? 1 : 0);
        return (y >> right) + (rem > thr ? 1 : 0);
    }
}

/* clamp(z_out + r, lo, hi) without the overflow of z_out + r near INT32_MAX. */
static inline int32_t dsg_clamp_out(int32_t r, int32_t z_out, int32_t lo, int32_t hi)
{
    if (r < lo - z_out) return lo;
    if (r > hi - z_out) return hi;
    return r + z_out;
}

/* Average pooling's division: round half away from zero (C division truncates). */
static inline int32_t dsg_rounding_div(int32_t sum, int32_t n)
{
    return sum >= 0 ? (sum + n / 2) / n : (sum - n / 2) / n;
}

/* --------------------------------------------------------------------- s8 kernels */
void dsg_conv_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p);
void dsg_grouped_conv_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p);
void dsg_depthwise_conv_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p);
/* 3x3 depthwise, depth multiplier 1, dilation 1, any stride and padding; DSG_ERR_ARG otherwise.
 * Weights in the contract layout [C][3][3].  In place (in == out) at stride 1 when the output
 * has the input's size, pad_top, pad_left <= 2 and (pad_top + 1)*in_w <= DSG_DW_RING: the
 * output overwrites the input behind a line buffer; other in-place geometries: DSG_ERR_ARG. */
int32_t dsg_depthwise_conv_3x3_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p);
/* The same with weights in TFLite's depthwise layout [3][3][C]: the weight of channel c at tap
 * (ky, kx) is weights[(ky*3 + kx)*C + c] (channels contiguous per tap).  Both kernels run the
 * same code (the [C][3][3] one gathers each group's 36 weights once), so the choice is free. */
int32_t dsg_depthwise_conv_3x3_hwc_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p);
/* 1x1, any stride, no padding, groups 1; DSG_ERR_ARG otherwise.  A blocked GEMM.  In place
 * (in == out) pixel by pixel when stride 1, equal sizes, out_c <= in_c and out_c <= DSG_PW_RING (else
 * DSG_ERR_ARG); the output is laid out as out of place, out[i*out_c + c]. */
int32_t dsg_pointwise_conv_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p);
/* The same layer (1x1, stride 1, output size = input size, no padding, groups 1; DSG_ERR_ARG
 * otherwise) with its weights in the paired layout the generator stores for it: output channels
 * 2m and 2m + 1 interleaved per group of 4 input channels as the 8 bytes
 * [w0[4g], w1[4g], w0[4g+2], w1[4g+2], w0[4g+1], w1[4g+1], w0[4g+3], w1[4g+3]] (w0, w1 the two
 * channels' rows), each pair's rows padded to kp = in_c rounded up to 4 with zero weights and an
 * odd last channel paired with a zero row: ceil(out_c / 2) * 2 * kp bytes, the contract's
 * out_c * in_c when both are even and in_c % 4 == 0.  On DSP cores 4 pixels x 2 channels per
 * pass (every widened input word feeds two SMLADs) when every channel takes the doubled fast
 * output stage with the [-128, 127] clamp; elsewhere pixel by pixel.  In place as
 * dsg_pointwise_conv_s8 (out_c <= DSG_PW_RING); kp <= DSG_KMAX (else DSG_ERR_ARG). */
int32_t dsg_pointwise_pair_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p);
/* Any conv with groups 1 (kernel, stride, dilation, padding) with its weights in the same
 * paired layout over the contract's row order k = (ky*kernel_w + kx)*in_c + c, rows padded to kp
 * = k rounded up to 4 <= DSG_KMAX; not in place (otherwise DSG_ERR_ARG).  On DSP cores the
 * receptive fields of 4 pixels are gathered (as the im2col GEMM does) and run through the same
 * 4-pixel x 2-channel pass, under the same condition on the output stages; elsewhere as
 * dsg_pointwise_pair_s8 (the portable GEMM of 64-bit hosts, or pixel by pixel). */
int32_t dsg_conv_pair_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p);
void dsg_dense_s8(const int8_t *in, int8_t *out, const dsg_dense_params *p);
void dsg_max_pool_s8(const int8_t *in, int8_t *out, const dsg_pool_params *p);
void dsg_avg_pool_s8(const int8_t *in, int8_t *out, const dsg_pool_params *p);
void dsg_global_avg_pool_s8(const int8_t *in, int8_t *out, const dsg_global_pool_params *p);
void dsg_add_s8(const int8_t *a, const int8_t *b, int8_t *out, int32_t n, const dsg_add_params *p);
void dsg_concat_s8(const dsg_concat_input_s8 *inputs, int32_t n_inputs, int32_t pixels,
                   int32_t z_out, int32_t act_min, int32_t act_max, int8_t *out);
void dsg_channel_shuffle_s8(const int8_t *in, int8_t *out, int32_t pixels, int32_t c,
                            int32_t groups);
void dsg_act_s8(const int8_t *in, int8_t *out, int32_t n, const dsg_act_params *p);
/* Table activation, one byte load from the table per element; out may be in. */
void dsg_lut_s8(const int8_t *in, int8_t *out, int32_t n, const dsg_lut_params *p);
/* x: [pixels][c], s: [c]; out may be x (not s).  On DSP cores a 4-instruction output stage when
 * -23 <= shift <= -1 and z_out fits int8 (the general two-step RQ otherwise; same integers). */
void dsg_channel_scale_s8(const int8_t *x, const int8_t *s, int8_t *out,
                          const dsg_channel_scale_params *p);
/* out: [pixels][stop - start]; out must not overlap in. */
void dsg_channel_slice_s8(const int8_t *in, int8_t *out, const dsg_channel_slice_params *p);

/* --------------------------------------------------------------------- s16 (16x8) kernels */
/* On DSP cores, groups 1 with z_in = 0 and k <= DSG_KMAX: each pixel's receptive field gathered
 * once as SMLAD lane pairs, then a dot per output channel (dsg_gemm_s16); else direct loops. */
void dsg_conv_s16(const int16_t *in, int16_t *out, const dsg_conv_params *p);
void dsg_depthwise_conv_s16(const int16_t *in, int16_t *out, const dsg_conv_params *p);
void dsg_dense_s16(const int16_t *in, int16_t *out, const dsg_dense_params *p);
void dsg_max_pool_s16(const int16_t *in, int16_t *out, const dsg_pool_params *p);
void dsg_avg_pool_s16(const int16_t *in, int16_t *out, const dsg_pool_params *p);
void dsg_global_avg_pool_s16(const int16_t *in, int16_t *out, const dsg_global_pool_params *p);
void dsg_add_s16(const int16_t *a, const int16_t *b, int16_t *out, int32_t n,
                 const dsg_add_params *p);
void dsg_concat_s16(const dsg_concat_input_s16 *inputs, int32_t n_inputs, int32_t pixels,
                    int32_t z_out, int32_t act_min, int32_t act_max, int16_t *out);
void dsg_channel_shuffle_s16(const int16_t *in, int16_t *out, int32_t pixels, int32_t c,
                             int32_t groups);
void dsg_act_s16(const int16_t *in, int16_t *out, int32_t n, const dsg_act_params *p);
/* Interpolated table activation, two table loads and one multiply per element; out may be in. */
void dsg_lut_interp_s16(const int16_t *in, int16_t *out, int32_t n,
                        const dsg_lut_interp_params *p);
void dsg_channel_scale_s16(const int16_t *x, const int16_t *s, int16_t *out,
                           const dsg_channel_scale_params *p);
void dsg_channel_slice_s16(const int16_t *in, int16_t *out, const dsg_channel_slice_params *p);

/* --------------------------------------------------------------------- packed low-bit weights */
#include "dsg_lowbit.h"

#ifdef __cplusplus
}
#endif

#endif /* DSG_KERNELS_H */
