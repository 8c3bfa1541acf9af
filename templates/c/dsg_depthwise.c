/*
 * dsg_depthwise.c -- depthwise convolution: dsg_depthwise_conv_{s8,s16} (any kernel,
 * stride, dilation, depth multiplier) and dsg_depthwise_conv_3x3{,_hwc}_s8.  The 3x3 kernel's
 * DSP path (int16 planes, dsg_dwp_s1_asm/dsg_dwp_s2_asm) sits next to the C per-channel loop it
 * replaces; 64-bit hosts take a vectorizable portable version.
 */
#include "dsg_support.h"

#if DSG_PORTABLE_GEMM
static int32_t dsg_pdw3x3_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p,
                             int32_t wcs, int32_t wts);
#endif

#define DSG_T int8_t
#define DSG_SFX s8
#include "dsg_depthwise_typed.inc"
#undef DSG_T
#undef DSG_SFX

#define DSG_T int16_t
#define DSG_SFX s16
#include "dsg_depthwise_typed.inc"
#undef DSG_T
#undef DSG_SFX

#if DSG_PORTABLE_GEMM
/* acc[c] = sum_t wt[t][c] * x_t[c] over the 9 taps of a 3x3 window, channels innermost so the
 * loop vectorizes; wt is [9][DSG_PDW_CB]. */
DSG_VEC static void dsg_pdw_taps(const int8_t *const *xt, const int8_t *wt, int32_t n,
                                 int32_t *restrict acc)
{
    const int8_t *x0 = xt[0], *x1 = xt[1], *x2 = xt[2], *x3 = xt[3], *x4 = xt[4];
    const int8_t *x5 = xt[5], *x6 = xt[6], *x7 = xt[7], *x8 = xt[8];
    const int8_t *w0 = wt, *w1 = wt + DSG_PDW_CB, *w2 = wt + 2 * DSG_PDW_CB;
    const int8_t *w3 = wt + 3 * DSG_PDW_CB, *w4 = wt + 4 * DSG_PDW_CB, *w5 = wt + 5 * DSG_PDW_CB;
    const int8_t *w6 = wt + 6 * DSG_PDW_CB, *w7 = wt + 7 * DSG_PDW_CB, *w8 = wt + 8 * DSG_PDW_CB;
    int32_t c;
    for (c = 0; c < n; ++c)
        acc[c] = w0[c] * x0[c] + w1[c] * x1[c] + w2[c] * x2[c] + w3[c] * x3[c] +
                 w4[c] * x4[c] + w5[c] * x5[c] + w6[c] * x6[c] + w7[c] * x7[c] + w8[c] * x8[c];
}

/* 3x3 depthwise (multiplier 1, dilation 1): per pass of up to DSG_PDW_CB channels the weights
 * are transposed to [tap][channel], the zero point is folded into the bias (bias - z*sum(w))
 * and a padded tap reads a row of z_in bytes, contributing w*z like the folded term expects, so
 * every output pixel takes the same unchecked path. */
static int32_t dsg_pdw3x3_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p,
                             int32_t wcs, int32_t wts)
{
    const int32_t ch = p->in_c, z = p->z_in;
    const int32_t fast = dsg_rqf_all_ok(p);
    int8_t wt[9 * DSG_PDW_CB], zrow[DSG_PDW_CB];
    int32_t acc[DSG_PDW_CB];
    dsg_pstage st;
    int32_t c0, c, t, oy, ox, ky, kx;
    for (c0 = 0; c0 < ch; c0 += DSG_PDW_CB) {
        const int32_t n = ch - c0 < DSG_PDW_CB ? ch - c0 : DSG_PDW_CB;
        zrow[0] = (int8_t)z; /* by doubling: a fill loop would become a call to memset */
        for (c = 1; c < n; c *= 2) memcpy(zrow + c, zrow, (size_t)(n - c < c ? n - c : c));
        for (c = 0; c < n; ++c) {
            uint32_t sw = 0;
            for (t = 0; t < 9; ++t) {
                wt[t * DSG_PDW_CB + c] = p->weights[(c0 + c) * wcs + t * wts];
                sw += (uint32_t)(int32_t)wt[t * DSG_PDW_CB + c];
            }
            dsg_pstage_set(&st, p, fast, c, c0 + c,
                           (p->bias ? (uint32_t)p->bias[c0 + c] : 0u) - sw * (uint32_t)z);
        }
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_left;
                const int8_t *xt[9];
                for (ky = 0; ky < 3; ++ky)
                    for (kx = 0; kx < 3; ++kx) {
                        const int32_t iy = iy0 + ky, ix = ix0 + kx;
                        xt[ky * 3 + kx] = iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w
                                              ? zrow
                                              : in + (iy * p->in_w + ix) * ch + c0;
                    }
                dsg_pdw_taps(xt, wt, n, acc);
                dsg_prq(acc, &st, fast, c0, n, p, out + (oy * p->out_w + ox) * ch + c0);
            }
        }
    }
    return 1;
}
#endif

#if DSG_PORTABLE_GEMM
#ifndef DSG_DW_CHUNK
#define DSG_DW_CHUNK 16384 /* bytes of input rows copied aside per band (64-bit hosts) */
#endif
/* In place on 64-bit hosts: bands of output rows, each computed by dsg_pdw3x3_s8 from a window
 * of the input rows it reads copied aside; the rows above a band, which the band before it has
 * overwritten, carry over from that band's window.  0 when a band would not fit. */
static int32_t dsg_pdw3x3_inplace(int8_t *buf, const dsg_conv_params *p, int32_t wcs,
                                  int32_t wts)
{
    const int32_t h = p->in_h, row = p->in_w * p->in_c, pt = p->pad_top;
    const int32_t band = row > 0 ? DSG_DW_CHUNK / row - 2 : 0;
    int8_t win[DSG_DW_CHUNK];
    dsg_conv_params q = *p;
    int32_t r0, top = 0, held = 0; /* win holds input rows [top, top + held) */
    if (band < 1) return 0;
    for (r0 = 0; r0 < h; r0 += band) {
        const int32_t n = h - r0 < band ? h - r0 : band;
        const int32_t lo = r0 - pt < 0 ? 0 : r0 - pt;          /* rows the band reads */
        const int32_t hi = r0 + n + 2 - pt < h ? r0 + n + 2 - pt : h;
        int32_t keep = top + held - lo;                          /* rows < r0: overwritten */
        if (keep < 0) keep = 0;
        if (keep > 0) memmove(win, win + (lo - top) * row, (size_t)(keep * row));
        memcpy(win + keep * row, buf + (lo + keep) * row, (size_t)((hi - lo - keep) * row));
        top = lo;
        held = hi - lo;
        q.in_h = held;
        q.out_h = n;
        q.pad_top = pt - (r0 - lo);
        dsg_pdw3x3_s8(win, buf + r0 * row, &q, wcs, wts);
    }
    return 1;
}
#endif

