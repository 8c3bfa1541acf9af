/*
 * dsg_conv.c -- convolution and GEMM: dsg_conv_{s8,s16} (any kernel, stride,
 * dilation, padding), dsg_grouped_conv_s8 and dsg_pointwise_conv_s8 (1x1, the blocked GEMM).
 * On DSP cores the s8 convs run an im2col GEMM whose inner loops are inline assembly
 * (dsg_mm4_ch2, dsg_mm6_sat_asm) next to their C versions; on 64-bit hosts a vectorizable
 * portable GEMM; elsewhere the direct loops of dsg_conv_typed.inc.
 */
#include "dsg_support.h"

#if DSG_USE_DSP
static int32_t dsg_gemm_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p);
#endif
#if DSG_PORTABLE_GEMM
static int32_t dsg_pgemm_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p,
                            int32_t paired);
#endif

#define DSG_T int8_t
#define DSG_SFX s8
#include "dsg_conv_typed.inc"
#undef DSG_T
#undef DSG_SFX

#define DSG_T int16_t
#define DSG_SFX s16
#include "dsg_conv_typed.inc"
#undef DSG_T
#undef DSG_SFX

/* ------------------------------------------------------------------ specialised s8 kernels */

/* The stride-1 pointwise inner kernel for output channels c and c + 1 over all pixels (pixel i
 * is in + i*k).  Consecutive pixels and consecutive weight rows are both k bytes apart, so one
 * offset register serves all four loads, which leaves exactly enough of Cortex-M4's 14
 * registers for the unrolled MAC loop: 8 LDR + 16 SXTB16 + 16 SMLAD + ~5 loop instructions per
 * 32 MACs.  Not inlined, so that the caller's loop state does not compete for those registers. */
DSG_NOINLINE static void dsg_pw_pair_s8(const int8_t *in, int8_t *out, int32_t k, int32_t n_pix,
                                        int32_t n_out, const int8_t *w0, int32_t c, int32_t two_c,
                                        uint32_t base0, uint32_t base1, const dsg_outp *o0,
                                        const dsg_outp *o1)
{
    int32_t i;
    for (i = 0; i + 1 < n_pix; i += 2) {
        const int8_t *a = in + i * k, *b = w0;
        int8_t *y = out + i * n_out + c;
        uint32_t acc[4];
        int32_t r = k;
#if DSG_USE_DSP
        int32_t s00 = 0, s01 = 0, s10 = 0, s11 = 0, cnt;
        for (cnt = k >> 3; cnt > 0; --cnt, a += 8, b += 8) {
            DSG_MAC2X2_4(a, k, b, k, s00, s01, s10, s11);
            DSG_MAC2X2_4(a + 4, k, b + 4, k, s00, s01, s10, s11);
        }
        if (k & 4) {
            DSG_MAC2X2_4(a, k, b, k, s00, s01, s10, s11);
            a += 4;
            b += 4;
        }
        r = k & 3;
        acc[0] = base0 + (uint32_t)s00;
        acc[1] = base1 + (uint32_t)s01;
        acc[2] = base0 + (uint32_t)s10;
        acc[3] = base1 + (uint32_t)s11;
#else
        acc[0] = base0;
        acc[1] = base1;
        acc[2] = base0;
        acc[3] = base1;
#endif
        if (r) dsg_dot2x2_s8(a, k, b, k, r, acc);
        y[0] = (int8_t)dsg_outp_apply(o0, dsg_u2i(acc[0]));
        y[n_out] = (int8_t)dsg_outp_apply(o0, dsg_u2i(acc[2]));
        if (two_c) {
            y[1] = (int8_t)dsg_outp_apply(o1, dsg_u2i(acc[1]));
            y[n_out + 1] = (int8_t)dsg_outp_apply(o1, dsg_u2i(acc[3]));
        }
    }
}

/* The 1x1 conv is a GEMM: out[pixel][c] = x[pixel] . w[c].  Blocks of 2 pixels x 2 output
 * channels reuse every unpacked input for two channels and every unpacked weight for two
 * pixels.  Channel pairs are the outer loop so the zero-point term -z * sum(w[c]) is computed
 * once per channel, not per pixel.  Odd tails recompute a duplicate row and drop it.  Not
 * inlined: its frame stays off the stack when a GEMM path takes the layer. */
DSG_NOINLINE static void dsg_pw_direct_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p)
{
    const int32_t k = p->in_c, n_out = p->out_c, n_pix = p->out_h * p->out_w;
    const int32_t dense_px = p->stride_h == 1 && p->stride_w == 1;
    int32_t c, i;
    for (c = 0; c < n_out; c += 2) {
        const int32_t two_c = c + 1 < n_out, c1 = two_c ? c + 1 : c;
        const int8_t *w0 = p->weights + c * k, *w1 = p->weights + c1 * k;
        const uint32_t base0 = dsg_raw_base(p->bias, c, w0, k, p->z_in);
        const uint32_t base1 = dsg_raw_base(p->bias, c1, w1, k, p->z_in);
        const dsg_outp o0 = dsg_outp_make(p->mult, p->shift, p->mult_neg, p->shift_neg, c,
                                          p->z_out, p->act_min, p->act_max);
        const dsg_outp o1 = dsg_outp_make(p->mult, p->shift, p->mult_neg, p->shift_neg, c1,
                                          p->z_out, p->act_min, p->act_max);
        i = 0;
        if (dense_px) { /* all pixel pairs but an odd last one */
            dsg_pw_pair_s8(in, out, k, n_pix, n_out, w0, c, two_c, base0, base1, &o0, &o1);
            i = n_pix & ~1;
        }
        for (; i < n_pix; i += 2) {
            const int32_t two_px = i + 1 < n_pix;
            const int32_t j = two_px ? i + 1 : i;
            const int8_t *x0 =
                in + ((i / p->out_w) * p->stride_h * p->in_w + (i % p->out_w) * p->stride_w) * k;
            const int8_t *x1 =
                in + ((j / p->out_w) * p->stride_h * p->in_w + (j % p->out_w) * p->stride_w) * k;
            uint32_t acc[4];
            acc[0] = base0;
            acc[1] = base1;
            acc[2] = base0;
            acc[3] = base1;
            dsg_dot2x2_s8(x0, (int32_t)(x1 - x0), w0, (int32_t)(w1 - w0), k, acc);
            out[i * n_out + c] = (int8_t)dsg_outp_apply(&o0, dsg_u2i(acc[0]));
            if (two_c) out[i * n_out + c1] = (int8_t)dsg_outp_apply(&o1, dsg_u2i(acc[1]));
            if (two_px) {
                out[j * n_out + c] = (int8_t)dsg_outp_apply(&o0, dsg_u2i(acc[2]));
                if (two_c) out[j * n_out + c1] = (int8_t)dsg_outp_apply(&o1, dsg_u2i(acc[3]));
            }
        }
    }
}

#ifndef DSG_KMAX
/* Longest dot product (pointwise C_in, or kh*kw*C_in) of the GEMM path, which takes about
 * 18*DSG_KMAX + 1.3 KB of stack; longer ones use the direct kernels.  The paired pointwise
 * kernel's portable path widens one pixel of up to DSG_KMAX elements. */
#define DSG_KMAX 256
#endif
#ifndef DSG_PW_RING
#define DSG_PW_RING 256
#endif

/* In place (in == out, stride 1), when no GEMM path can take the layer: pixel by pixel, its
 * C_out outputs go to a buffer and then to out[i*C_out].  In NHWC, with C_out <= C_in the
 * outputs of pixels <= i cover only input pixels <= i, so pixels run first to last; with
 * C_out > C_in (the input at the start of the larger slot) they cover input pixels >= i, so
 * pixels run last to first.  Either way every input pixel they cover is consumed. */
DSG_NOINLINE static void dsg_pw_inplace_s8(int8_t *buf, const dsg_conv_params *p)
{
    const int32_t k = p->in_c, n_out = p->out_c, n_pix = p->out_h * p->out_w;
    const int32_t rev = n_out > k;
    int8_t y[DSG_PW_RING];
    int32_t t, i, c;
    for (t = 0; t < n_pix; ++t) {
        const int8_t *x;
        i = rev ? n_pix - 1 - t : t;
        x = buf + i * k;
        for (c = 0; c < n_out; ++c) {
            const uint32_t b = p->bias ? (uint32_t)p->bias[c] : 0u;
            const int32_t d = dsg_dot_off_s8(x, p->weights + c * k, k, p->z_in);
            const int32_t acc = dsg_u2i(b + (uint32_t)d);
            y[c] = (int8_t)dsg_rq_channel(acc, c, p);
        }
        for (c = 0; c < n_out; ++c) buf[i * n_out + c] = y[c];
    }
}

#if DSG_PORTABLE_GEMM
#ifndef DSG_PW_CHUNK
#define DSG_PW_CHUNK 8192 /* bytes of input pixels copied aside per sub-GEMM (64-bit hosts) */
#endif
/* In place on 64-bit hosts: chunks of whole input pixels copied aside, each a sub-GEMM whose
 * outputs cover only consumed pixels (chunks first to last for C_out <= C_in, last to first
 * for C_out > C_in, as in dsg_pw_inplace_s8).  0 (nothing written) when the GEMM refuses. */
static int32_t dsg_pgemm_inplace_s8(int8_t *buf, const dsg_conv_params *p, int32_t paired)
{
    const int32_t k = p->in_c, n_out = p->out_c, n_pix = p->out_h * p->out_w;
    const int32_t np = DSG_PW_CHUNK / k, rev = n_out > k;
    const int32_t nch = np > 0 ? (n_pix + np - 1) / np : 0;
    int8_t tmp[DSG_PW_CHUNK];
    dsg_conv_params q = *p;
    int32_t t;
    for (t = 0; t < nch; ++t) {
        const int32_t i = (rev ? nch - 1 - t : t) * np, n = n_pix - i < np ? n_pix - i : np;
        memcpy(tmp, buf + i * k, (size_t)(n * k));
        q.in_h = q.out_h = 1;
        q.in_w = q.out_w = n;
        if (!dsg_pgemm_s8(tmp, buf + i * n_out, &q, paired)) return 0; /* layer-wide: at t = 0 */
    }
    return nch > 0;
}
#endif

#if DSG_USE_DSP
/* Fewer pixels than the GEMM's smallest block (4): one matrix-vector product per pixel
 * (dsg_mv_s8) instead of a block that computes its last pixel 4 - n_pix more times (a 1x1 map
 * is a dense layer).  In place, each pixel's outputs go through the one-pixel buffer in the
 * order of dsg_pw_inplace_s8. */
DSG_NOINLINE static void dsg_pw_mv_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p)
{
    const int32_t n_pix = p->out_h * p->out_w, rev = in == out && p->out_c > p->in_c;
    dsg_dense_params d;
    int8_t y[DSG_PW_RING];
    int32_t t, i, c;
    d.in_n = p->in_c;
    d.out_n = p->out_c;
    d.z_in = p->z_in;
    d.z_out = p->z_out;
    d.act_min = p->act_min;
    d.act_max = p->act_max;
    d.mult = p->mult;
    d.shift = p->shift;
    d.mult_neg = p->mult_neg;
    d.shift_neg = p->shift_neg;
    d.weights = p->weights;
    d.bias = p->bias;
    for (t = 0; t < n_pix; ++t) {
        const int8_t *x;
        i = rev ? n_pix - 1 - t : t;
        x = in + ((i / p->out_w) * p->stride_h * p->in_w + (i % p->out_w) * p->stride_w) * p->in_c;
        if (in != out) {
            dsg_mv_s8(x, out + i * p->out_c, &d);
            continue;
        }
        dsg_mv_s8(x, y, &d);
        for (c = 0; c < p->out_c; ++c) out[i * p->out_c + c] = y[c];
    }
}
#endif

int32_t dsg_pointwise_conv_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p)
{
    if (p->kernel_h != 1 || p->kernel_w != 1 || p->groups != 1 || p->pad_top || p->pad_left ||
        (p->out_h - 1) * p->stride_h >= p->in_h || (p->out_w - 1) * p->stride_w >= p->in_w)
        return DSG_ERR_ARG; /* padding on any side */
    if (in == out) { /* in place: pixel-wise, every pixel read */
        if (p->out_c > DSG_PW_RING || p->stride_h != 1 ||
            p->stride_w != 1 || p->out_h != p->in_h || p->out_w != p->in_w)
            return DSG_ERR_ARG;
#if DSG_USE_DSP
        if (p->out_h * p->out_w < 4) {
            dsg_pw_mv_s8(in, out, p);
            return DSG_OK;
        }
        if (dsg_gemm_s8(in, out, p)) return DSG_OK;
#endif
#if DSG_PORTABLE_GEMM
        if (dsg_pgemm_inplace_s8(out, p, 0)) return DSG_OK;
#endif
        dsg_pw_inplace_s8(out, p);
        return DSG_OK;
    }
#if DSG_USE_DSP
    if (p->out_h * p->out_w < 4) {
        dsg_pw_mv_s8(in, out, p);
        return DSG_OK;
    }
    if (dsg_gemm_s8(in, out, p)) return DSG_OK;
#endif
#if DSG_PORTABLE_GEMM
    if (dsg_pgemm_s8(in, out, p, 0)) return DSG_OK;
#endif
    dsg_pw_direct_s8(in, out, p);
    return DSG_OK;
}

