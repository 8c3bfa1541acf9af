/*
 * dsg_lowbit.h -- convolutions whose weights are stored at their bit width (QAT models: 4-bit
 * weights two per byte, 2-bit four per byte, binary eight per byte), so that flash shrinks with
 * the bits.  Included by dsg_kernels.h (after the parameter structs and the requantization);
 * the kernels live in dsg_lowbit.c.
 *
 * The arithmetic is the contract's (docs/fixed_point.md): acc = bias[c] + sum w[c,k]*(x[k] - z_in)
 * with the contract's weight w = v * 2^wshift, v the stored value, so
 * acc = bias[c] + (sum v*(x - z_in)) * 2^wshift -- the same integers.  The kernels sum modulo
 * 2^32 (as SMLAD does), which gives that exact sum because the final one fits int32 (proven by
 * the compiler for the scaled weights).
 */
#ifndef DSG_LOWBIT_H
#define DSG_LOWBIT_H

/* Layout of the byte string (dsgen/backends/c/lowbit.py writes it).
 *
 * Stream: a depthwise layer's weights (groups == in_c == out_c > 1) tap-major, [kh][kw][C]; any
 * other layer's the flat [out_c][kh][kw][in_c/groups] (a dense layer: [out][in]).
 *
 * Codes (B = wbits bits each): offset binary, u = v + 2^(B-1) (v in [-8, 7] for B = 4, [-2, 1]
 * for B = 2); binary (B = 1): u = 1 for +1, 0 for -1.  So v = u - 8, u - 2, or 2u - 1.
 *
 * Slots: the string is read as little-endian 32-bit words of G = 32 / B fields, field f at bits
 * f*B .. f*B + B - 1.  Stream element j (0 <= j < G) of a word sits in field j/2 if j is even,
 * G/2 + j/2 if odd: the even elements fill the low halfword, the odd ones the high one.  Then
 * (word >> s*B) & (2^B - 1)*0x00010001 is the pair (u[2s], u[2s+1]) as two int16 lanes, which
 * one SMLAD multiplies by the activation pair (x[2s], x[2s+1]).  The elements after the last
 * whole word keep their order (element j in field j), so the string is ceil(n*B/8) bytes, the
 * same as a plain packing. */
typedef struct {
    dsg_conv_params conv;   /* conv.weights is unused (NULL) */
    const uint8_t *wpacked;
    int32_t wbits;          /* 1, 2 or 4 */
    int32_t wshift;         /* contract weight = stored value * 2^wshift */
} dsg_lowbit_conv_params;

/* Any kernel, stride, dilation, padding and groups (depthwise included); a dense layer is a 1x1
 * conv on a 1x1 map.  Four paths, the same integers:
 *  - groups == 1 with K = kernel_h*kernel_w*in_c a multiple of G and at most DSG_LB_KMAX: a
 *    GEMM, two output pixels by all the channel pairs of a block of DSG_LB_CMAX channels per
 *    call.  The receptive fields are copied once per pixel pair into int16 columns (x - z_in;
 *    padding 0), with their sums Sx; one shift-and-mask per weight pair gives two lanes for
 *    SMLAD, so the pass computes S = sum u*(x - z_in), and sum v*(x - z_in) = S - 8*Sx (4-bit),
 *    S - 2*Sx (2-bit), 2*S - Sx (binary).  On DSP cores SMLAD does the lane products (a binary
 *    lane is 0 or 1) and, where 2*acc fits int32 for any input, the output stage is dsg_rq2 on
 *    2*acc (the pixel's Sx term made once); the portable C computes the same, binary lanes
 *    selecting by mask (no multiply).
 *  - depthwise 3x3 on DSP cores (an even channel count, dilation 1 and stride 1 or 2 along the
 *    longer output axis): per channel pair each channel's padded input window as a plane of
 *    int16 lanes along that axis, the channel's weights as six SMLAD lane pairs in registers,
 *    two outputs per step (18 MACs in 12 multiplies, as dsg_depthwise.c's s8 kernel), dsg_rq2 on
 *    2*acc where that is exact.
 *  - other depthwise layers (tap-major stream, an even channel count, at most DSG_LB_TAPS taps):
 *    channel pairs, their taps unpacked once into int16 lane pairs, the padded input window
 *    copied once per pair into a plane of lane pairs (x - z_in; padding 0; at most DSG_LB_PLANE
 *    words), so every output pixel is an interior one: per tap one load, SMLABB and SMLATT; two
 *    output pixels per step for 3x3 kernels, sharing input words.
 *  - anything else: per output channel, per pixel, per tap (weights unpacked once per channel up
 *    to DSG_LB_KMAX of them).
 * int16 activations take the first three paths when z_in = 0 (always, for dsgen's 16-bit ones). */
void dsg_conv_lowbit_s8(const int8_t *in, int8_t *out, const dsg_lowbit_conv_params *p);
void dsg_conv_lowbit_s16(const int16_t *in, int16_t *out, const dsg_lowbit_conv_params *p);

#endif /* DSG_LOWBIT_H */