/* ------------------------------------------------------------------ 3x3 depthwise */

/* Portable per-channel loop of the 3x3 depthwise kernels: weight of channel c, tap t (= ky*3 +
 * kx) at w[c*wcs + t*wts]; any output stage.  Also the tail (C % 4 channels) of the DSP path. */
static void dsg_dw3x3_channels(const int8_t *in, int8_t *out, const dsg_conv_params *p,
                               int32_t wcs, int32_t wts, int32_t c_begin)
{
    const int32_t ch = p->in_c;
    int32_t c, oy, ox, ky, kx;
    for (c = c_begin; c < ch; ++c) {
        const int8_t *w = p->weights + c * wcs;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_left;
                int32_t acc = p->bias ? p->bias[c] : 0;
                for (ky = 0; ky < 3; ++ky) {
                    const int32_t iy = iy0 + ky;
                    if (iy < 0 || iy >= p->in_h) continue;
                    for (kx = 0; kx < 3; ++kx) {
                        const int32_t ix = ix0 + kx;
                        if (ix < 0 || ix >= p->in_w) continue;
                        acc += w[(ky * 3 + kx) * wts] * ((int32_t)in[(iy * p->in_w + ix) * ch + c] -
                                                        p->z_in);
                    }
                }
                out[(oy * p->out_w + ox) * ch + c] = (int8_t)dsg_rq_channel(acc, c, p);
            }
        }
    }
}

#if DSG_USE_DSP
/* One kernel row (3 taps) for 4 channels: tap kx is the word at rp + kx*st; w points to the
 * row's unpacked weights {w02, w13} x 3.  SXTB16 splits an input word into channels {0, 2} and
 * {1, 3} like the weights, and SMLABB/SMLATT multiply matching lanes: per tap LDR, LDRD, 2 SXTB16,
 * 4 SMLAxy = 8 instructions for 4 MACs.  In assembly because GCC keeps the weights on the stack
 * and recomputes the addresses (about 12 instructions per tap). */
#if defined(__ARM_FEATURE_DSP) && !defined(DSG_NO_DSP) && defined(__GNUC__)
#define DSG_DW_TAP_ASM(off, addr)                                                             \
    "ldrd   %[w0], %[w1], [%[pw], #" off "]\n\t"                                              \
    "ldr    %[x], " addr "\n\t"                                                               \
    "sxtb16 %[t], %[x]\n\t"                                                                   \
    "sxtb16 %[x], %[x], ror #8\n\t"                                                           \
    "smlabb %[a0], %[t], %[w0], %[a0]\n\t"                                                    \
    "smlatt %[a2], %[t], %[w0], %[a2]\n\t"                                                    \
    "smlabb %[a1], %[x], %[w1], %[a1]\n\t"                                                    \
    "smlatt %[a3], %[x], %[w1], %[a3]\n\t"
#define DSG_DW_ROW(rp, st, w)                                                                 \
    do {                                                                                      \
        int32_t w0_, w1_, x_, t_;                                                             \
        __asm__(DSG_DW_TAP_ASM("0", "[%[pr]]") DSG_DW_TAP_ASM("8", "[%[pr], %[ps]]")          \
                    DSG_DW_TAP_ASM("16", "[%[pr], %[ps], lsl #1]")                            \
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [w0] "=&r"(w0_), \
                  [w1] "=&r"(w1_), [x] "=&r"(x_), [t] "=&r"(t_)                               \
                : [pr] "r"(rp), [ps] "r"(st), [pw] "r"(w)                                     \
                : "memory");                                                                  \
    } while (0)
#else
#define DSG_DW_TAP_C(ptr, w)                                                                  \
    do {                                                                                      \
        const uint32_t x_ = dsg_read4(ptr);                                                   \
        const int32_t x02_ = dsg_sxtb16(x_), x13_ = dsg_sxtb16_ror8(x_);                      \
        a0 = dsg_smlabb(x02_, (w)[0], a0);                                                    \
        a2 = dsg_smlatt(x02_, (w)[0], a2);                                                    \
        a1 = dsg_smlabb(x13_, (w)[1], a1);                                                    \
        a3 = dsg_smlatt(x13_, (w)[1], a3);                                                    \
    } while (0)
#define DSG_DW_ROW(rp, st, w)                                                                 \
    do {                                                                                      \
        DSG_DW_TAP_C(rp, w);                                                                  \
        DSG_DW_TAP_C((rp) + (st), (w) + 2);                                                   \
        DSG_DW_TAP_C((rp) + 2 * (st), (w) + 4);                                               \
    } while (0)
#endif

#ifndef DSG_DW_WMAX
#define DSG_DW_WMAX 128 /* widest padded input row of the DSP 3x3 depthwise: 12*this bytes of stack */
#endif

/* Four channels at a time, channel groups outermost so that the group's unpacked weights and
 * output stages are computed once.  The three input rows a output row reads are copied, as
 * words of the group's 4 channels, into a ring of padded row buffers (each input row once per
 * group at stride 1), so every output pixel takes the same unchecked path.  The zero point is
 * folded into the bias (bias - z*sum(w)) and padding is a word of four z_in bytes, contributing
 * w*(z_in - z_in) = 0 like the contract's padding.  Partial sums may wrap modulo 2^32; the final
 * sum is the contract's accumulator, which fits. */