/* Pixel px's receptive field [kh][kw][C_in] as x - z_in in int16, padding 0 (the contract's
 * padding contributes 0): a row of the portable GEMM's left operand, and the paired kernels'
 * widened field on any core (dsg_pw2_field). */
DSG_VEC static void dsg_pg_row(const int8_t *in, const dsg_conv_params *p, int32_t px,
                               int16_t *restrict r)
{
    const int32_t iy0 = (px / p->out_w) * p->stride_h - p->pad_top;
    const int32_t ix0 = (px % p->out_w) * p->stride_w - p->pad_left;
    const int32_t z = p->z_in, cin = p->in_c;
    int32_t ky, kx, c;
    for (ky = 0; ky < p->kernel_h; ++ky) {
        const int32_t iy = iy0 + ky * p->dilation_h;
        for (kx = 0; kx < p->kernel_w; ++kx, r += cin) {
            /* a padded tap reads the first pixel masked to 0 (a zero-fill loop would become a
             * call to memset, which the library does not link against) */
            const int32_t ix = ix0 + kx * p->dilation_w;
            const int32_t inside = iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w;
            const int8_t *x = inside ? in + (iy * p->in_w + ix) * cin : in;
            const int32_t keep = -inside;
            for (c = 0; c < cin; ++c) r[c] = (int16_t)((x[c] - z) & keep);
        }
    }
}

/* ------------------------------------------------------------------ portable vectorizable GEMM */
#if DSG_PORTABLE_GEMM
/* s[4*j + i] = sum_n x_j[n] * w_i[n] for the 4 int16 rows x_j = x + j*k (already x - z_in) and
 * the 4 int8 weight rows w_i.  One contiguous loop of widening multiply-adds that GCC and Clang
 * turn into pmaddwd / vpdpwssd / smlal: every loaded vector feeds 4 products.  |x - z| <= 255
 * and |w| <= 128, so with k <= DSG_PKMAX no partial sum, in any order, leaves int32. */
DSG_VEC static void dsg_pg_4x4(const int16_t *x, int32_t k, const int8_t *const *w,
                               int32_t *s)
{
    const int16_t *x0 = x, *x1 = x + k, *x2 = x + 2 * k, *x3 = x + 3 * k;
    const int8_t *w0 = w[0], *w1 = w[1], *w2 = w[2], *w3 = w[3];
    int32_t s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
    int32_t s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
    int32_t n;
    for (n = 0; n < k; ++n) {
        const int16_t a0 = x0[n], a1 = x1[n], a2 = x2[n], a3 = x3[n];
        const int16_t b0 = w0[n], b1 = w1[n], b2 = w2[n], b3 = w3[n];
        s00 += a0 * b0; s01 += a0 * b1; s02 += a0 * b2; s03 += a0 * b3;
        s10 += a1 * b0; s11 += a1 * b1; s12 += a1 * b2; s13 += a1 * b3;
        s20 += a2 * b0; s21 += a2 * b1; s22 += a2 * b2; s23 += a2 * b3;
        s30 += a3 * b0; s31 += a3 * b1; s32 += a3 * b2; s33 += a3 * b3;
    }
    s[0] = s00; s[1] = s01; s[2] = s02; s[3] = s03;
    s[4] = s10; s[5] = s11; s[6] = s12; s[7] = s13;
    s[8] = s20; s[9] = s21; s[10] = s22; s[11] = s23;
    s[12] = s30; s[13] = s31; s[14] = s32; s[15] = s33;
}

/* Weight of output channel c, element i, of a layer stored in the paired layout of
 * dsg_pointwise_pair_s8 and dsg_conv_pair_s8 (rows of kp bytes per channel pair). */
static int32_t dsg_pw2_w(const int8_t *w, int32_t kp, int32_t c, int32_t i)
{
    return w[(c >> 1) * 2 * kp + (i >> 2) * 8 + (i & 1) * 4 + (i & 2) + (c & 1)];
}

#ifndef DSG_PPB
#define DSG_PPB 64 /* paired weights: channels unpaired per pass (DSG_PPB*DSG_KMAX bytes) */
#endif

/* Convolution with groups 1 (pointwise included) as a GEMM out[pixel][c] = row(pixel) . w[c]
 * in blocks of 4 pixels x 4 output channels; each block of pixels is widened once and reused by
 * every output channel of a pass (DSG_PCB channels), then requantized row by row.  Channel
 * tails repeat the last channel.  Weights in the paired layout (dsg_pointwise_pair_s8; k <=
 * DSG_KMAX) are copied back to rows DSG_PPB channels at a time, once per pass.  Returns 0
 * (nothing written) when k > DSG_PKMAX. */
static int32_t dsg_pgemm_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p,
                            int32_t paired)
{
    /* a grouped conv is one GEMM per group: its input channel slice, its output channels */
    const int32_t cin_g = p->in_c / p->groups, n_out = p->out_c / p->groups;
    const int32_t k = p->kernel_h * p->kernel_w * cin_g, n_pix = p->out_h * p->out_w;
    const int32_t fast = dsg_rqf_all_ok(p), cb = paired ? DSG_PPB : DSG_PCB;
    int16_t xb[4 * DSG_PKMAX];
    int32_t raw[4 * DSG_PCB];
    int8_t rows[DSG_PPB * DSG_KMAX];
    dsg_pstage st;
    int32_t c0, i, j, c, t;
    if (p->groups != 1 || k > DSG_PKMAX || k < 1 || (paired && k > DSG_KMAX)) return 0;
    for (c0 = 0; c0 < n_out; c0 += cb) {
        const int32_t nc = n_out - c0 < cb ? n_out - c0 : cb;
        for (c = 0; c < nc; ++c)
            dsg_pstage_set(&st, p, fast, c, c0 + c, p->bias ? (uint32_t)p->bias[c0 + c] : 0u);
        for (c = 0; paired && c < nc; ++c)
            for (i = 0; i < k; ++i)
                rows[c * k + i] = (int8_t)dsg_pw2_w(p->weights, (k + 3) & ~3, c0 + c, i);
        for (i = 0; i < n_pix; i += 4) {
            const int32_t np = n_pix - i < 4 ? n_pix - i : 4;
            for (j = 0; j < 4; ++j) dsg_pg_row(in, p, i + (j < np ? j : np - 1), xb + j * k);
            for (c = 0; c < nc; c += 4) {
                const int8_t *w[4];
                int32_t cc[4], s[16];
                for (t = 0; t < 4; ++t) {
                    cc[t] = c + t < nc ? c + t : nc - 1;
                    w[t] = paired ? rows + cc[t] * k : p->weights + (c0 + cc[t]) * k;
                }
                dsg_pg_4x4(xb, k, w, s);
                for (j = 0; j < 4; ++j)
                    for (t = 0; t < 4; ++t) raw[j * DSG_PCB + cc[t]] = s[4 * j + t];
            }
            for (j = 0; j < np; ++j)
                dsg_prq(raw + j * DSG_PCB, &st, fast, c0, nc, p, out + (i + j) * n_out + c0);
        }
    }
    return 1;
}
#endif

/* ------------------------------------------------------------------ im2col GEMM (DSP cores) */
#if DSG_USE_DSP
#define DSG_CBLK 64 /* output channels whose output stages are prepared at a time */
#ifndef DSG_WPAD
#define DSG_WPAD 1024 /* bytes of weight rows padded to a multiple of 4 (k % 4 != 0) */
#endif

/* x - z of four k-vectors as int16 lanes, per 4 elements 8 words {v0: x0,x2} {v0: x1,x3}
 * {v1: x0,x2} ... -- the lane order in which SXTB16 unpacks a weight word, so the GEMM needs no
 * repacking.  Done once per 4 pixels and reused by every output channel; x - z is in
 * [-255, 255]. */
static void dsg_expand4(const int8_t *const *v, int32_t n4, int32_t nz, int32_t *xb)
{
    int32_t g, j;
    for (g = 0; g < n4; ++g, xb += 8)
        for (j = 0; j < 4; ++j) {
            const uint32_t u = dsg_read4(v[j] + 4 * g);
            xb[2 * j] = dsg_sadd16(dsg_sxtb16(u), nz);
            xb[2 * j + 1] = dsg_sadd16(dsg_sxtb16_ror8(u), nz);
        }
}

/* The same with 2*(x - z) (in [-510, 510]) for np (4 or 6) pixels, 2*np words per group: the
 * accumulators come out doubled, for dsg_rq2. */
static void dsg_expandx2(const int8_t *const *v, int32_t np, int32_t n4, int32_t nz, int32_t *xb)
{
    int32_t g, j;
    for (j = 0; j < np; ++j) { /* pixel by pixel: one source pointer, SXTAB16 subtracts z */
        const int8_t *s = v[j];
        int32_t *d = xb + 2 * j;
        for (g = 0; g < n4; ++g, s += 4, d += 2 * np) {
            const uint32_t u = dsg_read4(s);
            const int32_t a = dsg_sxtab16(nz, u), b = dsg_sxtab16_ror8(nz, u);
            d[0] = dsg_sadd16(a, a);
            d[1] = dsg_sadd16(b, b);
        }
    }
}

/* n bytes from s to d (or the byte z to all of d when s is NULL), a word at a time: GCC would
 * turn the plain byte loops into memcpy/memset calls, which cost more than short rows do. */
DSG_INLINE void dsg_put_s8(int8_t *d, const int8_t *s, int32_t n, uint32_t zz)
{
    for (; n >= 4; n -= 4, d += 4) {
        const uint32_t v = s ? dsg_read4(s) : zz;
        memcpy(d, &v, 4);
        if (s) s += 4;
    }
    for (; n > 0; --n, ++d) {
        *d = s ? *s : (int8_t)(zz & 0xFFu);
        if (s) ++s;
    }
}

/* n bytes from s to d (or the word zz's byte to all of d when s is NULL): words, then a
 * halfword and a byte, so that GCC sees no byte loop to turn into a memcpy/memset call. */
DSG_INLINE void dsg_run_s8(int8_t *d, const int8_t *s, int32_t n, uint32_t zz)
{
    uint32_t v = zz;
    if (s) {
        for (; n >= 4; n -= 4, d += 4, s += 4) {
            v = dsg_read4(s);
            memcpy(d, &v, 4);
        }
        if (n & 2) {
            memcpy(d, s, 2);
            d += 2;
            s += 2;
        }
        if (n & 1) *d = *s;
        return;
    }
    for (; n >= 4; n -= 4, d += 4) memcpy(d, &v, 4);
    if (n & 2) {
        memcpy(d, &v, 2);
        d += 2;
    }
    if (n & 1) *d = (int8_t)(v & 0xFFu);
}

/* The receptive field of output pixel px as a k-vector r =
 * [kh][kw][cg] (padding = z_in, which the expansion turns into 0) of the cg channels at in: a
 * group's slice of each pixel, or all of it; then a kernel row is one contiguous run of the
 * input, of which the columns inside the image [lo, hi) are copied and the rest filled. */
