/*
 * dsg_lowbit.h -- convolutions whose weights are stored at their bit width (QAT models: 4-bit
 * weights two per byte, 2-bit four per byte, binary eight per byte), so that flash shrinks with
 * the bits.  Included by dsg_kernels.h (after the parameter structs and the requantization);
 * the kernels live in dsg_lowbit.c.
 *
 * The arithmetic is the contract's (docs/fixed_point.md): acc = bias[c] + sum w[c,k]*(x[k] - z_in)
 * with the contract's weight w = v * 2^wshift, v the stored value, so
 * acc = bias[c] + (sum v*(x - z_in)) * 2^wshift -- the same integers (no partial sum of the
 * stored values is larger than the scaled ones the compiler proved to fit int32).
 */
#ifndef DSG_LOWBIT_H
#define DSG_LOWBIT_H

/* Weight element i of the flat [out_c][kernel_h][kernel_w][in_c/groups] array is bits
 * i*wbits .. i*wbits + wbits - 1 of the byte string, least significant first.  wbits = 1: a set
 * bit is +1, a clear one -1 (binary, computed with additions and subtractions only); wbits = 2
 * or 4: two's complement. */
typedef struct {
    dsg_conv_params conv;   /* conv.weights is unused (NULL) */
    const uint8_t *wpacked;
    int32_t wbits;          /* 1, 2 or 4 */
    int32_t wshift;         /* contract weight = stored value * 2^wshift */
} dsg_lowbit_conv_params;

/* Any kernel, stride, dilation, padding and groups (depthwise included); a dense layer is a 1x1
 * conv on a 1x1 map.  Output channels in the outer loop: a channel's 2/4-bit weights are
 * unpacked once (up to DSG_LB_KMAX of them; beyond, per use) and serve every output pixel. */
void dsg_conv_lowbit_s8(const int8_t *in, int8_t *out, const dsg_lowbit_conv_params *p);
void dsg_conv_lowbit_s16(const int16_t *in, int16_t *out, const dsg_lowbit_conv_params *p);

#endif /* DSG_LOWBIT_H */