static void dsg_dw3x3_dsp(const int8_t *in, int8_t *out, const dsg_conv_params *p, int32_t wcs,
                          int32_t wts, int32_t c4)
{
    const int32_t ch = p->in_c, z = p->z_in, sw = p->stride_w;
    const int32_t len = (p->out_w - 1) * sw + 3; /* padded row: ix = -pad_left .. */
    const uint32_t zz = ((uint32_t)z & 0xFFu) * 0x01010101u;
    const int32_t lo = p->act_min, hi = p->act_max;
    uint32_t rb[3][DSG_DW_WMAX];
    int32_t c, j, t, oy, ox, ky;
    for (c = 0; c < c4; c += 4) {
        int32_t wu[18], held[3];
        dsg_rqf f[4];
        for (t = 0; t < 9; ++t) {
            const int8_t *w = p->weights + c * wcs + t * wts;
            const uint32_t v = (uint32_t)(uint8_t)w[0] | (uint32_t)(uint8_t)w[wcs] << 8 |
                               (uint32_t)(uint8_t)w[2 * wcs] << 16 |
                               (uint32_t)(uint8_t)w[3 * wcs] << 24;
            wu[2 * t] = dsg_sxtb16(v);
            wu[2 * t + 1] = dsg_sxtb16_ror8(v);
        }
        for (j = 0; j < 4; ++j) {
            uint32_t sw_ = 0;
            for (t = 0; t < 9; ++t) sw_ += (uint32_t)(int32_t)p->weights[(c + j) * wcs + t * wts];
            f[j] = dsg_rqf_make(dsg_u2i((p->bias ? (uint32_t)p->bias[c + j] : 0u) -
                                        sw_ * (uint32_t)z),
                                p->mult[c + j], p->shift[c + j], p->z_out);
        }
        held[0] = held[1] = held[2] = INT32_MIN;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            const int8_t *r[3];
            int8_t *y = out + oy * p->out_w * ch + c;
            for (ky = 0; ky < 3; ++ky) {
                const int32_t iy = iy0 + ky, slot = ((iy % 3) + 3) % 3;
                uint32_t *b = rb[slot];
                if (held[slot] != iy) {
                    int32_t i, ix = -p->pad_left;
                    held[slot] = iy;
                    if (iy < 0 || iy >= p->in_h) {
                        for (i = 0; i < len; ++i) b[i] = zz;
                    } else {
                        const int8_t *x = in + iy * p->in_w * ch + c;
                        for (i = 0; i < len; ++i, ++ix)
                            b[i] = ix >= 0 && ix < p->in_w ? dsg_read4(x + ix * ch) : zz;
                    }
                }
                r[ky] = (const int8_t *)b;
            }
            for (ox = 0; ox < p->out_w; ++ox, y += ch) {
                const int32_t off = ox * sw * 4;
                int32_t a0 = f[0].bias, a1 = f[1].bias, a2 = f[2].bias, a3 = f[3].bias;
                DSG_DW_ROW(r[0] + off, 4, wu);
                DSG_DW_ROW(r[1] + off, 4, wu + 6);
                DSG_DW_ROW(r[2] + off, 4, wu + 12);
                y[0] = (int8_t)dsg_clamp(dsg_rqf_apply(&f[0], a0), lo, hi);
                y[1] = (int8_t)dsg_clamp(dsg_rqf_apply(&f[1], a1), lo, hi);
                y[2] = (int8_t)dsg_clamp(dsg_rqf_apply(&f[2], a2), lo, hi);
                y[3] = (int8_t)dsg_clamp(dsg_rqf_apply(&f[3], a3), lo, hi);
            }
        }
    }
}
#endif

#if DSG_USE_DSP
/* * The 3x3 depthwise kernel of DSP cores (DSG_USE_DSP: Cortex-M4/M7/M33, or the host's -DDSG_EMULATE_DSP build of the same code).
 *
 * Why this shape.  SMLAD multiplies two pairs of int16 lanes.  Along a line of the image, one
 * kernel row (w0, w1, w2) of one channel and two neighbouring outputs need x0..x3 (stride 1):
 *     y0 += x0*w0 + x1*w1 + x2*w2 = SMLAD({x0,x1}, {w0,w1}) + SMLABT({x2,x3}, {w1,w2})
 *     y1 += x1*w0 + x2*w1 + x3*w2 = SMLATB({x0,x1}, {w0,w1}) + SMLAD({x2,x3}, {w1,w2})
 * (at stride 2, y1 = SMLAD({x2,x3}, {w0,w1}) + SMLABT({x4,x5}, {w1,w2})).  So the kernel holds
 * one channel's inputs as int16 lanes along the line -- a "plane" -- and its six weight words
 * plus the bias in registers: 2 outputs x 3 rows = 18 MACs cost 3 LDRD and 12 multiplies.  The
 * channel-interleaved (NHWC) input is unpacked into 4 planes, one per channel of a group of 4,
 * once per input line and group; the output stage (dsg_rq2: doubled weights make the sums 2*acc)
 * runs over the line afterwards.
 *
 * Lines run along W, or along H when the image is taller than wide (the keyword spotter's
 * 25x5): longer lines waste less of the last pair and amortise the per-line work.
 *
 * The three input lines an output line reads sit at fixed distances in every plane, so the
 * multiply loop addresses them with immediate offsets from one pointer: a line held in ring
 * slot s (input line index mod 3) is also copied to slot s + 3 when s < 2, which makes slots
 * s0, s0 + 1, s0 + 2 the lines il0, il0 + 1, il0 + 2 for any s0 = il0 mod 3.
 *
 * The zero point is folded into the bias (bias - z*sum(w)) and padding is z_in, contributing
 * w*(z_in - z_in) = 0 like the contract's padding.  Partial sums may wrap modulo 2^32; the final
 * sum is the contract's (doubled) accumulator, which fits (dsg_acc2_ok).
 */

#define DSG_DWP_ROW (DSG_DW_WMAX + 8)     /* int16 lanes per plane line (even) */
#define DSG_DWP_R (DSG_DWP_ROW / 2)       /* ... in words: the multiply loop's line distance */
#define DSG_DWP_PLANE (5 * DSG_DWP_R)     /* words per plane: 5 ring slots */
#if 2 * DSG_DWP_R * 4 + 8 > 1020
#error "DSG_DW_WMAX too large: the plane lines must be within LDRD's immediate offset range"
#endif

/* The geometry along lines: the image as rows (tr = 0) or, transposed, as columns (tr = 1). */
typedef struct {
    int32_t lines, len;         /* output lines, outputs per line */
    int32_t in_lines, in_len;   /* the input's extent across and along lines */
    int32_t s_across, s_along;  /* strides */
    int32_t pad_across, pad_along;
    int32_t in_lstep, in_pstep; /* input element distance between lines / pixels of a line */
    int32_t out_lstep, out_pstep;
    int32_t tap_a, tap_l;       /* tap index step across / along (tap = ky*3 + kx) */
    int32_t need;               /* plane lanes the multiply loop reads */
} dsg_dwl;