DSG_NOINLINE static void dsg_gather_px(const int8_t *in, const dsg_conv_params *p, int32_t px,
                                       int8_t *r, int32_t cg)
{
    const int32_t iy0 = (px / p->out_w) * p->stride_h - p->pad_top;
    const int32_t ix0 = (px % p->out_w) * p->stride_w - p->pad_left;
    const int32_t ch = p->in_c, kw = p->kernel_w, run = kw * cg, in_w = p->in_w;
    const uint32_t zz = ((uint32_t)p->z_in & 0xFFu) * 0x01010101u;
    int32_t ky, kx;
    if (cg == ch && p->dilation_w == 1) {
        /* columns [kx0, kx1) of the kernel row are inside the image */
        const int32_t kx0 = ix0 >= 0 ? 0 : -ix0 < kw ? -ix0 : kw;
        const int32_t e = in_w - ix0, kx1 = e < kx0 ? kx0 : e < kw ? e : kw;
        const int32_t lo = kx0 * ch, hi = kx1 * ch, rstep = p->dilation_h * in_w * ch;
        /* offset of the run's byte lo on input row iy: only [lo, hi) of a run is read */
        int32_t iy = iy0, off = (iy0 * in_w + ix0) * ch + lo;
        for (ky = 0; ky < p->kernel_h; ++ky, r += run, iy += p->dilation_h, off += rstep) {
            if ((uint32_t)iy >= (uint32_t)p->in_h) {
                dsg_run_s8(r, 0, run, zz);
            } else {
                dsg_run_s8(r, 0, lo, zz);
                dsg_run_s8(r + lo, in + off, hi - lo, zz);
                dsg_run_s8(r + hi, 0, run - hi, zz);
            }
        }
        return;
    }
    for (ky = 0; ky < p->kernel_h; ++ky, r += run) {
        const int32_t iy = iy0 + ky * p->dilation_h;
        if (iy < 0 || iy >= p->in_h) {
            dsg_put_s8(r, 0, run, zz);
        } else {
            for (kx = 0; kx < kw; ++kx) {
                const int32_t ix = ix0 + kx * p->dilation_w;
                dsg_put_s8(r + kx * cg, ix < 0 || ix >= in_w ? 0 : in + (iy * in_w + ix) * ch,
                           cg, zz);
            }
        }
    }
}

/* The receptive fields of output pixels i .. i + np - 1 (the last pixel, n_pix - 1, repeated
 * beyond it) as k-vectors raw[j].  When the kernel rows are contiguous runs of the input (cg =
 * C_in, no dilation along W): a window whose columns are inside the image copies each row
 * inside a word at a time; a 4-byte run (a C_in = 1 first layer's 1x4 row) that sticks out of
 * the image on one side is the word inside the row next to it, shifted, with z_in in the bytes
 * outside; rows outside the image are z_in.  Returns the pixels left to dsg_gather_px (bit j:
 * raw[j]), which the GEMM calls itself: not inlined and not nested, so that neither adds its
 * frame to the other's on top of the GEMM's, which sets the stack high-water mark. */
DSG_NOINLINE static uint32_t dsg_gather_s8(const int8_t *in, const dsg_conv_params *p,
                                           int32_t i, int32_t np, int32_t n_pix,
                                           int8_t (*raw)[DSG_KMAX], int32_t cg)
{
    uint32_t rest = 0;
    const int32_t ch = p->in_c, run = p->kernel_w * cg, kh = p->kernel_h, rowb = p->in_w * ch;
    const int32_t nw = run >> 2, nt = run & 3, rstep = p->dilation_h * rowb;
    const int32_t runs = cg == ch && p->dilation_w == 1, xmax = p->in_w - p->kernel_w;
    const int32_t word4 = runs && run == 4 && rowb >= 4;
    const int32_t ymax = p->in_h - 1 - (kh - 1) * p->dilation_h;
    const uint32_t zz = ((uint32_t)p->z_in & 0xFFu) * 0x01010101u;
    int32_t j, ky, w, oy = i / p->out_w, ox = i % p->out_w;
    for (j = 0; j < np; ++j) {
        int8_t *r = raw[j];
        int32_t iy, ix0, off;
        if (i + j >= n_pix) { /* a repeat of the last pixel */
            if (rest >> (j - 1) & 1u)
                rest |= 1u << j;
            else
                memcpy(r, raw[j - 1], (size_t)(run * kh));
            continue;
        }
        if (j > 0 && ++ox == p->out_w) {
            ox = 0;
            ++oy;
        }
        iy = oy * p->stride_h - p->pad_top;
        ix0 = ox * p->stride_w - p->pad_left;
        if (runs && ix0 >= 0 && ix0 <= xmax && iy >= 0 && iy <= ymax) { /* all inside */
            for (ky = 0, off = iy * rowb + ix0 * ch; ky < kh; ++ky, r += run, off += rstep) {
                for (w = 0; w < nw; ++w) {
                    const uint32_t v = dsg_read4(in + off + 4 * w);
                    memcpy(r + 4 * w, &v, 4);
                }
                if (nt) dsg_run_s8(r + 4 * nw, in + off + 4 * nw, nt, 0);
            }
        } else if (runs && ix0 >= 0 && ix0 <= xmax) {
            for (ky = 0, off = iy * rowb + ix0 * ch; ky < kh;
                 ++ky, r += run, iy += p->dilation_h, off += rstep) {
                if ((uint32_t)iy >= (uint32_t)p->in_h) {
                    dsg_run_s8(r, 0, run, zz);
                    continue;
                }
                for (w = 0; w < nw; ++w) {
                    const uint32_t v = dsg_read4(in + off + 4 * w);
                    memcpy(r + 4 * w, &v, 4);
                }
                if (nt) dsg_run_s8(r + 4 * nw, in + off + 4 * nw, nt, 0);
            }
        } else if (word4) {
            /* the run starts sh bytes after the row's word at st (sh < 0: before the row) */
            const int32_t b0 = ix0 * ch, st = b0 < 0 ? 0 : rowb - 4, sh = b0 - st;
            const int32_t out = sh <= -4 || sh >= 4; /* the whole run is outside */
            const uint32_t sl = out || sh > 0 ? 0u : (uint32_t)(-8 * sh);
            const uint32_t sr = out || sh < 0 ? 0u : (uint32_t)(8 * sh);
            const uint32_t zm = out ? 0xFFFFFFFFu
                                    : sh < 0 ? ((uint32_t)1 << sl) - 1u : ~(0xFFFFFFFFu >> sr);
            for (ky = 0, off = iy * rowb + st; ky < kh;
                 ++ky, r += run, iy += p->dilation_h, off += rstep) {
                uint32_t v = zz;
                if ((uint32_t)iy < (uint32_t)p->in_h && !out)
                    v = ((dsg_read4(in + off) >> sr) << sl & ~zm) | (zz & zm);
                memcpy(r, &v, 4);
            }
        } else {
            rest |= 1u << j;
        }
    }
    return rest;
}

/* The GEMM's inner loop, 4 pixels x 1 output channel: s_j += v_j . w over n groups of 4
 * elements, xp walking the dsg_expand4 buffer (8 words per group) and wp the weight row.  Per
 * group LDR + 2 SXTB16 + 4 LDRD + 8 SMLAD = 15 instructions for 16 MACs (+1 of loop, unrolled
 * twice); the weight word is unpacked once for four pixels.  GCC's schedule of the C version
 * needs a few more registers than Cortex-M4 has and reloads, hence the assembly.  Same integers
 * either way: SMLAD wraps modulo 2^32, and the final sum is the contract's accumulator. */
#if defined(__ARM_FEATURE_DSP) && !defined(DSG_NO_DSP) && defined(__GNUC__)
#define DSG_MM4_GROUP                                                                         \
    "ldr    %[u], [%[pw]], #4\n\t"                                                            \
    "sxtb16 %[t], %[u]\n\t"                                                                   \
    "sxtb16 %[u], %[u], ror #8\n\t"                                                           \
    "ldrd   %[x0], %[x1], [%[px]], #32\n\t"                                                   \
    "smlad  %[q0], %[x0], %[t], %[q0]\n\t"                                                    \
    "smlad  %[q0], %[x1], %[u], %[q0]\n\t"                                                    \
    "ldrd   %[x0], %[x1], [%[px], #-24]\n\t"                                                  \
    "smlad  %[q1], %[x0], %[t], %[q1]\n\t"                                                    \
    "smlad  %[q1], %[x1], %[u], %[q1]\n\t"                                                    \
    "ldrd   %[x0], %[x1], [%[px], #-16]\n\t"                                                  \
    "smlad  %[q2], %[x0], %[t], %[q2]\n\t"                                                    \
    "smlad  %[q2], %[x1], %[u], %[q2]\n\t"                                                    \
    "ldrd   %[x0], %[x1], [%[px], #-8]\n\t"                                                   \
    "smlad  %[q3], %[x0], %[t], %[q3]\n\t"                                                    \
    "smlad  %[q3], %[x1], %[u], %[q3]\n\t"
#define DSG_MM4_OPERANDS                                                                      \
    : [q0] "+r"(s0), [q1] "+r"(s1), [q2] "+r"(s2), [q3] "+r"(s3), [px] "+r"(xp_),             \
      [pw] "+r"(wp_), [cnt] "+r"(n_), [x0] "=&r"(x0_), [x1] "=&r"(x1_), [u] "=&r"(u_),        \
      [t] "=&r"(t_)                                                                           \
    :                                                                                         \
    : "cc", "memory"
#define DSG_MM4_LOOP(xp, wp, n, s0, s1, s2, s3)                                               \
    do {                                                                                      \
        int32_t x0_, x1_, u_, t_, n_ = (n) >> 1;                                              \
        const int32_t *xp_ = (xp);                                                            \
        const int8_t *wp_ = (wp);                                                             \
        if (n_ > 0)                                                                           \
            __asm__("1:\n\t" DSG_MM4_GROUP DSG_MM4_GROUP "subs   %[cnt], %[cnt], #1\n\t"      \
                    "bne    1b" DSG_MM4_OPERANDS);                                            \
        if ((n) & 1) __asm__(DSG_MM4_GROUP DSG_MM4_OPERANDS);                                 \
    } while (0)
#else
#define DSG_MM4_LOOP(xp, wp, n, s0, s1, s2, s3)                                               \
    do {                                                                                      \
        int32_t n_;                                                                           \
        const int32_t *xp_ = (xp);                                                            \
        const int8_t *wp_ = (wp);                                                             \
        for (n_ = (n); n_ > 0; --n_, xp_ += 8, wp_ += 4) {                                    \
            const uint32_t u = dsg_read4(wp_);                                                \
            const int32_t w02 = dsg_sxtb16(u), w13 = dsg_sxtb16_ror8(u);                      \
            s0 = dsg_smlad(xp_[1], w13, dsg_smlad(xp_[0], w02, s0));                          \
            s1 = dsg_smlad(xp_[3], w13, dsg_smlad(xp_[2], w02, s1));                          \
            s2 = dsg_smlad(xp_[5], w13, dsg_smlad(xp_[4], w02, s2));                          \
            s3 = dsg_smlad(xp_[7], w13, dsg_smlad(xp_[6], w02, s3));                          \
        }                                                                                     \
    } while (0)
#endif

typedef struct {
    const int32_t *xb;   /* dsg_expand4 of v */
    const int8_t *v[6];  /* the raw k-vectors (4, or 6 for the assembly), for the k % 4 tail */
    int8_t *y[6];        /* their output pixels */
    int32_t k, z, lo, hi;
} dsg_mm_in;

/* Output channels [0, nch) (weights w, output stages f) of the four pixels of x; with lp (a
 * LeakyReLU layer, whose channel c is lp's c_first + c) the contract's two-multiplier stage. */
DSG_NOINLINE static void dsg_mm4_channels(const dsg_mm_in *x, const int8_t *w, const dsg_rqf *f,
                                          int32_t nch, const dsg_conv_params *lp,
                                          int32_t c_first)
{
    const int32_t k = x->k, n4 = k >> 2, lo = x->lo, hi = x->hi;
    int8_t *y0 = x->y[0], *y1 = x->y[1], *y2 = x->y[2], *y3 = x->y[3];
    int32_t c, i;
    for (c = 0; c < nch; ++c, w += k) {
        int32_t s0 = lp ? (lp->bias ? lp->bias[c_first + c] : 0) : f[c].bias;
        int32_t s1 = s0, s2 = s0, s3 = s0;
        DSG_MM4_LOOP(x->xb, w, n4, s0, s1, s2, s3);
        for (i = n4 * 4; i < k; ++i) { /* k % 4 tail, wrapping like SMLAD */
            const int32_t wi = w[i], z = x->z;
            s0 = dsg_u2i((uint32_t)s0 + (uint32_t)(wi * (x->v[0][i] - z)));
            s1 = dsg_u2i((uint32_t)s1 + (uint32_t)(wi * (x->v[1][i] - z)));
            s2 = dsg_u2i((uint32_t)s2 + (uint32_t)(wi * (x->v[2][i] - z)));
            s3 = dsg_u2i((uint32_t)s3 + (uint32_t)(wi * (x->v[3][i] - z)));
        }
        if (lp) {
            const dsg_outp o = dsg_outp_make(lp->mult, lp->shift, lp->mult_neg, lp->shift_neg,
                                             c_first + c, lp->z_out, lo, hi);
            y0[c] = (int8_t)dsg_outp_apply(&o, s0);
            y1[c] = (int8_t)dsg_outp_apply(&o, s1);
            y2[c] = (int8_t)dsg_outp_apply(&o, s2);
            y3[c] = (int8_t)dsg_outp_apply(&o, s3);
        } else {
            const dsg_rqf fc = f[c];
            y0[c] = (int8_t)dsg_clamp(dsg_rqf_apply(&fc, s0), lo, hi);
            y1[c] = (int8_t)dsg_clamp(dsg_rqf_apply(&fc, s1), lo, hi);
            y2[c] = (int8_t)dsg_clamp(dsg_rqf_apply(&fc, s2), lo, hi);
            y3[c] = (int8_t)dsg_clamp(dsg_rqf_apply(&fc, s3), lo, hi);
        }
    }
}