static void dsg_dwl_make(dsg_dwl *g, const dsg_conv_params *p, int32_t tr)
{
    const int32_t ch = p->in_c;
    g->lines = tr ? p->out_w : p->out_h;
    g->len = tr ? p->out_h : p->out_w;
    g->in_lines = tr ? p->in_w : p->in_h;
    g->in_len = tr ? p->in_h : p->in_w;
    g->s_across = tr ? p->stride_w : p->stride_h;
    g->s_along = tr ? p->stride_h : p->stride_w;
    g->pad_across = tr ? p->pad_left : p->pad_top;
    g->pad_along = tr ? p->pad_top : p->pad_left;
    g->in_lstep = tr ? ch : p->in_w * ch;
    g->in_pstep = tr ? p->in_w * ch : ch;
    g->out_lstep = tr ? ch : p->out_w * ch;
    g->out_pstep = tr ? p->out_w * ch : ch;
    g->tap_a = tr ? 1 : 3;
    g->tap_l = tr ? 3 : 1;
    g->need = 2 * g->s_along * ((g->len + 1) / 2) + 2; /* pairs of outputs, 2 lanes beyond */
}

static int32_t dsg_dwl_ok(const dsg_dwl *g)
{
    return (g->s_along == 1 || g->s_along == 2) && g->need <= DSG_DWP_ROW;
}

/* One input pixel of the group (4 channels) as a word, or the zero point outside the line. */
static inline uint32_t dsg_dwp_px(const int8_t *x, int32_t ix, int32_t n, int32_t step,
                                  uint32_t zz)
{
    return (uint32_t)ix < (uint32_t)n ? dsg_read4(x + ix * step) : zz;
}

/* Two pixels' words u0, u1 as one word per plane (lanes: pixel 0 low, pixel 1 high), stored
 * at d and, when dup, 3 slots further. */
DSG_INLINE void dsg_dwp_put(int32_t *d, uint32_t u0, uint32_t u1, int32_t dup)
{
    const int32_t a0 = dsg_sxtb16(u0), a1 = dsg_sxtb16(u1);
    const int32_t b0 = dsg_sxtb16_ror8(u0), b1 = dsg_sxtb16_ror8(u1);
    const int32_t p0 = dsg_pkhbt(a0, a1), p1 = dsg_pkhbt(b0, b1);
    const int32_t p2 = dsg_pkhtb(a1, a0), p3 = dsg_pkhtb(b1, b0);
    d[0] = p0;
    d[DSG_DWP_PLANE] = p1;
    d[2 * DSG_DWP_PLANE] = p2;
    d[3 * DSG_DWP_PLANE] = p3;
    if (dup) {
        d[3 * DSG_DWP_R] = p0;
        d[DSG_DWP_PLANE + 3 * DSG_DWP_R] = p1;
        d[2 * DSG_DWP_PLANE + 3 * DSG_DWP_R] = p2;
        d[3 * DSG_DWP_PLANE + 3 * DSG_DWP_R] = p3;
    }
}

/* Unpacks input line x (channel c of the group; NULL: a padding line) into the 4 planes at
 * slot d, and into slot d + 3 too when dup.  Pairs of pixels that lie inside the line take a
 * loop without bounds checks. */
DSG_NOINLINE static void dsg_dwp_fill(int32_t *d, const int8_t *x, const dsg_dwl *g, uint32_t zz,
                                      int32_t dup)
{
    const int32_t words = g->need / 2, n = x ? g->in_len : 0, step = g->in_pstep;
    const int32_t ix0 = -g->pad_along; /* pixel of lane 0 */
    /* words k in [k0, k1) have both pixels ix0 + 2k, ix0 + 2k + 1 inside [0, n) */
    int32_t k0 = (1 - ix0) / 2, k1 = (n - ix0) / 2, k;
    if (!x) { /* a padding line: one word throughout each plane */
        const int32_t a = dsg_sxtb16(zz), b = dsg_sxtb16_ror8(zz);
        const int32_t v0 = dsg_pkhbt(a, a), v1 = dsg_pkhbt(b, b);
        const int32_t v2 = dsg_pkhtb(a, a), v3 = dsg_pkhtb(b, b);
        int32_t rep;
        for (rep = 0; rep <= (dup ? 1 : 0); ++rep, d += 3 * DSG_DWP_R)
            for (k = 0; k < words; ++k) {
                d[k] = v0;
                d[k + DSG_DWP_PLANE] = v1;
                d[k + 2 * DSG_DWP_PLANE] = v2;
                d[k + 3 * DSG_DWP_PLANE] = v3;
            }
        return;
    }
    if (k1 < k0) k0 = k1 = 0;
    if (k1 > words) k1 = words;
    for (k = 0; k < k0; ++k) {
        const int32_t ix = ix0 + 2 * k;
        dsg_dwp_put(d + k, dsg_dwp_px(x, ix, n, step, zz), dsg_dwp_px(x, ix + 1, n, step, zz),
                    dup);
    }
    if (k0 < k1) { /* two copies of the loop: dup is a constant in each */
        const int8_t *xp = x + (ix0 + 2 * k0) * step;
        if (dup)
            for (; k < k1; ++k, xp += 2 * step)
                dsg_dwp_put(d + k, dsg_read4(xp), dsg_read4(xp + step), 1);
        else
            for (; k < k1; ++k, xp += 2 * step)
                dsg_dwp_put(d + k, dsg_read4(xp), dsg_read4(xp + step), 0);
    }
    for (; k < words; ++k) {
        const int32_t ix = ix0 + 2 * k;
        dsg_dwp_put(d + k, dsg_dwp_px(x, ix, n, step, zz), dsg_dwp_px(x, ix + 1, n, step, zz),
                    dup);
    }
}

/* A channel's constants, laid out for the assembly loops below (word offsets fixed there):
 * {w0,w1} {w1,w2} of kernel rows 0, 1, 2 (doubled weights), the doubled bias, then dsg_rq2's
 * q, hz, R and the output pixel step. */
enum { DSG_DWP_BIAS = 6, DSG_DWP_Q = 7, DSG_DWP_HZ = 8, DSG_DWP_SH = 9, DSG_DWP_STEP = 10 };
#define DSG_DWP_BLK 11

/* Output 2k + 1 (odd) of a line needs lanes 2k+1 .. 2k+3 (stride 1) or 4k+2 .. 4k+4 (stride 2). */
DSG_INLINE void dsg_dwp_pair(const int32_t *p, const int32_t *b, int32_t s2, int32_t *s0,
                             int32_t *s1)
{
    int32_t r, a0 = dsg_smlad(p[0], b[0], b[DSG_DWP_BIAS]), a1;
    a1 = s2 ? dsg_smlad(p[1], b[0], b[DSG_DWP_BIAS]) : dsg_smlatb(p[0], b[0], b[DSG_DWP_BIAS]);
    for (r = 0; r < 3; ++r, p += DSG_DWP_R, b += 2) {
        if (r > 0) {
            a0 = dsg_smlad(p[0], b[0], a0);
            a1 = s2 ? dsg_smlad(p[1], b[0], a1) : dsg_smlatb(p[0], b[0], a1);
        }
        a0 = dsg_smlabt(p[1], b[1], a0);
        a1 = s2 ? dsg_smlabt(p[2], b[1], a1) : dsg_smlad(p[1], b[1], a1);
    }
    *s0 = a0;
    *s1 = a1;
}

/* One channel's output line in C: the host's emulated-DSP build, and any output clamp. */
DSG_INLINE void dsg_dwp_line(const int32_t *p, int8_t *y, const dsg_dwl *g, const int32_t *b,
                             int32_t sat8, int32_t lo, int32_t hi)
{
    const int32_t len = g->len, step = b[DSG_DWP_STEP], s2 = g->s_along == 2;
    const int32_t q = b[DSG_DWP_Q], hz = b[DSG_DWP_HZ], r = b[DSG_DWP_SH];
    int32_t i;
    for (i = 0; i < len; i += 2, p += 1 + s2) {
        int32_t s0, s1;
        dsg_dwp_pair(p, b, s2, &s0, &s1);
        y[0] = (int8_t)dsg_sat(dsg_rq2(s0, q, hz, r), sat8, lo, hi);
        if (i + 1 < len) y[step] = (int8_t)dsg_sat(dsg_rq2(s1, q, hz, r), sat8, lo, hi);
        y += 2 * step;
    }
}

#if defined(__ARM_FEATURE_DSP) && !defined(DSG_NO_DSP) && defined(__GNUC__) && defined(__thumb2__)
#define DSG_DWP_ASM 1
#define DSG_S_(x) #x
#define DSG_S(x) DSG_S_(x)
#define DSG_DWP_RB DSG_S(DSG_DWP_R * 4)
/* The output stage of a pair (s0 in r12, s1 in lr) with [sp] = {q, hz, R, step}: dsg_rq2 and
 * SSAT to int8, stored at y (r1) and y + step; y advances by two outputs.  r2 (the end of the
 * pairs, kept at [sp, #36]) is a third scratch register here, so hz is loaded once. */
#define DSG_DWP_OUT_ASM                                                                       \
    "ldrd   r2, r10, [sp]\n\t"                                                                 \
    "add    r11, r10, r12, asr #31\n\t"                                                        \
    "add    r10, r10, lr, asr #31\n\t"                                                         \
    "smmlar r12, r12, r2, r11\n\t"                                                             \
    "smmlar lr, lr, r2, r10\n\t"                                                               \
    "ldrd   r10, r11, [sp, #8]\n\t"                                                            \
    "asr    r12, r12, r10\n\t"                                                                 \
    "asr    lr, lr, r10\n\t"                                                                   \
    "ssat   r12, #8, r12\n\t"                                                                  \
    "ssat   lr, #8, lr\n\t"                                                                    \
    "strb   r12, [r1]\n\t"                                                                     \
    "strb   lr, [r1, r11]\n\t"                                                                 \
    "add    r1, r1, r11, lsl #1\n\t"
/* The four channels of a group in one call: channel j's plane at p + j*DSG_DWP_PLANE words, its
 * outputs at y + j, its block (DSG_DWP_BLK words) at b + j*DSG_DWP_BLK.  Frame: [sp] = {q, hz, R,
 * step} of the channel, [sp, #16] = {p, y, b} of the channel, [sp, #28] the end of the blocks,
 * [sp, #32] len, [sp, #36] the end of the pairs.  Per channel: the six weight words in r4-r9,
 * the bias in r3, the end of the pairs (r0 + pairs << SH) in r2; the pairs' loop (BODY and the
 * output stage, unrolled twice: an odd count enters at the second copy), then the last output
 * alone when len is odd (the first sum of a pair: the same lanes relative to r0). */