/* dsg_mm4_channels on doubled inputs and biases, with the dsg_rq2 output stage. */
DSG_INLINE void dsg_mm4_ch2(const dsg_mm_in *x, const int8_t *w, const dsg_rqf *f,
                               int32_t nch, int32_t sat8)
{
    const int32_t k = x->k, n4 = k >> 2, lo = x->lo, hi = x->hi;
    int8_t *y0 = x->y[0], *y1 = x->y[1], *y2 = x->y[2], *y3 = x->y[3];
    int32_t c, i;
    for (c = 0; c < nch; ++c, w += k) {
        int32_t s0 = f[c].bias, s1 = s0, s2 = s0, s3 = s0;
        DSG_MM4_LOOP(x->xb, w, n4, s0, s1, s2, s3);
        for (i = n4 * 4; i < k; ++i) { /* k % 4 tail, wrapping like SMLAD */
            const int32_t wi = 2 * w[i], z = x->z;
            s0 = dsg_u2i((uint32_t)s0 + (uint32_t)(wi * (x->v[0][i] - z)));
            s1 = dsg_u2i((uint32_t)s1 + (uint32_t)(wi * (x->v[1][i] - z)));
            s2 = dsg_u2i((uint32_t)s2 + (uint32_t)(wi * (x->v[2][i] - z)));
            s3 = dsg_u2i((uint32_t)s3 + (uint32_t)(wi * (x->v[3][i] - z)));
        }
        {
            const int32_t q = f[c].mult, hz = f[c].hz, r = f[c].r;
            y0[c] = (int8_t)dsg_sat(dsg_rq2(s0, q, hz, r), sat8, lo, hi);
            y1[c] = (int8_t)dsg_sat(dsg_rq2(s1, q, hz, r), sat8, lo, hi);
            y2[c] = (int8_t)dsg_sat(dsg_rq2(s2, q, hz, r), sat8, lo, hi);
            y3[c] = (int8_t)dsg_sat(dsg_rq2(s3, q, hz, r), sat8, lo, hi);
        }
    }
}

#if defined(__ARM_FEATURE_DSP) && !defined(DSG_NO_DSP) && defined(__GNUC__) && defined(__thumb2__)
#define DSG_MM4_ASM 1
/* dsg_mm4_ch2_sat for 4 or 6 consecutive output pixels (y, y + n_out, y + 2 n_out, ...) and
 * k % 4 == 0, all in assembly: the C version spills the output pointers and the loop state
 * around the inner loop.  The sums start from the bias; {q, hz, R} are dsg_rqf words 1, 2, 4.
 * Both kernels advance the job's f and y channel by channel. */
typedef struct {
    const int32_t *xb;  /* [0]  dsg_expandx2 of the pixels */
    const int8_t *w;    /* [4]  weight row of the first channel; rows follow each other */
    const dsg_rqf *f;   /* [8]  output stages, one per channel */
    int8_t *y;          /* [12] pixel 0, first channel */
    int32_t n_out;      /* [16] pixel stride of the output */
    int32_t n4;         /* [20] k / 4 (>= 1) */
    const dsg_rqf *end; /* [24] f + channels */
} dsg_mm4_job;

/* The output stage of sum s: r1 = q, r2 = hz, r3 = R, r10 scratch (dsg_rq2, then SSAT). */
#define DSG_MM_RQ(s)                                                                          \
    "add    r10, r2, " s ", asr #31\n\t"                                                       \
    "smmlar " s ", " s ", r1, r10\n\t"                                                         \
    "asr    " s ", " s ", r3\n\t"                                                              \
    "ssat   " s ", #8, " s "\n\t"

/* One group of 4 k for 4 pixels (8 expanded words): the weight word and the first 4 input words
 * as one run of back-to-back single loads (a run of n LDRs takes n + 1 cycles on Cortex-M4),
 * the other 4 as an LDM (1 + 4 cycles): 11 load cycles instead of the 14 of 1 LDR + 4 LDRD,
 * 14 instructions for 16 MACs.  Every group is the same code (post-incremented pointers), so
 * the loop can be entered at any group. */
#define DSG_MM4_GA(a4, a5, a6, a7)                                                             \
    "ldr    r10, [lr], #4\n\t"                                                                 \
    "ldr    r0, [r12], #16\n\t"                                                                \
    "ldr    r1, [r12, #-12]\n\t"                                                               \
    "ldr    r2, [r12, #-8]\n\t"                                                                \
    "ldr    r3, [r12, #-4]\n\t"                                                                \
    "sxtb16 r11, r10\n\t"                                                                      \
    "sxtb16 r10, r10, ror #8\n\t"                                                              \
    "smlad  r4, r0, r11, " a4 "\n\t"                                                           \
    "smlad  r4, r1, r10, r4\n\t"                                                               \
    "smlad  r5, r2, r11, " a5 "\n\t"                                                           \
    "smlad  r5, r3, r10, r5\n\t"                                                               \
    "ldmia  r12!, {r0-r3}\n\t"                                                                 \
    "smlad  r6, r0, r11, " a6 "\n\t"                                                           \
    "smlad  r6, r1, r10, r6\n\t"                                                               \
    "smlad  r7, r2, r11, " a7 "\n\t"                                                           \
    "smlad  r7, r3, r10, r7\n\t"
#define DSG_MM4_G DSG_MM4_GA("r4", "r5", "r6", "r7")
/* the first group of a channel: the sums start from the bias, r7 (which it writes last) */
#define DSG_MM4_G1 DSG_MM4_GA("r7", "r7", "r7", "r7")

/* Each channel runs its first group outside the loop (starting the sums from the bias), then
 * enters the loop, unrolled 8 groups deep, at the group that leaves a multiple of 8 (every
 * group's code has the same size: the entry is computed once per call from the first two
 * labels); r8 = end of the input buffer, r9 = the entry.  Frame: [sp] = j. */
__attribute__((naked)) static void dsg_mm4_sat_asm(dsg_mm4_job *j __attribute__((unused)))
{
    /* loop: r0-r3 inputs, r4-r7 sums, r10/r11 weight word unpacked, r12 inputs, lr weights */
    __asm__("push   {r4-r11, lr}\n\t"
            "sub    sp, sp, #4\n\t"
            "str    r0, [sp]\n\t"
            "ldr    r2, [r0]\n\t"
            "ldr    r8, [r0, #20]\n\t"
            "ldr    lr, [r0, #4]\n\t"
            "adr    r9, 19f\n\t"
            "subs   r1, r8, #1\n\t"
            "add    r8, r2, r8, lsl #5\n\t"
            "beq    5f\n\t"
            "rsb    r1, r1, #0\n\t"
            "and    r1, r1, #7\n\t"
            "adr    r9, 10f\n\t"
            "adr    r3, 11f\n\t"
            "sub    r3, r3, r9\n\t"
            "mla    r9, r1, r3, r9\n\t"
            "5:\n\t"
            "orr    r9, r9, #1\n\t"
            "2:\n\t"
            "ldr    r12, [r0]\n\t"
            "ldr    r2, [r0, #8]\n\t"
            "ldr    r7, [r2]\n\t"
            DSG_MM4_G1
            "bx     r9\n\t"
            "10:\n\t" DSG_MM4_G
            "11:\n\t"
            ".rept  7\n\t" DSG_MM4_G ".endr\n\t"
            "19:\n\t"
            "cmp    r12, r8\n\t"
            "bne    10b\n\t"
            "ldr    r0, [sp]\n\t"
            "ldr    r11, [r0, #8]\n\t"
            "ldr    r1, [r11, #4]\n\t"
            "ldr    r2, [r11, #8]\n\t"
            "ldr    r3, [r11, #16]\n\t"
            DSG_MM_RQ("r4") DSG_MM_RQ("r5") DSG_MM_RQ("r6") DSG_MM_RQ("r7")
            "ldr    r10, [r0, #12]\n\t"
            "ldr    r3, [r0, #16]\n\t"
            "add    r12, r10, r3, lsl #1\n\t"
            "strb   r4, [r10]\n\t"
            "strb   r5, [r10, r3]\n\t"
            "strb   r6, [r12]\n\t"
            "strb   r7, [r12, r3]\n\t"
            "adds   r10, r10, #1\n\t"
            "str    r10, [r0, #12]\n\t"
            "adds   r11, r11, #20\n\t"
            "str    r11, [r0, #8]\n\t"
            "ldr    r1, [r0, #24]\n\t"
            "cmp    r11, r1\n\t"
            "bne    2b\n\t"
            "add    sp, sp, #4\n\t"
            "pop    {r4-r11, pc}\n\t");
}

/* One group of 4 k for 6 pixels (12 expanded words): the weight word and the first 4 input
 * words as one run of back-to-back single loads (a run of n LDRs takes n + 1 cycles on
 * Cortex-M4), the other 8 input words as two 4-register LDMs (1 + 4 cycles each): 16 load
 * cycles instead of the 20 of 1 LDR + 6 LDRD, in as many instructions (21 for 24 MACs).  Every
 * group is the same code (post-incremented pointers), so the loop can be entered at any group. */
#define DSG_MM6_GA(a4, a5, a6, a7, a8, a9)                                                     \
    "ldr    r10, [lr], #4\n\t"                                                                 \
    "ldr    r0, [r12], #16\n\t"                                                                \
    "ldr    r1, [r12, #-12]\n\t"                                                               \
    "ldr    r2, [r12, #-8]\n\t"                                                                \
    "ldr    r3, [r12, #-4]\n\t"                                                                \
    "sxtb16 r11, r10\n\t"                                                                      \
    "sxtb16 r10, r10, ror #8\n\t"                                                              \
    "smlad  r4, r0, r11, " a4 "\n\t"                                                           \
    "smlad  r4, r1, r10, r4\n\t"                                                               \
    "smlad  r5, r2, r11, " a5 "\n\t"                                                           \
    "smlad  r5, r3, r10, r5\n\t"                                                               \
    "ldmia  r12!, {r0-r3}\n\t"                                                                 \
    "smlad  r6, r0, r11, " a6 "\n\t"                                                           \
    "smlad  r6, r1, r10, r6\n\t"                                                               \
    "smlad  r7, r2, r11, " a7 "\n\t"                                                           \
    "smlad  r7, r3, r10, r7\n\t"                                                               \
    "ldmia  r12!, {r0-r3}\n\t"                                                                 \
    "smlad  r8, r0, r11, " a8 "\n\t"                                                           \
    "smlad  r8, r1, r10, r8\n\t"                                                               \
    "smlad  r9, r2, r11, " a9 "\n\t"                                                           \
    "smlad  r9, r3, r10, r9\n\t"
#define DSG_MM6_G DSG_MM6_GA("r4", "r5", "r6", "r7", "r8", "r9")
/* the first group of a channel: the sums start from the bias, r9 (which it writes last) */
#define DSG_MM6_G1 DSG_MM6_GA("r9", "r9", "r9", "r9", "r9", "r9")

/* The same for 6 consecutive pixels: one weight word unpacked for 6 pixels, about 30 estimated
 * cycles per 24 MACs in the loop (the LDRD version: 34).  Six sums, the unpacked weight, four
 * input words and the two stream pointers take all 14 registers, so the loop has no counter:
 * it is unrolled 16 groups deep, compares the input pointer with its end (on the stack) once per
 * 16 groups, and each channel runs its first group outside the loop (starting the sums from
 * the bias) and then enters the loop at the group that leaves a multiple of 16 (every group's
 * code has the same size: the entry is computed once per call from the first two labels).
 * Frame: [sp] input end, [sp+4] j, [sp+8] loop entry; the channel's output stage j->f and
 * output pointer j->y advance in j. */