#define DSG_DWP_CH_ASM(SH, BODY)                                                              \
    "push   {r4-r11, lr}\n\t"                                                                  \
    "sub    sp, sp, #40\n\t"                                                                   \
    "str    r3, [sp, #32]\n\t"                                                                 \
    "add    r3, r2, #4 * 4 * " DSG_S(DSG_DWP_BLK) "\n\t"                                       \
    "str    r3, [sp, #28]\n\t"                                                                 \
    "2:\n\t"                                                                                   \
    "strd   r0, r1, [sp, #16]\n\t"                                                             \
    "str    r2, [sp, #24]\n\t"                                                                 \
    "ldrd   r10, r11, [r2, #28]\n\t"                                                           \
    "ldrd   r12, lr, [r2, #36]\n\t"                                                            \
    "strd   r10, r11, [sp]\n\t"                                                                \
    "strd   r12, lr, [sp, #8]\n\t"                                                             \
    "ldrd   r4, r5, [r2]\n\t"                                                                  \
    "ldrd   r6, r7, [r2, #8]\n\t"                                                              \
    "ldrd   r8, r9, [r2, #16]\n\t"                                                             \
    "ldr    r3, [r2, #24]\n\t"                                                                 \
    "ldr    r12, [sp, #32]\n\t"                                                                \
    "asr    r12, r12, #1\n\t"                                                                  \
    "add    r2, r0, r12, lsl #" SH "\n\t"                                                      \
    "cmp    r0, r2\n\t"                                                                        \
    "beq    3f\n\t"                                                                            \
    "str    r2, [sp, #36]\n\t"                                                                 \
    "tst    r12, #1\n\t"                                                                       \
    "bne    5f\n\t"                                                                            \
    "1:\n\t" BODY DSG_DWP_OUT_ASM "5:\n\t" BODY DSG_DWP_OUT_ASM                               \
    "ldr    r2, [sp, #36]\n\t"                                                                 \
    "cmp    r0, r2\n\t"                                                                        \
    "bne    1b\n\t"                                                                            \
    "3:\n\t"                                                                                   \
    "ldr    r12, [sp, #32]\n\t"                                                                \
    "tst    r12, #1\n\t"                                                                       \
    "beq    4f\n\t"                                                                            \
    "ldrd   r10, r11, [r0]\n\t"                                                                \
    "smlad  r12, r10, r4, r3\n\t"                                                              \
    "smlabt r12, r11, r5, r12\n\t"                                                             \
    "ldrd   r10, r11, [r0, #" DSG_DWP_RB "]\n\t"                                               \
    "smlad  r12, r10, r6, r12\n\t"                                                             \
    "smlabt r12, r11, r7, r12\n\t"                                                             \
    "ldrd   r10, r11, [r0, #2 * " DSG_DWP_RB "]\n\t"                                           \
    "smlad  r12, r10, r8, r12\n\t"                                                             \
    "smlabt r12, r11, r9, r12\n\t"                                                             \
    "ldrd   r10, r11, [sp]\n\t"                                                                \
    "add    r11, r11, r12, asr #31\n\t"                                                        \
    "smmlar r12, r12, r10, r11\n\t"                                                            \
    "ldr    r10, [sp, #8]\n\t"                                                                 \
    "asr    r12, r12, r10\n\t"                                                                 \
    "ssat   r12, #8, r12\n\t"                                                                  \
    "strb   r12, [r1]\n\t"                                                                     \
    "4:\n\t"                                                                                   \
    "ldrd   r0, r1, [sp, #16]\n\t"                                                             \
    "ldrd   r2, r3, [sp, #24]\n\t"                                                             \
    "add    r0, r0, #4 * " DSG_S(DSG_DWP_PLANE) "\n\t"                                         \
    "add    r1, r1, #1\n\t"                                                                    \
    "add    r2, r2, #4 * " DSG_S(DSG_DWP_BLK) "\n\t"                                           \
    "cmp    r2, r3\n\t"                                                                        \
    "bne    2b\n\t"                                                                            \
    "add    sp, sp, #40\n\t"                                                                   \
    "pop    {r4-r11, pc}\n\t"

/* The four channels' output lines at stride 1 (len > 0 outputs each): per pair 3 LDRD + 12
 * multiplies + 16 for the output stage for 18 MACs.  Registers in the loop: r0 plane pointer,
 * r1 y, r2 end, r3 bias, r4-r9 weights, r10/r11 inputs {x0,x1} {x2,x3}, r12/lr the two sums. */
__attribute__((naked)) static void
dsg_dwp_s1_asm(const int32_t *p __attribute__((unused)), int8_t *y __attribute__((unused)),
               const int32_t *b __attribute__((unused)), int32_t len __attribute__((unused)))
{
    __asm__(DSG_DWP_CH_ASM("2",
                           "ldrd   r10, r11, [r0], #4\n\t"
                           "smlad  r12, r10, r4, r3\n\t"
                           "smlatb lr, r10, r4, r3\n\t"
                           "smlabt r12, r11, r5, r12\n\t"
                           "smlad  lr, r11, r5, lr\n\t"
                           "ldrd   r10, r11, [r0, #" DSG_DWP_RB " - 4]\n\t"
                           "smlad  r12, r10, r6, r12\n\t"
                           "smlatb lr, r10, r6, lr\n\t"
                           "smlabt r12, r11, r7, r12\n\t"
                           "smlad  lr, r11, r7, lr\n\t"
                           "ldrd   r10, r11, [r0, #2 * " DSG_DWP_RB " - 4]\n\t"
                           "smlad  r12, r10, r8, r12\n\t"
                           "smlatb lr, r10, r8, lr\n\t"
                           "smlabt r12, r11, r9, r12\n\t"
                           "smlad  lr, r11, r9, lr\n\t"));
}

/* The same at stride 2: outputs 2k, 2k + 1 read lanes 4k .. 4k + 4 (r10/r11, then r10 again). */
__attribute__((naked)) static void
dsg_dwp_s2_asm(const int32_t *p __attribute__((unused)), int8_t *y __attribute__((unused)),
               const int32_t *b __attribute__((unused)), int32_t len __attribute__((unused)))
{
    __asm__(DSG_DWP_CH_ASM("3",
                           "ldrd   r10, r11, [r0], #8\n\t"
                           "smlad  r12, r10, r4, r3\n\t"
                           "smlabt r12, r11, r5, r12\n\t"
                           "smlad  lr, r11, r4, r3\n\t"
                           "ldr    r10, [r0]\n\t"
                           "smlabt lr, r10, r5, lr\n\t"
                           "ldrd   r10, r11, [r0, #" DSG_DWP_RB " - 8]\n\t"
                           "smlad  r12, r10, r6, r12\n\t"
                           "smlabt r12, r11, r7, r12\n\t"
                           "smlad  lr, r11, r6, lr\n\t"
                           "ldr    r10, [r0, #" DSG_DWP_RB "]\n\t"
                           "smlabt lr, r10, r7, lr\n\t"
                           "ldrd   r10, r11, [r0, #2 * " DSG_DWP_RB " - 8]\n\t"
                           "smlad  r12, r10, r8, r12\n\t"
                           "smlabt r12, r11, r9, r12\n\t"
                           "smlad  lr, r11, r8, lr\n\t"
                           "ldr    r10, [r0, #2 * " DSG_DWP_RB "]\n\t"
                           "smlabt lr, r10, r9, lr\n\t"));
}
#else
#define DSG_DWP_ASM 0
#endif

/* The group's four output lines, saturated to int8: the assembly loops, or the C model. */
DSG_NOINLINE static void dsg_dwp_lines_sat(const int32_t *p, int8_t *y, const dsg_dwl *g,
                                           const int32_t *b)
{
#if DSG_DWP_ASM
    if (g->s_along == 1)
        dsg_dwp_s1_asm(p, y, b, g->len);
    else
        dsg_dwp_s2_asm(p, y, b, g->len);
#else
    int32_t j;
    for (j = 0; j < 4; ++j)
        dsg_dwp_line(p + j * DSG_DWP_PLANE, y + j, g, b + j * DSG_DWP_BLK, 1, -128, 127);
#endif
}

DSG_NOINLINE static void dsg_dwp_line_clamp(const int32_t *p, int8_t *y, const dsg_dwl *g,
                                            const int32_t *b, int32_t lo, int32_t hi)
{
    dsg_dwp_line(p, y, g, b, 0, lo, hi);
}

/* Channel c's constants (DSG_DWP_BLK words): kernel row a (across) as two doubled weight words
 * {w0,w1}, {w1,w2}, the doubled bias with the zero point folded in, the output stage. */
static void dsg_dwp_block(const dsg_conv_params *p, const dsg_dwl *g, int32_t wcs, int32_t wts,
                          int32_t c, int32_t *b)
{
    const int8_t *w = p->weights + c * wcs;
    const int32_t sa = g->tap_a * wts, sl = g->tap_l * wts;
    uint32_t sum = 0;
    int32_t a;
    for (a = 0; a < 3; ++a, w += sa) {
        const int32_t w0 = 2 * w[0], w1 = 2 * w[sl], w2 = 2 * w[2 * sl];
        sum += (uint32_t)(w0 + w1 + w2);
        b[2 * a] = dsg_pkhbt(w0, w1);
        b[2 * a + 1] = dsg_pkhbt(w1, w2);
    }
    /* 2*(bias - z*sum(w)) = 2*bias - z*sum(2w) */
    b[DSG_DWP_BIAS] =
        dsg_u2i(((p->bias ? (uint32_t)p->bias[c] : 0u) << 1) - sum * (uint32_t)p->z_in);
    {
        const dsg_rqf f = dsg_rqf_make(0, p->mult[c], p->shift[c], p->z_out);
        b[DSG_DWP_Q] = f.mult;
        b[DSG_DWP_HZ] = f.hz;
        b[DSG_DWP_SH] = f.r;
    }
    b[DSG_DWP_STEP] = g->out_pstep;
}

/* pl: the planes (4 * DSG_DWP_PLANE words), kept out of this function's frame so that its
 * spills stay within reach of SP-relative loads. */
DSG_NOINLINE static void dsg_dwp_groups(int32_t *pl, const int8_t *in, int8_t *out,
                                        const dsg_conv_params *p, int32_t wcs, int32_t wts,
                                        int32_t c4, const dsg_dwl *g)
{
    const int32_t sat8 = p->act_min == -128 && p->act_max == 127;
    const uint32_t zz = ((uint32_t)p->z_in & 0xFFu) * 0x01010101u;
    const int32_t s00 = ((-g->pad_across % 3) + 3) % 3; /* ring slot of input line -pad_across */
    int32_t c, j, ol, k, s0;
    for (c = 0; c < c4; c += 4) {
        int32_t b[4][DSG_DWP_BLK], held[3];
        for (j = 0; j < 4; ++j) dsg_dwp_block(p, g, wcs, wts, c + j, b[j]);
        held[0] = held[1] = held[2] = INT32_MIN;
        s0 = s00;
        for (ol = 0; ol < g->lines; ++ol) {
            const int32_t il0 = ol * g->s_across - g->pad_across;
            int8_t *y = out + ol * g->out_lstep + c;
            for (k = 0; k < 3; ++k) {
                const int32_t il = il0 + k, slot = s0 + k < 3 ? s0 + k : s0 + k - 3;
                if (held[slot] == il) continue;
                held[slot] = il;
                dsg_dwp_fill(pl + slot * DSG_DWP_R,
                             il >= 0 && il < g->in_lines ? in + il * g->in_lstep + c : 0, g, zz,
                             slot < 2);
            }
            if (sat8)
                dsg_dwp_lines_sat(pl + s0 * DSG_DWP_R, y, g, b[0]);
            else
                for (j = 0; j < 4; ++j)
                    dsg_dwp_line_clamp(pl + j * DSG_DWP_PLANE + s0 * DSG_DWP_R, y + j, g, b[j],
                                       p->act_min, p->act_max);
            s0 = (s0 + g->s_across) % 3; /* the next line's il0 mod 3 */
        }
    }
}

static void dsg_dwp(const int8_t *in, int8_t *out, const dsg_conv_params *p, int32_t wcs,
                    int32_t wts, int32_t c4, const dsg_dwl *g)
{
    int32_t pl[4 * DSG_DWP_PLANE];
    dsg_dwp_groups(pl, in, out, p, wcs, wts, c4, g);
}
#endif

#ifndef DSG_DW_RING
#define DSG_DW_RING 256
#endif
#ifndef DSG_DW_DIRECT
#define DSG_DW_DIRECT 4 /* output pixels up to which the DSP 3x3 depthwise loops per channel */
#endif

#if DSG_USE_DSP
/* Maps of a few output pixels (the last blocks of a MobileNet: 2x2, 1x1): channel by
 * channel, each output over the taps inside the image only, fast output stage.  The group
 * paths' per-group and per-line work (weights unpacked, planes filled) costs more than these
 * few taps (from 3x3 maps on, the scalar taps cost more: 11 -> 21 estimated cycles/MAC on
 * MobileNetV1-0.25's last layer).  A channel's outputs are held until the channel is done, then stored: channel c's
 * outputs depend on channel c's inputs only, so this is exact in place too. */