__attribute__((naked)) static void dsg_mm6_sat_asm(dsg_mm4_job *j __attribute__((unused)))
{
    /* loop: r0-r3 inputs, r4-r9 sums, r10/r11 weight word unpacked, r12 inputs, lr weights;
     * between channels r0 = j */
    __asm__("push   {r4-r11, lr}\n\t"
            "sub    sp, sp, #12\n\t"
            "str    r0, [sp, #4]\n\t"
            "ldr    r2, [r0]\n\t"
            "ldr    r8, [r0, #20]\n\t"
            "ldr    lr, [r0, #4]\n\t"
            "add    r1, r8, r8, lsl #1\n\t"
            "add    r1, r2, r1, lsl #4\n\t"
            "adr    r7, 19f\n\t"
            "subs   r8, r8, #1\n\t"
            "beq    5f\n\t"
            "rsb    r8, r8, #0\n\t"
            "and    r8, r8, #15\n\t"
            "adr    r7, 10f\n\t"
            "adr    r9, 11f\n\t"
            "sub    r9, r9, r7\n\t"
            "mla    r7, r8, r9, r7\n\t"
            "5:\n\t"
            "orr    r7, r7, #1\n\t"
            "str    r1, [sp]\n\t"
            "str    r7, [sp, #8]\n\t"
            "2:\n\t"
            "ldr    r12, [r0]\n\t"
            "ldr    r2, [r0, #8]\n\t"
            "ldr    r9, [r2]\n\t"
            DSG_MM6_G1
            "ldr    r1, [sp, #8]\n\t"
            "bx     r1\n\t"
            "10:\n\t" DSG_MM6_G
            "11:\n\t"
            ".rept  15\n\t" DSG_MM6_G ".endr\n\t"
            "19:\n\t"
            "ldr    r0, [sp]\n\t"
            "cmp    r12, r0\n\t"
            "bne    10b\n\t"
            "ldr    r0, [sp, #4]\n\t"
            "ldr    r11, [r0, #8]\n\t"
            "ldr    r1, [r11, #4]\n\t"
            "ldr    r2, [r11, #8]\n\t"
            "ldr    r3, [r11, #16]\n\t"
            DSG_MM_RQ("r4") DSG_MM_RQ("r5") DSG_MM_RQ("r6")
            DSG_MM_RQ("r7") DSG_MM_RQ("r8") DSG_MM_RQ("r9")
            "ldr    r10, [r0, #12]\n\t"
            "ldr    r3, [r0, #16]\n\t"
            "add    r12, r10, r3, lsl #1\n\t"
            "add    r1, r12, r3, lsl #1\n\t"
            "strb   r4, [r10]\n\t"
            "strb   r5, [r10, r3]\n\t"
            "strb   r6, [r12]\n\t"
            "strb   r7, [r12, r3]\n\t"
            "strb   r8, [r1]\n\t"
            "strb   r9, [r1, r3]\n\t"
            "adds   r10, r10, #1\n\t"
            "str    r10, [r0, #12]\n\t"
            "adds   r11, r11, #20\n\t"
            "str    r11, [r0, #8]\n\t"
            "ldr    r1, [r0, #24]\n\t"
            "cmp    r11, r1\n\t"
            "bne    2b\n\t"
            "add    sp, sp, #12\n\t"
            "pop    {r4-r11, pc}\n\t");
}

/* Runs the 4- or 6-pixel assembly GEMM over the channel runs [run[2i], run[2i + 1]) of the
 * block: the channels that are not constant. */
static void dsg_mm_runs(const dsg_mm_in *x, int32_t np, const int8_t *w, const dsg_rqf *f,
                        const int32_t *run, int32_t n_runs, int32_t n_out)
{
    dsg_mm4_job j;
    int32_t r;
    j.xb = x->xb;
    j.n_out = n_out;
    j.n4 = x->k >> 2;
    for (r = 0; r < n_runs; ++r) {
        const int32_t a = run[2 * r];
        j.w = w + a * x->k;
        j.f = f + a;
        j.y = x->y[0] + a;
        j.end = f + run[2 * r + 1];
        if (np == 6)
            dsg_mm6_sat_asm(&j);
        else
            dsg_mm4_sat_asm(&j);
    }
}

/* The last, partial block of a layer (n < np pixels, the expanded buffer repeating the last
 * one) through the np-pixel assembly: it writes its np x nc outputs to tmp, of which the n real
 * pixels' rows are copied out.  Cheaper than running the block in C. */
DSG_INLINE void dsg_mm_tail(dsg_mm_in *x, int32_t np, int32_t n, const int8_t *w,
                            const dsg_rqf *f, const int32_t *run, int32_t n_runs, int32_t nc,
                            int8_t *tmp)
{
    int8_t *y0 = x->y[0];
    int32_t j, r, c;
    x->y[0] = tmp;
    dsg_mm_runs(x, np, w, f, run, n_runs, nc);
    x->y[0] = y0;
    for (j = 0; j < n; ++j)
        for (r = 0; r < n_runs; ++r)
            for (c = run[2 * r]; c < run[2 * r + 1]; ++c) x->y[j][c] = tmp[j * nc + c];
}
#else
#define DSG_MM4_ASM 0
#define dsg_mm_runs(x, np, w, f, run, n_runs, n_out) ((void)(run), (void)(n_runs))
#define dsg_mm_tail(x, np, n, w, f, run, n_runs, nc, tmp) ((void)(run), (void)(tmp))
#endif

DSG_NOINLINE static void dsg_mm4_ch2_sat(const dsg_mm_in *x, const int8_t *w, const dsg_rqf *f,
                                         int32_t nch)
{
    dsg_mm4_ch2(x, w, f, nch, 1);
}

DSG_NOINLINE static void dsg_mm4_ch2_clamp(const dsg_mm_in *x, const int8_t *w,
                                           const dsg_rqf *f, int32_t nch)
{
    dsg_mm4_ch2(x, w, f, nch, 0);
}

/* Convolution with groups 1 as a GEMM: out[pixel][c] = im2col(pixel) . w[c], weights in their
 * contract layout [C_out][kh][kw][C_in] (each row is one k-vector).  A 1x1 conv without padding
 * reads its pixels in place; other convs gather them, so a C_in = 1 first layer becomes
 * k = kh*kw dot products instead of kh*kw dot products of length 1.  Blocks of 4 pixels (the
 * last block repeats its last pixel, writing the same values twice).  Needs k <= DSG_KMAX and
 * the fast output stage on every channel; returns 0 (nothing written) otherwise. */
/* A channel with an all-zero weight row outputs a constant, clamp(z_out + RQ(bias)), whatever
 * the input.  QDQ exports give pruned channels such rows with a saturated bias and a scale far
 * below the fast output stage's range; the GEMM writes their constant instead of computing
 * them, so they do not send the whole layer to the slow path. */
static int32_t dsg_zero_row(const int8_t *w, int32_t k)
{
    /* eight bytes per test: a zero row is read to its end (VWW's pruned channels: 150 k bytes
     * per inference, which a byte loop spent about 750 k instructions on) */
    int32_t i = 0;
    for (; i + 8 <= k; i += 8)
        if (dsg_read4(w + i) | dsg_read4(w + i + 4)) return 0;
    for (; i < k; ++i)
        if (w[i]) return 0;
    return 1;
}

/* Channel c in the doubled fast stage (dsg_rq2): fast multiplier, and a bias within the bound
 * (a dead channel, q = 0, outputs z_out whatever its accumulator). */
DSG_INLINE int32_t dsg_fast2(const dsg_conv_params *p, int32_t c, int32_t lim)
{
    const int32_t b = p->bias ? p->bias[c] : 0;
    return dsg_rqf_ok(p->mult[c], p->shift[c], p->z_out) &&
           (p->mult[c] == 0 || (b <= lim && b >= -lim));
}

/* 1 when the GEMM takes the layer: every channel is fast, or constant (dsg_zero_row); *dbl
 * tells whether the non-constant ones all take the doubled stage, *cst whether any is not
 * fast2 (then the blocks classify their channels). */
static int32_t dsg_gemm_ok(const dsg_conv_params *p, int32_t k, int32_t lim, int32_t *dbl,
                           int32_t *cst)
{
    int32_t c;
    *dbl = k <= 16384;
    *cst = 0;
    if (p->mult_neg) { /* LeakyReLU: the contract's output stage (dsg_outp), undoubled */
        *dbl = 0;
        return 1;
    }
    for (c = 0; c < p->out_c; ++c) {
        if (dsg_fast2(p, c, lim)) continue;
        *cst = 1;
        if (dsg_zero_row(p->weights + c * k, k)) continue;
        if (!dsg_rqf_ok(p->mult[c], p->shift[c], p->z_out)) return 0;
        *dbl = 0; /* fast, but its bias may overflow the doubled stage */
    }
    return 1;
}

static int32_t dsg_gemm_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p)
{
    /* a grouped conv is one GEMM per group: its input channel slice, its output channels */
    const int32_t cin_g = p->in_c / p->groups, n_out = p->out_c / p->groups;
    const int32_t k = p->kernel_h * p->kernel_w * cin_g, n_pix = p->out_h * p->out_w;
    /* a 1x1 conv whose every output pixel reads an input pixel (no padding on any side) */
    int32_t in_place = p->kernel_h == 1 && p->kernel_w == 1 && !p->pad_top &&
                             !p->pad_left && (p->out_h - 1) * p->stride_h < p->in_h &&
                             (p->out_w - 1) * p->stride_w < p->in_w;
    const int32_t nz = dsg_u2i(((uint32_t)(-p->z_in) & 0xFFFFu) * 0x10001u);
    const uint32_t zz = ((uint32_t)p->z_in & 0xFFu) * 0x01010101u;
    /* k rounded up to whole groups of 4: a k % 4 tail (an RGB first layer's 27) is padded with
     * zero weights and z_in inputs, which the assembly then runs like any other group */
    const int32_t kp = (k + 3) & ~3;
    int32_t xb[3 * DSG_KMAX];
    int8_t raw[6][DSG_KMAX];
    int8_t wpad[DSG_WPAD];
    const int32_t lim = ((int32_t)1 << 29) - 1 - 32640 * (k < 16384 ? k : 16384);
    dsg_rqf f[DSG_CBLK];
    int8_t cst[DSG_CBLK], cval[DSG_CBLK]; /* constant channels of the block, their outputs */
    uint8_t cix[DSG_CBLK];                 /* ... and their indices, n_cst of them */
    int32_t run[DSG_CBLK + 2];               /* [start, end) of the other channels' runs */
    dsg_mm_in x;
    int32_t g, c0, c, i, j, np, cblk = DSG_CBLK, pad = 0, n_cst, n_runs;
    int32_t dbl, sat8, use_asm, any_cst, rev, n6, nb, b, tail;
    if (kp > DSG_KMAX || !dsg_gemm_ok(p, k, lim, &dbl, &any_cst)) return 0;
    sat8 = p->act_min == -128 && p->act_max == 127;
    use_asm = DSG_MM4_ASM && dbl && sat8;
    if (use_asm && kp != k) {
        pad = 1;
        in_place = 0;
        cblk = DSG_WPAD / kp < DSG_CBLK ? DSG_WPAD / kp : DSG_CBLK;
    }
    /* Output over input (dsg_pointwise_conv_s8 with in == out): safe when one block holds every
     * output channel, so that a block of pixels is widened into xb before any of its outputs is
     * written, and no k % 4 tail is read from the input afterwards.  Output pixel i's C_out <=
     * C_in bytes then cover only input pixels <= i, which are consumed. */
    if (in == out && (p->groups != 1 || !in_place || (k & 3) || n_out > cblk)) return 0;
    /* C_out > C_in in place: output pixel i covers input pixels >= i, so the blocks run last
     * to first (the input sits at the start of the larger output slot) */
    rev = in == out && p->out_c > p->in_c;
    /* a partial last block (5 pixels: of 6; 1 to 3: of 4) runs in assembly when its outputs
     * fit in raw, free once the block is expanded */
    tail = use_asm && (n_out < cblk ? n_out : cblk) <= DSG_KMAX;
    n6 = use_asm ? n_pix / 6 + (tail && n_pix % 6 == 5) : 0;
    nb = n6 + (n_pix - 6 * n6 > 0 ? (n_pix - 6 * n6 + 3) / 4 : 0);
    x.xb = xb;
    x.k = pad ? kp : k;
    x.z = p->z_in;
    x.lo = p->act_min;
    x.hi = p->act_max;
    for (g = 0; g < p->groups; ++g) {
        for (c0 = 0; c0 < n_out; c0 += cblk) {
            const int32_t nc = n_out - c0 < cblk ? n_out - c0 : cblk, cg0 = g * n_out + c0;
            const int8_t *w0 = pad ? wpad : p->weights + cg0 * k;
            for (i = n_cst = 0; i < nc; ++i) {
                const int32_t c = cg0 + i, b = p->bias ? p->bias[c] : 0;
                cst[i] = any_cst && !(dbl ? dsg_fast2(p, c, lim)
                                          : dsg_rqf_ok(p->mult[c], p->shift[c], p->z_out));
                if (p->mult_neg) { /* LeakyReLU: dsg_mm4_channels reads p, not f */
                    f[i] = dsg_rqf_make(0, 0, -1, p->z_out);
                } else if (cst[i]) { /* a zero row (dsg_gemm_ok): any stage, overwritten */
                    cval[n_cst] = (int8_t)dsg_rq_channel(b, c, p);
                    cix[n_cst++] = (uint8_t)i;
                    f[i] = dsg_rqf_make(0, 0, -1, p->z_out);
                } else {
                    f[i] = dsg_rqf_make(dsg_u2i((uint32_t)b << dbl), p->mult[c], p->shift[c],
                                        p->z_out);
                }
                if (pad) {
                    dsg_put_s8(wpad + i * kp, p->weights + (cg0 + i) * k, k, 0);
                    dsg_put_s8(wpad + i * kp + k, 0, kp - k, 0);
                }
            }
            for (i = n_runs = 0; i < nc; ++i)
                if (!cst[i] && (i == 0 || cst[i - 1])) run[2 * n_runs] = i;
                else if (cst[i] && i > 0 && !cst[i - 1]) run[2 * n_runs++ + 1] = i;
            if (nc > 0 && !cst[nc - 1]) run[2 * n_runs++ + 1] = nc;
            for (b = 0; b < nb; ++b) { /* blocks of 6 pixels, then of 4 */
                const int32_t bb = rev ? nb - 1 - b : b;
                i = bb < n6 ? 6 * bb : 6 * n6 + 4 * (bb - n6);
                np = bb < n6 ? 6 : 4;
                if (!in_place) {
                    const uint32_t rest = dsg_gather_s8(in + g * cin_g, p, i, np, n_pix, raw, cin_g);
                    for (j = 0; j < np; ++j)
                        if (rest >> j & 1u)
                            dsg_gather_px(in + g * cin_g, p, i + j < n_pix ? i + j : n_pix - 1,
                                          raw[j], cin_g);
                }
                for (j = 0; j < np; ++j) {
                    const int32_t px = i + j < n_pix ? i + j : n_pix - 1;
                    if (in_place) {
                        x.v[j] = in + ((px / p->out_w) * p->stride_h * p->in_w +
                                       (px % p->out_w) * p->stride_w) * p->in_c + g * cin_g;
                    } else {
                        if (pad) dsg_put_s8(raw[j] + k, 0, kp - k, zz);
                        x.v[j] = raw[j];
                    }
                    x.y[j] = out + px * p->out_c + cg0;
                }
                if (!dbl) {
                    dsg_expand4(x.v, x.k >> 2, nz, xb);
                    dsg_mm4_channels(&x, w0, f, nc, p->mult_neg ? p : 0, cg0);
                } else {
                    dsg_expandx2(x.v, np, x.k >> 2, nz, xb);
                    if (use_asm && i + np <= n_pix)
                        dsg_mm_runs(&x, np, w0, f, run, n_runs, p->out_c);
                    else if (tail)
                        dsg_mm_tail(&x, np, n_pix - i, w0, f, run, n_runs, nc, (int8_t *)raw);
                    else if (sat8)
                        dsg_mm4_ch2_sat(&x, w0, f, nc);
                    else
                        dsg_mm4_ch2_clamp(&x, w0, f, nc);
                }
                for (j = 0; n_cst && j < np; ++j)
                    for (c = 0; c < n_cst; ++c) x.y[j][cix[c]] = cval[c];
            }
        }
    }
    return 1;
}
#endif

void dsg_conv_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p)
{
#if DSG_USE_DSP
    if (dsg_gemm_s8(in, out, p)) return;
#endif
#if DSG_PORTABLE_GEMM
    if (dsg_pgemm_s8(in, out, p, 0)) return;
#endif
    dsg_conv_direct_s8(in, out, p);
}

#if DSG_USE_DSP
/* Pixel (oy, ox)'s receptive field as int16 lane pairs, per group of 4 lanes xb[2g] = {x0, x2}
 * and xb[2g + 1] = {x1, x3}: SMLAD takes them against a weight word's SXTB16 halves {w0, w2},
 * {w1, w3}.  Padding and the lanes past k are 0 (the zero point is 0). */
DSG_NOINLINE static void dsg_gather_s16(const int16_t *in, const dsg_conv_params *p, int32_t oy,
                                        int32_t ox, int32_t *xb)
{
    const int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * p->stride_w - p->pad_left;
    int32_t v[4], n = 0, ky, kx, ci;
    for (ky = 0; ky < p->kernel_h; ++ky) {
        const int32_t iy = iy0 + ky * p->dilation_h, row = iy >= 0 && iy < p->in_h;
        for (kx = 0; kx < p->kernel_w; ++kx) {
            const int32_t ix = ix0 + kx * p->dilation_w;
            const int16_t *x = row && ix >= 0 && ix < p->in_w ? in + (iy * p->in_w + ix) * p->in_c
                                                              : 0;
            for (ci = 0; ci < p->in_c; ++ci) {
                v[n++] = x ? x[ci] : 0;
                if (n == 4) {
                    xb[0] = dsg_pkhbt(v[0], v[2]);
                    xb[1] = dsg_pkhbt(v[1], v[3]);
                    xb += 2;
                    n = 0;
                }
            }
        }
    }
    if (n) {
        while (n < 4) v[n++] = 0;
        xb[0] = dsg_pkhbt(v[0], v[2]);
        xb[1] = dsg_pkhbt(v[1], v[3]);
    }
}

/* acc + the first 4 * ng lanes of xb (dsg_gather_s16's pairs) . w.  Not inlined: on its own
 * the loop keeps everything in registers (inlined into the pixel loops, GCC spilled). */
DSG_NOINLINE static int32_t dsg_dot_s16(const int32_t *xb, const int8_t *w, int32_t ng,
                                        int32_t acc)
{
    for (; ng >= 2; ng -= 2, w += 8, xb += 4) {
        const uint32_t w0 = dsg_read4(w), w1 = dsg_read4(w + 4);
        acc = dsg_smlad(xb[0], dsg_sxtb16(w0), acc);
        acc = dsg_smlad(xb[1], dsg_sxtb16_ror8(w0), acc);
        acc = dsg_smlad(xb[2], dsg_sxtb16(w1), acc);
        acc = dsg_smlad(xb[3], dsg_sxtb16_ror8(w1), acc);
    }
    if (ng) {
        const uint32_t w0 = dsg_read4(w);
        acc = dsg_smlad(xb[0], dsg_sxtb16(w0), acc);
        acc = dsg_smlad(xb[1], dsg_sxtb16_ror8(w0), acc);
    }
    return acc;
}

/* int16 activations with zero point 0 (the 16x8 mode; a QAT model's float logits make every
 * activation int16) times int8 weights, groups 1: each output pixel's receptive field is
 * gathered once (dsg_gather_s16), then every output channel is SMLADs over it, two per 4
 * weights.  SMLAD wraps modulo 2^32 and the final sum is the contract's accumulator (which fits
 * int32); the output stage is the contract's.  The direct loops took about 28 instructions per
 * MAC on the keyword spotter's 10x4 first layer.  Returns 0 (nothing written) otherwise. */
static int32_t dsg_gemm_s16(const int16_t *in, int16_t *out, const dsg_conv_params *p)
{
    const int32_t k = p->kernel_h * p->kernel_w * p->in_c, ng = k >> 2, nt = k & 3;
    int32_t xb[DSG_KMAX / 2];
    int32_t oy, ox, c, t;
    if (p->groups != 1 || p->z_in != 0 || ((k + 3) & ~3) > DSG_KMAX) return 0;
    for (oy = 0; oy < p->out_h; ++oy)
        for (ox = 0; ox < p->out_w; ++ox) {
            int16_t *y = out + (oy * p->out_w + ox) * p->out_c;
            dsg_gather_s16(in, p, oy, ox, xb);
            for (c = 0; c < p->out_c; ++c) {
                const int8_t *w = p->weights + c * k;
                int32_t acc = dsg_dot_s16(xb, w, ng, p->bias ? p->bias[c] : 0);
                if (nt) { /* the last k % 4 weights; the word's other bytes 0 */
                    uint32_t wv = 0;
                    for (t = 0; t < nt; ++t) wv |= (uint32_t)(uint8_t)w[4 * ng + t] << (8 * t);
                    acc = dsg_smlad(xb[2 * ng], dsg_sxtb16(wv), acc);
                    acc = dsg_smlad(xb[2 * ng + 1], dsg_sxtb16_ror8(wv), acc);
                }
                y[c] = (int16_t)dsg_rq_channel(acc, c, p);
            }
        }
    return 1;
}
#endif

void dsg_conv_s16(const int16_t *in, int16_t *out, const dsg_conv_params *p)
{
#if DSG_USE_DSP
    if (dsg_gemm_s16(in, out, p)) return;
#endif
    dsg_conv_direct_s16(in, out, p);
}

void dsg_grouped_conv_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p)
{
    dsg_conv_s8(in, out, p);
}

/* ------------------------------------------------------------------ paired weights */
/* dsg_pointwise_pair_s8: a stride-1 pointwise layer, and dsg_conv_pair_s8: any other conv with
 * groups 1 (a keyword spotter's 10x4 first layer), whose weights the generator stored in the
 * paired layout of dsg_kernels.h (k = kh*kw*C_in in the order of the gathered fields):
 * channels 2m and 2m + 1 interleaved per group of 4 elements, [c0 k0, c1 k0, c0 k2, c1 k2,
 * c0 k1, c1 k1, c0 k3, c1 k3], rows padded to kp = k rounded up to 4 with zero weights, an odd
 * last channel paired with a zero row.  One weight word, two SXTB16, gives both channels' lanes
 * for a k-pair, so the Cortex-M4 loop computes 4 pixels x 2 channels per pass and every widened
 * input word it loads serves two SMLADs. */

/* x - z_in of output pixel i's receptive field in the paired rows' order (kh, kw, C_in): taps
 * in the padding and the k % 4 tail are 0 (the tail's weights are zero too).  The tail is three
 * stores: a zero-fill loop would become a call to memset, which the library does not link
 * against. */
static void dsg_pw2_field(const int8_t *in, const dsg_conv_params *p, int32_t i, int32_t k,
                          int16_t *xz)
{
    dsg_pg_row(in, p, i, xz);
    if (k & 3) xz[k] = 0;
    if ((k & 3) && (k & 3) < 3) xz[k + 1] = 0;
    if ((k & 3) == 1) xz[k + 2] = 0;
}

/* Any core: pixel by pixel with the contract's output stage; in place (a stride-1 pointwise)
 * through the one-pixel buffer, in the order of dsg_pw_inplace_s8.  The pixel's receptive field
 * is widened once (dsg_pw2_field) and every pair of channels then walks its weights in storage
 * order, 8 bytes per group of 4 elements: an index computed per weight ran 7x slower on the
 * host than the unpaired kernel. */
DSG_NOINLINE static void dsg_pw2_generic(const int8_t *in, int8_t *out, const dsg_conv_params *p)
{
    const int32_t k = p->kernel_h * p->kernel_w * p->in_c, kp = (k + 3) & ~3;
    const int32_t n_out = p->out_c, n_pix = p->out_h * p->out_w;
    const int32_t rev = in == out && n_out > k;
    int16_t xz[DSG_KMAX];
    int8_t y[DSG_PW_RING];
    int32_t t, i, c, n;
    for (t = 0; t < n_pix; ++t) {
        const int8_t *w = p->weights;
        int8_t *d;
        i = rev ? n_pix - 1 - t : t;
        d = in == out ? y : out + i * n_out;
        dsg_pw2_field(in, p, i, k, xz);
        for (c = 0; c < n_out; c += 2) {
            uint32_t a0 = p->bias ? (uint32_t)p->bias[c] : 0u;
            uint32_t a1 = p->bias && c + 1 < n_out ? (uint32_t)p->bias[c + 1] : 0u;
            for (n = 0; n < kp; n += 4, w += 8) {
                const int16_t *g = xz + n;
                a0 += (uint32_t)(w[0] * g[0] + w[4] * g[1] + w[2] * g[2] + w[6] * g[3]);
                a1 += (uint32_t)(w[1] * g[0] + w[5] * g[1] + w[3] * g[2] + w[7] * g[3]);
            }
            d[c] = (int8_t)dsg_rq_channel(dsg_u2i(a0), c, p);
            if (c + 1 < n_out) d[c + 1] = (int8_t)dsg_rq_channel(dsg_u2i(a1), c + 1, p);
        }
        if (in == out)
            for (c = 0; c < n_out; ++c) out[i * n_out + c] = y[c];
    }
}