DSG_NOINLINE static void dsg_dw3x3_few(const int8_t *in, int8_t *out, const dsg_conv_params *p,
                                       int32_t wcs, int32_t wts)
{
    const int32_t ch = p->in_c, z = p->z_in, n = p->out_h * p->out_w;
    int32_t at[DSG_DW_DIRECT];           /* input offset of tap (0, 0), maybe outside */
    int8_t span[DSG_DW_DIRECT][4];       /* taps inside: ky0, ky1, kx0, kx1 */
    int8_t y[DSG_DW_DIRECT];
    int32_t i, c, ky, kx;
    for (i = 0; i < n; ++i) {
        const int32_t iy0 = (i / p->out_w) * p->stride_h - p->pad_top;
        const int32_t ix0 = (i % p->out_w) * p->stride_w - p->pad_left;
        at[i] = (iy0 * p->in_w + ix0) * ch;
        span[i][0] = (int8_t)dsg_first_tap(iy0, 1);
        span[i][1] = (int8_t)dsg_end_tap(iy0, 1, p->in_h, 3);
        span[i][2] = (int8_t)dsg_first_tap(ix0, 1);
        span[i][3] = (int8_t)dsg_end_tap(ix0, 1, p->in_w, 3);
    }
    for (c = 0; c < ch; ++c) {
        const int8_t *w = p->weights + c * wcs;
        const dsg_rqf f = dsg_rqf_make(0, p->mult[c], p->shift[c], p->z_out);
        const int32_t bias = p->bias ? p->bias[c] : 0;
        for (i = 0; i < n; ++i) {
            const int8_t *x = in + at[i] + c;
            int32_t acc = bias;
            for (ky = span[i][0]; ky < span[i][1]; ++ky)
                for (kx = span[i][2]; kx < span[i][3]; ++kx)
                    acc += w[(ky * 3 + kx) * wts] * ((int32_t)x[(ky * p->in_w + kx) * ch] - z);
            y[i] = (int8_t)dsg_clamp(dsg_rqf_apply(&f, acc), p->act_min, p->act_max);
        }
        for (i = 0; i < n; ++i) out[i * ch + c] = y[i];
    }
}
#endif

/* In place (in == out, stride 1, output size = input size), channels [c_begin, C): output row oy
 * overwrites input row oy, which the next pad_top rows still read, so rows oy - pad_top .. oy
 * come from a ring of copies (pad_top + 1 rows of a block of channels) and rows below oy from
 * the buffer, whose later rows are untouched.  The contract's arithmetic, any output stage. */
static void dsg_dw3x3_inplace(int8_t *buf, const dsg_conv_params *p, int32_t wcs, int32_t wts,
                              int32_t c_begin)
{
    const int32_t ch = p->in_c, h = p->in_h, w = p->in_w, slots = p->pad_top + 1;
    const int32_t cb = DSG_DW_RING / (slots * w); /* >= 1: dsg_dw3x3 checked */
    int8_t ring[DSG_DW_RING];
    int32_t c0, c, n, oy, ox, ky, kx;
    for (c0 = c_begin; c0 < ch; c0 += n) {
        n = ch - c0 < cb ? ch - c0 : cb;
        for (oy = 0; oy < h; ++oy) {
            int8_t *save = ring + (oy % slots) * w * n;
            for (ox = 0; ox < w; ++ox)
                for (c = 0; c < n; ++c) save[ox * n + c] = buf[(oy * w + ox) * ch + c0 + c];
            for (ox = 0; ox < w; ++ox)
                for (c = 0; c < n; ++c) {
                    const int8_t *wt = p->weights + (c0 + c) * wcs;
                    int32_t acc = p->bias ? p->bias[c0 + c] : 0;
                    for (ky = 0; ky < 3; ++ky) {
                        const int32_t iy = oy - p->pad_top + ky;
                        const int8_t *row;
                        if (iy < 0 || iy >= h) continue;
                        row = iy <= oy ? ring + (iy % slots) * w * n + c : 0;
                        for (kx = 0; kx < 3; ++kx) {
                            const int32_t ix = ox - p->pad_left + kx;
                            int32_t v;
                            if (ix < 0 || ix >= w) continue;
                            v = row ? row[ix * n] : buf[(iy * w + ix) * ch + c0 + c];
                            acc += wt[(ky * 3 + kx) * wts] * (v - p->z_in);
                        }
                    }
                    buf[(oy * w + ox) * ch + c0 + c] = (int8_t)dsg_rq_channel(acc, c0 + c, p);
                }
        }
    }
}

/* Both DSP group paths are safe in place at stride 1 with equal sizes: per group of 4 channels
 * each input line is copied (widened into the planes, or into the row ring) once, before the
 * output line that overwrites it, and then read only from that copy. */
static int32_t dsg_dw3x3(const int8_t *in, int8_t *out, const dsg_conv_params *p, int32_t wcs,
                         int32_t wts)
{
    const int32_t inplace = in == out;
    int32_t c4 = 0;
    if (p->kernel_h != 3 || p->kernel_w != 3 || p->out_c != p->in_c || p->groups != p->in_c ||
        p->dilation_h != 1 || p->dilation_w != 1)
        return DSG_ERR_ARG;
    if (inplace && (p->stride_h != 1 || p->stride_w != 1 || p->out_h != p->in_h ||
                    p->out_w != p->in_w || p->pad_top > 2 || p->pad_left > 2 ||
                    (p->pad_top + 1) * p->in_w > DSG_DW_RING))
        return DSG_ERR_ARG;
#if DSG_PORTABLE_GEMM
    if (inplace ? dsg_pdw3x3_inplace(out, p, wcs, wts) : dsg_pdw3x3_s8(in, out, p, wcs, wts))
        return DSG_OK;
#endif
#if DSG_USE_DSP
    if (p->out_h * p->out_w <= DSG_DW_DIRECT) {
        if (dsg_rqf_all_ok(p)) {
            dsg_dw3x3_few(in, out, p, wcs, wts);
            return DSG_OK;
        }
    } else if (dsg_rqf_all_ok(p)) {
        dsg_dwl g;
        dsg_dwl_make(&g, p, p->out_h > p->out_w); /* the longer lines */
        if (!dsg_dwl_ok(&g)) dsg_dwl_make(&g, p, p->out_h <= p->out_w);
        if (dsg_acc2_ok(p, 9) && dsg_dwl_ok(&g)) {
            c4 = p->in_c & ~3;
            dsg_dwp(in, out, p, wcs, wts, c4, &g);
        } else if ((p->out_w - 1) * p->stride_w + 3 <= DSG_DW_WMAX) {
            c4 = p->in_c & ~3;
            dsg_dw3x3_dsp(in, out, p, wcs, wts, c4);
        }
    }
#endif
    if (inplace)
        dsg_dw3x3_inplace(out, p, wcs, wts, c4);
    else
        dsg_dw3x3_channels(in, out, p, wcs, wts, c4);
    return DSG_OK;
}

int32_t dsg_depthwise_conv_3x3_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p)
{
    return dsg_dw3x3(in, out, p, 9, 1);
}

int32_t dsg_depthwise_conv_3x3_hwc_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p)
{
    return dsg_dw3x3(in, out, p, 1, p->in_c);
}