#if DSG_USE_DSP
/* The doubled output stages (dsg_rq2) of a channel pair, in the order the assembly loads them:
 * the two sums start from the biases (LDM of 2), then {q, hz, R} of each channel (LDM of 3). */
typedef struct {
    int32_t bias0, bias1; /* doubled */
    int32_t q0, hz0, r0, q1, hz1, r1;
} dsg_pw2_stage;

typedef struct {
    const int32_t *xb;         /* [0]  dsg_pw2_expand of 4 pixels */
    const int32_t *xend;       /* [4]  its end: xb + 2 kp */
    const int8_t *w;           /* [8]  the first pair's weights; the pairs follow each other */
    const dsg_pw2_stage *f;    /* [12] the first pair's stages */
    const dsg_pw2_stage *fend; /* [16] f + pairs */
    int8_t *y;                 /* [20] pixel 0, the first pair's first channel */
    int32_t n_out;             /* [24] pixel stride of y */
} dsg_pw2_job;

/* 2 (x - z) of 4 pixels, per group of 4 elements 8 words {p0: x0,x2} {p1: x0,x2} {p2} {p3}
 * {p0: x1,x3} ... {p3: x1,x3}: the lanes of the paired weight words, in the order the assembly
 * loads them.  A k % 4 tail reads its bytes one by one and fills the group with z (lanes 0). */
DSG_INLINE void dsg_pw2_x1(uint32_t u, int32_t nz, int32_t *d)
{
    const int32_t a = dsg_sxtab16(nz, u), b = dsg_sxtab16_ror8(nz, u);
    d[0] = dsg_sadd16(a, a);
    d[4] = dsg_sadd16(b, b);
}

static void dsg_pw2_expand(const int8_t *const *v, int32_t k, int32_t z, int32_t *xb)
{
    const int32_t n4 = k >> 2, nt = k & 3;
    const int32_t nz = dsg_u2i(((uint32_t)(-z) & 0xFFFFu) * 0x10001u);
    int32_t g, j, r;
    for (j = 0; j < 4; ++j) {
        const int8_t *s = v[j];
        int32_t *d = xb + j;
        for (g = n4 >> 2; g > 0; --g, s += 16, d += 32) { /* four groups per iteration */
            const uint32_t u0 = dsg_read4(s), u1 = dsg_read4(s + 4);
            const uint32_t u2 = dsg_read4(s + 8), u3 = dsg_read4(s + 12);
            dsg_pw2_x1(u0, nz, d);
            dsg_pw2_x1(u1, nz, d + 8);
            dsg_pw2_x1(u2, nz, d + 16);
            dsg_pw2_x1(u3, nz, d + 24);
        }
        for (g = n4 & 3; g > 0; --g, s += 4, d += 8) dsg_pw2_x1(dsg_read4(s), nz, d);
        if (nt) {
            uint32_t u = ((uint32_t)z & 0xFFu) * 0x01010101u;
            for (r = 0; r < nt; ++r)
                u = (u & ~(0xFFu << (8 * r))) | ((uint32_t)(uint8_t)s[r] << (8 * r));
            dsg_pw2_x1(u, nz, d);
        }
    }
}

/* One or two pixels (pixels 0 and 1 of the expanded block: a partial last block of 1 or 2),
 * pairs [0, pairs) of which channels [0, nc) are written: a few C instructions per MAC instead
 * of the 4-pixel pass's 4 - n wasted pixels. */
DSG_INLINE void dsg_pw2_few(const int32_t *xb, int32_t kp, const int8_t *w,
                            const dsg_pw2_stage *f, int32_t pairs, int32_t nc, int32_t two,
                            int8_t *y, int32_t n_out)
{
    int32_t m, g;
    for (m = 0; m < pairs; ++m, ++f, y += 2) {
        const int32_t *x = xb;
        int32_t s0 = f->bias0, s1 = f->bias1, s2 = f->bias0, s3 = f->bias1;
        for (g = kp >> 2; g > 0; --g, x += 8, w += 8) {
            const uint32_t ua = dsg_read4(w), ub = dsg_read4(w + 4);
            const int32_t a0 = dsg_sxtb16(ua), a1 = dsg_sxtb16_ror8(ua);
            const int32_t b0 = dsg_sxtb16(ub), b1 = dsg_sxtb16_ror8(ub);
            s0 = dsg_smlad(x[4], b0, dsg_smlad(x[0], a0, s0));
            s1 = dsg_smlad(x[4], b1, dsg_smlad(x[0], a1, s1));
            if (two) {
                s2 = dsg_smlad(x[5], b0, dsg_smlad(x[1], a0, s2));
                s3 = dsg_smlad(x[5], b1, dsg_smlad(x[1], a1, s3));
            }
        }
        y[0] = (int8_t)dsg_sat(dsg_rq2(s0, f->q0, f->hz0, f->r0), 1, -128, 127);
        if (2 * m + 1 < nc) y[1] = (int8_t)dsg_sat(dsg_rq2(s1, f->q1, f->hz1, f->r1), 1, -128, 127);
        if (two) {
            y[n_out] = (int8_t)dsg_sat(dsg_rq2(s2, f->q0, f->hz0, f->r0), 1, -128, 127);
            if (2 * m + 1 < nc)
                y[n_out + 1] = (int8_t)dsg_sat(dsg_rq2(s3, f->q1, f->hz1, f->r1), 1, -128, 127);
        }
    }
}

/* The receptive fields of output pixels i .. i + 3 as k-vectors raw[j] (dsg_gather_s8, the last
 * pixel repeated beyond n_pix): a conv that is not a stride-1 pointwise. */
DSG_NOINLINE static void dsg_pw2_gather(const int8_t *in, const dsg_conv_params *p, int32_t i,
                                        int8_t (*raw)[DSG_KMAX])
{
    const int32_t n_pix = p->out_h * p->out_w;
    const uint32_t rest = dsg_gather_s8(in, p, i, 4, n_pix, raw, p->in_c);
    int32_t j;
    for (j = 0; j < 4; ++j)
        if (rest >> j & 1u)
            dsg_gather_px(in, p, i + j < n_pix ? i + j : n_pix - 1, raw[j], p->in_c);
}

/* Pixel 0's output of sum s through channel c's doubled stage (c = 0, 1 of stage f). */
DSG_INLINE int8_t dsg_pw2_out(int32_t s, const dsg_pw2_stage *f, int32_t c)
{
    return c ? (int8_t)dsg_sat(dsg_rq2(s, f->q1, f->hz1, f->r1), 1, -128, 127)
             : (int8_t)dsg_sat(dsg_rq2(s, f->q0, f->hz0, f->r0), 1, -128, 127);
}

/* One pixel: two pairs (4 channels) per pass, so that each widened input word feeds four
 * SMLADs rather than two (the loop's loads and branch are half the work at two); an odd last
 * pair through dsg_pw2_few. */
DSG_NOINLINE static void dsg_pw2_one(const int32_t *xb, int32_t kp, const int8_t *w,
                                     const dsg_pw2_stage *f, int32_t pairs, int32_t nc, int8_t *y,
                                     int32_t n_out)
{
    const int32_t o = 2 * kp; /* pair m + 1's weights after pair m's */
    int32_t m, g;
    for (m = 0; m + 1 < pairs; m += 2, f += 2, y += 4, w += o) {
        const int32_t *x = xb;
        int32_t s0 = f[0].bias0, s1 = f[0].bias1, s2 = f[1].bias0, s3 = f[1].bias1;
        for (g = kp >> 2; g > 0; --g, x += 8, w += 8) {
            const int32_t x0 = x[0], x1 = x[4];
            const uint32_t ua = dsg_read4(w), ub = dsg_read4(w + 4);
            const uint32_t uc = dsg_read4(w + o), ud = dsg_read4(w + o + 4);
            s0 = dsg_smlad(x1, dsg_sxtb16(ub), dsg_smlad(x0, dsg_sxtb16(ua), s0));
            s1 = dsg_smlad(x1, dsg_sxtb16_ror8(ub), dsg_smlad(x0, dsg_sxtb16_ror8(ua), s1));
            s2 = dsg_smlad(x1, dsg_sxtb16(ud), dsg_smlad(x0, dsg_sxtb16(uc), s2));
            s3 = dsg_smlad(x1, dsg_sxtb16_ror8(ud), dsg_smlad(x0, dsg_sxtb16_ror8(uc), s3));
        }
        y[0] = dsg_pw2_out(s0, f, 0);
        y[1] = dsg_pw2_out(s1, f, 1);
        y[2] = dsg_pw2_out(s2, f + 1, 0);
        if (2 * m + 3 < nc) y[3] = dsg_pw2_out(s3, f + 1, 1);
    }
    if (m < pairs) dsg_pw2_few(xb, kp, w, f, 1, nc - 2 * m, 0, y, n_out);
}

DSG_NOINLINE static void dsg_pw2_two(const int32_t *xb, int32_t kp, const int8_t *w,
                                     const dsg_pw2_stage *f, int32_t pairs, int32_t nc, int8_t *y,
                                     int32_t n_out)
{
    dsg_pw2_few(xb, kp, w, f, pairs, nc, 1, y, n_out);
}

#if defined(__ARM_FEATURE_DSP) && !defined(DSG_NO_DSP) && defined(__GNUC__) && defined(__thumb2__)
/* Half a group (one k-pair, 16 MACs): the pair's weight word unpacked into both channels'
 * lanes (r2: c0, r3: c1), the 4 pixels' input words two at a time; r4-r7 are channel c0's sums
 * of pixels 0-3, r8-r11 channel c1's.  17 estimated cycles: LDR run of 3 (4), 2 SXTB16, 8 SMLAD,
 * LDR run of 2 (3).  Every half is the same code (post-incremented pointers), so the loop can be
 * entered at any group. */
#define DSG_PW2_HALF(a4, a5, a6, a7, a8, a9, a10, a11)                                         \
    "ldr    r3, [lr], #4\n\t"                                                                  \
    "ldr    r0, [r12], #4\n\t"                                                                 \
    "ldr    r1, [r12], #4\n\t"                                                                 \
    "sxtb16 r2, r3\n\t"                                                                        \
    "sxtb16 r3, r3, ror #8\n\t"                                                                \
    "smlad  r4, r0, r2, " a4 "\n\t"                                                            \
    "smlad  r8, r0, r3, " a8 "\n\t"                                                            \
    "smlad  r5, r1, r2, " a5 "\n\t"                                                            \
    "smlad  r9, r1, r3, " a9 "\n\t"                                                            \
    "ldr    r0, [r12], #4\n\t"                                                                 \
    "ldr    r1, [r12], #4\n\t"                                                                 \
    "smlad  r6, r0, r2, " a6 "\n\t"                                                            \
    "smlad  r10, r0, r3, " a10 "\n\t"                                                          \
    "smlad  r7, r1, r2, " a7 "\n\t"                                                            \
    "smlad  r11, r1, r3, " a11 "\n\t"
#define DSG_PW2_HN DSG_PW2_HALF("r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11")
#define DSG_PW2_G DSG_PW2_HN DSG_PW2_HN
/* the first group of a pair: the sums start from the biases, r7 and r11 (written last) */
#define DSG_PW2_G1                                                                             \
    DSG_PW2_HALF("r7", "r7", "r7", "r7", "r11", "r11", "r11", "r11") DSG_PW2_HN

/* The output stage of sum s: r1 = q, r2 = hz, r3 = R, r0 scratch (dsg_rq2, then SSAT). */
#define DSG_PW2_RQ(s)                                                                          \
    "add    r0, r2, " s ", asr #31\n\t"                                                         \
    "smmlar " s ", " s ", r1, r0\n\t"                                                          \
    "asr    " s ", " s ", r3\n\t"                                                              \
    "ssat   " s ", #8, " s "\n\t"

/* The pairs [f, fend) of the job over its 4 pixels.  Each pair runs its first group outside the
 * loop (starting the sums from the biases), then enters the loop, unrolled 16 groups deep, at the
 * group that leaves a multiple of 16 (every group's code has the same size: the entry is
 * computed once per call from the first two labels).  Frame: [sp] xend, [sp+4] xb, [sp+8] loop
 * entry, [sp+12] the pair's stage, [sp+16] y, [sp+20] n_out, [sp+24] fend. */
__attribute__((naked)) static void dsg_pw2_asm(const dsg_pw2_job *j __attribute__((unused)))
{
    __asm__("push   {r4-r11, lr}\n\t"
            "sub    sp, sp, #28\n\t"
            "ldr    r1, [r0]\n\t"
            "ldr    r2, [r0, #4]\n\t"
            "ldr    lr, [r0, #8]\n\t"
            "ldr    r12, [r0, #12]\n\t"
            "ldr    r3, [r0, #16]\n\t"
            "ldr    r4, [r0, #20]\n\t"
            "ldr    r5, [r0, #24]\n\t"
            "str    r2, [sp]\n\t"
            "str    r1, [sp, #4]\n\t"
            "str    r4, [sp, #16]\n\t"
            "str    r5, [sp, #20]\n\t"
            "str    r3, [sp, #24]\n\t"
            "subs   r2, r2, r1\n\t"
            "lsrs   r2, r2, #5\n\t"
            "adr    r7, 19f\n\t"
            "subs   r2, r2, #1\n\t"
            "beq    5f\n\t"
            "rsb    r2, r2, #0\n\t"
            "and    r2, r2, #15\n\t"
            "adr    r7, 10f\n\t"
            "adr    r9, 11f\n\t"
            "sub    r9, r9, r7\n\t"
            "mla    r7, r2, r9, r7\n\t"
            "5:\n\t"
            "orr    r7, r7, #1\n\t"
            "str    r7, [sp, #8]\n\t"
            "2:\n\t"
            "ldmia  r12!, {r7, r11}\n\t"
            "str    r12, [sp, #12]\n\t"
            "ldr    r12, [sp, #4]\n\t"
            DSG_PW2_G1
            "ldr    pc, [sp, #8]\n\t"
            "10:\n\t" DSG_PW2_G
            "11:\n\t"
            ".rept  15\n\t" DSG_PW2_G ".endr\n\t"
            "19:\n\t"
            "ldr    r0, [sp]\n\t"
            "cmp    r12, r0\n\t"
            "bne    10b\n\t"
            "ldr    r12, [sp, #12]\n\t"
            "ldmia  r12!, {r1, r2, r3}\n\t"
            DSG_PW2_RQ("r4") DSG_PW2_RQ("r5") DSG_PW2_RQ("r6") DSG_PW2_RQ("r7")
            "ldmia  r12!, {r1, r2, r3}\n\t"
            DSG_PW2_RQ("r8") DSG_PW2_RQ("r9") DSG_PW2_RQ("r10") DSG_PW2_RQ("r11")
            "ldr    r1, [sp, #16]\n\t"
            "ldr    r2, [sp, #20]\n\t"
            "adds   r3, r1, #2\n\t"
            "str    r3, [sp, #16]\n\t"
            "add    r3, r1, r2\n\t"
            "strb   r4, [r1]\n\t"
            "strb   r8, [r1, #1]\n\t"
            "add    r1, r3, r2\n\t"
            "strb   r5, [r3]\n\t"
            "strb   r9, [r3, #1]\n\t"
            "add    r3, r1, r2\n\t"
            "strb   r6, [r1]\n\t"
            "strb   r10, [r1, #1]\n\t"
            "strb   r7, [r3]\n\t"
            "strb   r11, [r3, #1]\n\t"
            "ldr    r1, [sp, #24]\n\t"
            "cmp    r12, r1\n\t"
            "bne    2b\n\t"
            "add    sp, sp, #28\n\t"
            "pop    {r4-r11, pc}\n\t");
}
#define dsg_pw2_run dsg_pw2_asm
#else
/* The C model of dsg_pw2_asm: the same integers (SMLAD wraps modulo 2^32, and the final sum is
 * the contract's accumulator). */
static void dsg_pw2_run(const dsg_pw2_job *j)
{
    const int8_t *w = j->w;
    const dsg_pw2_stage *f;
    int8_t *y = j->y;
    for (f = j->f; f != j->fend; ++f, y += 2) {
        const int32_t *x;
        int32_t s[8], t;
        for (t = 0; t < 4; ++t) {
            s[t] = f->bias0;
            s[4 + t] = f->bias1;
        }
        for (x = j->xb; x != j->xend; x += 8, w += 8) {
            const uint32_t ua = dsg_read4(w), ub = dsg_read4(w + 4);
            const int32_t a0 = dsg_sxtb16(ua), a1 = dsg_sxtb16_ror8(ua);
            const int32_t b0 = dsg_sxtb16(ub), b1 = dsg_sxtb16_ror8(ub);
            for (t = 0; t < 4; ++t) {
                s[t] = dsg_smlad(x[t], a0, s[t]);
                s[4 + t] = dsg_smlad(x[t], a1, s[4 + t]);
                s[t] = dsg_smlad(x[4 + t], b0, s[t]);
                s[4 + t] = dsg_smlad(x[4 + t], b1, s[4 + t]);
            }
        }
        for (t = 0; t < 4; ++t) {
            y[t * j->n_out] = (int8_t)dsg_sat(dsg_rq2(s[t], f->q0, f->hz0, f->r0), 1, -128, 127);
            y[t * j->n_out + 1] =
                (int8_t)dsg_sat(dsg_rq2(s[4 + t], f->q1, f->hz1, f->r1), 1, -128, 127);
        }
    }
}
#endif

/* The job's pairs [m0, m1) into tmp (pixel stride 2 (m1 - m0)), then channels [c_lo, c_hi) of
 * the first n pixels to y (pixel stride n_out; c relative to pair m0's first channel): a partial
 * last block of pixels, or an odd last channel, whose writes past the layer the assembly does
 * not know about. */
static void dsg_pw2_tmp(dsg_pw2_job *jb, const dsg_pw2_stage *f, int32_t m0, int32_t m1,
                        int32_t kp, const int8_t *w, int8_t *tmp, int8_t *y, int32_t n,
                        int32_t nc, int32_t n_out)
{
    const int32_t st = 2 * (m1 - m0);
    int32_t t, c;
    jb->w = w + m0 * 2 * kp;
    jb->f = f + m0;
    jb->fend = f + m1;
    jb->y = tmp;
    jb->n_out = st;
    dsg_pw2_run(jb);
    for (t = 0; t < n; ++t)
        for (c = 0; c < nc; ++c) y[t * n_out + c] = tmp[t * st + c];
}

/* The DSP path: blocks of 4 pixels widened once (dsg_pw2_expand; a conv other than a stride-1
 * pointwise gathers their receptive fields first, as dsg_gemm_s8 does, and then runs the same
 * pass: 17 estimated cycles per 16 MACs instead of the 6-pixel GEMM's 30 per 24), then every
 * pair of output channels of a chunk of DSG_CBLK.  In place (one chunk holds every channel, so a block is
 * widened before any of its outputs is written): blocks first to last for C_out <= C_in, last
 * to first for C_out > C_in.  Returns 0 (nothing written) unless every channel takes the
 * doubled fast stage with the [-128, 127] clamp. */
static int32_t dsg_pw2_gemm(const int8_t *in, int8_t *out, const dsg_conv_params *p)
{
    const int32_t k = p->kernel_h * p->kernel_w * p->in_c, kp = (k + 3) & ~3;
    const int32_t n_out = p->out_c, n_pix = p->out_h * p->out_w;
    const int32_t rev = in == out && n_out > k, nb = (n_pix + 3) >> 2;
    /* a stride-1 pointwise reads its pixels in place; any other conv gathers them */
    const int32_t direct = k == p->in_c && p->stride_h == 1 && p->stride_w == 1 &&
                           !p->pad_top && !p->pad_left && p->out_h == p->in_h &&
                           p->out_w == p->in_w;
    const int32_t lim = ((int32_t)1 << 29) - 1 - 32640 * (k < 16384 ? k : 16384);
    int32_t xb[2 * DSG_KMAX];
    dsg_pw2_stage f[DSG_CBLK / 2];
    union { /* a block's gathered fields until they are expanded, then dsg_pw2_tmp's outputs */
        int8_t raw[4][DSG_KMAX];
        int8_t out[4 * DSG_CBLK];
    } tmp;
    const int8_t *v[4];
    dsg_pw2_job jb;
    int32_t c, c0, b, j;
    if (kp > DSG_KMAX || k > 16384 || n_pix < 4 || p->mult_neg || p->act_min != -128 ||
        p->act_max != 127 || (in == out && n_out > DSG_CBLK))
        return 0;
    for (c = 0; c < n_out; ++c)
        if (!dsg_fast2(p, c, lim)) return 0;
    jb.xb = xb;
    jb.xend = xb + 2 * kp;
    for (c0 = 0; c0 < n_out; c0 += DSG_CBLK) {
        const int32_t nc = n_out - c0 < DSG_CBLK ? n_out - c0 : DSG_CBLK;
        const int32_t full = nc >> 1, pairs = (nc + 1) >> 1;
        const int8_t *w = p->weights + c0 * kp; /* DSG_CBLK is even: pair c0 / 2 */
        for (c = 0; c < 2 * pairs; ++c) {
            const int32_t cc = c0 + c;
            const uint32_t bias = cc < n_out && p->bias ? (uint32_t)p->bias[cc] : 0u;
            const dsg_rqf r = cc < n_out ? dsg_rqf_make(dsg_u2i(bias << 1), p->mult[cc],
                                                        p->shift[cc], p->z_out)
                                         : dsg_rqf_make(0, 0, -1, p->z_out);
            dsg_pw2_stage *s = &f[c >> 1];
            if (c & 1) {
                s->bias1 = r.bias;
                s->q1 = r.mult;
                s->hz1 = r.hz;
                s->r1 = r.r;
            } else {
                s->bias0 = r.bias;
                s->q0 = r.mult;
                s->hz0 = r.hz;
                s->r0 = r.r;
            }
        }
        for (b = 0; b < nb; ++b) {
            const int32_t i = 4 * (rev ? nb - 1 - b : b), n = n_pix - i < 4 ? n_pix - i : 4;
            int8_t *y = out + i * n_out + c0;
            if (direct) {
                for (j = 0; j < 4; ++j) v[j] = in + (i + (j < n ? j : n - 1)) * k;
            } else {
                dsg_pw2_gather(in, p, i, tmp.raw);
                for (j = 0; j < 4; ++j) v[j] = tmp.raw[j];
            }
            dsg_pw2_expand(v, k, p->z_in, xb);
            if (n == 1) {
                dsg_pw2_one(xb, kp, w, f, pairs, nc, y, n_out);
                continue;
            }
            if (n == 2) {
                dsg_pw2_two(xb, kp, w, f, pairs, nc, y, n_out);
                continue;
            }
            if (n < 4) {
                dsg_pw2_tmp(&jb, f, 0, pairs, kp, w, tmp.out, y, n, nc, n_out);
                continue;
            }
            if (full > 0) {
                jb.w = w;
                jb.f = f;
                jb.fend = f + full;
                jb.y = y;
                jb.n_out = n_out;
                dsg_pw2_run(&jb);
            }
            if (pairs > full)
                dsg_pw2_tmp(&jb, f, full, pairs, kp, w, tmp.out, y + 2 * full, 4, 1, n_out);
        }
    }
    return 1;
}
#endif

int32_t dsg_pointwise_pair_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p)
{
    if (p->kernel_h != 1 || p->kernel_w != 1 || p->groups != 1 || p->pad_top || p->pad_left ||
        p->stride_h != 1 || p->stride_w != 1 || p->out_h != p->in_h || p->out_w != p->in_w ||
        (in == out && p->out_c > DSG_PW_RING) || ((p->in_c + 3) & ~3) > DSG_KMAX)
        return DSG_ERR_ARG;
#if DSG_USE_DSP
    if (dsg_pw2_gemm(in, out, p)) return DSG_OK;
#endif
#if DSG_PORTABLE_GEMM
    if (in == out ? dsg_pgemm_inplace_s8(out, p, 1) : dsg_pgemm_s8(in, out, p, 1)) return DSG_OK;
#endif
    dsg_pw2_generic(in, out, p);
    return DSG_OK;
}

int32_t dsg_conv_pair_s8(const int8_t *in, int8_t *out, const dsg_conv_params *p)
{
    if (p->groups != 1 || in == out ||
        ((p->kernel_h * p->kernel_w * p->in_c + 3) & ~3) > DSG_KMAX)
        return DSG_ERR_ARG;
#if DSG_USE_DSP
    if (dsg_pw2_gemm(in, out, p)) return DSG_OK;
#endif
#if DSG_PORTABLE_GEMM
    if (dsg_pgemm_s8(in, out, p, 1)) return DSG_OK;
#endif
    dsg_pw2_generic(in, out, p);
    return DSG_OK;
}
