/*
 * dsg_lowbit.c -- the kernels of dsg_lowbit.h: convolutions with packed 1-, 2- and 4-bit weights.
 */
#include <string.h> /* memcpy: the portable unaligned 32-bit load, one LDR on Cortex-M4 */

#include "dsg_support.h"

#ifndef DSG_LB_KMAX
#define DSG_LB_KMAX 512 /* GEMM path: receptive field of the two int16 columns (4*KMAX bytes) */
#endif
#ifndef DSG_LB_TAPS
#define DSG_LB_TAPS 64 /* depthwise path: taps of one channel held unpacked */
#endif

/* What to compile: both activation types and all three widths by default; a generated tree's
 * dsg_config.h keeps only those its layers use (dsgen/backends/c/lowbit.py), which saves flash. */
#ifndef DSG_LB_S8
#define DSG_LB_S8 1
#endif
#ifndef DSG_LB_S16
#define DSG_LB_S16 1
#endif
#ifndef DSG_LB_W1
#define DSG_LB_W1 1
#endif
#ifndef DSG_LB_W2
#define DSG_LB_W2 1
#endif
#ifndef DSG_LB_W4
#define DSG_LB_W4 1
#endif

/* the GEMM's loop for this width is compiled in (otherwise the general loop runs) */
#define DSG_LB_HAS(bits) ((bits) == 4 ? DSG_LB_W4 : (bits) == 2 ? DSG_LB_W2 : DSG_LB_W1)

#ifndef DSG_LB_PLANE
#define DSG_LB_PLANE 512 /* depthwise: words of a channel pair's padded input plane (4 bytes each) */
#endif
#ifndef DSG_LB_DW_PAIRS
#define DSG_LB_DW_PAIRS (!DSG_USE_DSP) /* the channel-pair depthwise: two outputs per 3x3 step */
#endif
#ifndef DSG_LB_CMAX
#define DSG_LB_CMAX 64 /* GEMM on DSP cores: output stages made once per block of channels */
#endif

#if defined(__GNUC__)
#define DSG_LB_NOINLINE __attribute__((noinline)) /* keeps the paths' stack buffers apart */
#define DSG_LB_HELPER static inline __attribute__((unused)) /* a model may use no path that needs it */
#define DSG_LB_INLINE static inline __attribute__((always_inline, unused)) /* constants fold */
#else
#define DSG_LB_INLINE static inline
#define DSG_LB_NOINLINE
#define DSG_LB_HELPER static inline
#endif

/* ------------------------------------------------------------------- weights, one by one */

/* Field of stream element i of n (dsg_lowbit.h): even/odd halves in whole words, in order after. */
static int32_t dsg_lb_slot(int32_t i, int32_t n, int32_t bits)
{
    const int32_t g = 32 / bits, j = i & (g - 1);
    if (i >= n - (n & (g - 1))) return i;
    return i - j + (j >> 1) + (j & 1) * (g >> 1);
}

/* Stored value v of stream element i of n. */
static int32_t dsg_lb_get(const uint8_t *w, int32_t bits, int32_t n, int32_t i)
{
    const int32_t bit = dsg_lb_slot(i, n, bits) * bits;
    const int32_t u = (int32_t)((w[bit >> 3] >> (bit & 7)) & ((1u << bits) - 1u));
    return bits == 1 ? 2 * u - 1 : u - (1 << (bits - 1));
}

/* Stored values of stream elements i and i + 1 (i even) as the int16 lanes (lo, hi) of a word.
 * Inside the whole words the pair shares a field index in the two halfwords (dsg_lowbit.h), so
 * one load, shift and mask give both codes; the partial last word goes one by one. */
static uint32_t dsg_lb_get2(const uint8_t *w, int32_t bits, int32_t n, int32_t i)
{
    const int32_t g = 32 / bits, j = i & (g - 1);
    uint32_t word, u0, u1;
    if (i + 1 >= n - (n & (g - 1)))
        return ((uint32_t)dsg_lb_get(w, bits, n, i) & 0xFFFFu) |
               ((uint32_t)dsg_lb_get(w, bits, n, i + 1) << 16);
    w += (i - j) * bits / 8; /* the word: little-endian */
    word = (uint32_t)w[0] | (uint32_t)w[1] << 8 | (uint32_t)w[2] << 16 | (uint32_t)w[3] << 24;
    word >>= (j >> 1) * bits;
    u0 = word & ((1u << bits) - 1u);
    u1 = (word >> 16) & ((1u << bits) - 1u);
    if (bits == 1) /* v = 2u - 1 */
        return ((2u * u0 - 1u) & 0xFFFFu) | (2u * u1 - 1u) << 16;
    return ((u0 - (1u << (bits - 1))) & 0xFFFFu) | (u1 - (1u << (bits - 1))) << 16;
}

/* A channel's output stage: bias + s * 2^wshift, then the contract's RQ and clamp (LeakyReLU's
 * m_neg where acc < 0); on DSP cores the five-instruction dsg_rqf_apply where it is exact. */
typedef struct {
    uint32_t bias;
    int32_t c, fast;
#if DSG_USE_DSP
    dsg_rqf f;
#endif
} dsg_lb_stage;

static inline void dsg_lb_stage_make(dsg_lb_stage *st, int32_t c,
                                     const dsg_lowbit_conv_params *lp)
{
    const dsg_conv_params *p = &lp->conv;
    st->bias = p->bias ? (uint32_t)p->bias[c] : 0u;
    st->c = c;
    st->fast = 0;
#if DSG_USE_DSP
    st->fast = p->mult_neg == 0 && dsg_rqf_ok(p->mult[c], p->shift[c], p->z_out);
    if (st->fast) st->f = dsg_rqf_make(0, p->mult[c], p->shift[c], p->z_out);
#endif
}

/* the contract's requantization of acc for channel c (the general case) */
static DSG_LB_NOINLINE int32_t dsg_lb_slow(int32_t acc, int32_t c, const dsg_conv_params *p)
{
    const int32_t neg = p->mult_neg != 0 && acc < 0;
    const int32_t r = neg ? dsg_requantize(acc, p->mult_neg[c], p->shift_neg[c])
                          : dsg_requantize(acc, p->mult[c], p->shift[c]);
    return dsg_clamp_out(r, p->z_out, p->act_min, p->act_max);
}

static inline int32_t dsg_lb_apply(const dsg_lb_stage *st, uint32_t s,
                                   const dsg_lowbit_conv_params *lp)
{
    /* modulo 2^32, the exact acc: it fits int32 (proven) */
    const uint32_t a = st->bias + (s << lp->wshift);
    const int32_t acc = a <= 0x7FFFFFFFu ? (int32_t)a : (int32_t)(a - 0x80000000u) + INT32_MIN;
#if DSG_USE_DSP
    if (st->fast) return dsg_clamp(dsg_rqf_apply(&st->f, acc), lp->conv.act_min, lp->conv.act_max);
#endif
    return dsg_lb_slow(acc, st->c, &lp->conv);
}

#if DSG_USE_DSP
/* Every channel takes the fast stage (no LeakyReLU, -23 <= shift <= -1). */
static int32_t dsg_lb_rqf_ok(const dsg_conv_params *p)
{
    int32_t c;
    if (p->mult_neg != 0) return 0;
    for (c = 0; c < p->out_c; ++c)
        if (!dsg_rqf_ok(p->mult[c], p->shift[c], p->z_out)) return 0;
    return 1;
}
#endif

/* The same for one output (the paths that are not per-MAC-bound). */
static int32_t dsg_lb_out(uint32_t s, int32_t c, const dsg_lowbit_conv_params *lp)
{
    dsg_lb_stage st;
    dsg_lb_stage_make(&st, c, lp);
    return dsg_lb_apply(&st, s, lp);
}

/* Two depthwise channels in the halfwords of x and w: acc += x.lo * w.lo (BB) or x.hi * w.hi (TT). */
#if defined(__ARM_FEATURE_DSP) && !defined(DSG_NO_DSP)
#define DSG_LB_BB(acc, x, w) ((acc) = (uint32_t)__smlabb((int32_t)(x), (int32_t)(w), (int32_t)(acc)))
#define DSG_LB_TT(acc, x, w) ((acc) = (uint32_t)__smlatt((int32_t)(x), (int32_t)(w), (int32_t)(acc)))
#else
#define DSG_LB_BB(acc, x, w) ((acc) += dsg_lb_h((x), 0) * dsg_lb_h((w), 0))
#define DSG_LB_TT(acc, x, w) ((acc) += dsg_lb_h((x), 1) * dsg_lb_h((w), 1))
#endif

/* sum v*d from S = sum u*d and Sx = sum d (dsg_lowbit.h), modulo 2^32 */
static uint32_t dsg_lb_fix(uint32_t s, uint32_t sx, int32_t bits)
{
    return bits == 1 ? 2u * s - sx : s - (uint32_t)(1 << (bits - 1)) * sx;
}

/* ------------------------------------------------------------------- the GEMM's inner loop */

DSG_LB_HELPER uint32_t dsg_lb_word(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* sign-extended halfword h of x, as uint32 (two's complement) */
DSG_LB_HELPER uint32_t dsg_lb_h(uint32_t x, int32_t h)
{
    return (((x >> (16 * h)) & 0xFFFFu) ^ 0x8000u) - 0x8000u;
}

#if DSG_USE_DSP
/* SMLAD: acc + lo(l)*lo(x) + hi(l)*hi(x), modulo 2^32 (the Cortex-M4 instruction, or its exact
 * emulation with -DDSG_EMULATE_DSP). */
#define DSG_LB_MAC(acc, l, x) ((acc) = (uint32_t)dsg_smlad((int32_t)(l), (int32_t)(x), (int32_t)(acc)))
#define DSG_LB_SEL DSG_LB_MAC
#else
#define DSG_LB_MAC(acc, l, x) \
    ((acc) += ((l) & 0xFFFFu) * dsg_lb_h((x), 0) + ((l) >> 16) * dsg_lb_h((x), 1))
/* binary lanes are 0 or 1: select instead of multiplying */
#define DSG_LB_SEL(acc, l, x) \
    ((acc) += (dsg_lb_h((x), 0) & (0u - ((l) & 1u))) + (dsg_lb_h((x), 1) & (0u - ((l) >> 16))))
#endif

/* Lanes (w >> sh) & m: one AND with a shifted register on Thumb-2 (GCC would shift, then AND
 * with the immediate mask). */
#if DSG_USE_DSP && defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && defined(__thumb2__)
#define DSG_LB_EXT(r, m, w, SH) __asm__("and %0, %1, %2, lsr #" #SH : "=r"(r) : "r"(m), "r"(w))
#else
#define DSG_LB_EXT(r, m, w, SH) ((r) = ((w) >> (SH)) & (m))
#endif

/* Activation pair S (columns a and b) times the lanes of both weight words. */
#define DSG_LB_PAIR(MAC, S, L)                                                                  \
    do {                                                                                       \
        const uint32_t xa = dsg_lb_word(ca + 2 * (S)), xb = dsg_lb_word(ca + DSG_LB_KMAX + 2 * (S)); \
        uint32_t l;                                                                            \
        L(l, w0);                                                                              \
        MAC(a00, l, xa);                                                                       \
        MAC(a01, l, xb);                                                                       \
        L(l, w1);                                                                              \
        MAC(a10, l, xa);                                                                       \
        MAC(a11, l, xb);                                                                       \
    } while (0)

#define DSG_LB_L0(r, w) ((r) = (w) & m)
#define DSG_LB_L(SH) DSG_LB_L_##SH
#define DSG_LB_LX(r, w, SH) DSG_LB_EXT(r, m, w, SH)
#define DSG_LB_L_1(r, w) DSG_LB_LX(r, w, 1)
#define DSG_LB_L_2(r, w) DSG_LB_LX(r, w, 2)
#define DSG_LB_L_3(r, w) DSG_LB_LX(r, w, 3)
#define DSG_LB_L_4(r, w) DSG_LB_LX(r, w, 4)
#define DSG_LB_L_5(r, w) DSG_LB_LX(r, w, 5)
#define DSG_LB_L_6(r, w) DSG_LB_LX(r, w, 6)
#define DSG_LB_L_7(r, w) DSG_LB_LX(r, w, 7)
#define DSG_LB_L_8(r, w) DSG_LB_LX(r, w, 8)
#define DSG_LB_L_9(r, w) DSG_LB_LX(r, w, 9)
#define DSG_LB_L_10(r, w) DSG_LB_LX(r, w, 10)
#define DSG_LB_L_11(r, w) DSG_LB_LX(r, w, 11)
#define DSG_LB_L_12(r, w) DSG_LB_LX(r, w, 12)
#define DSG_LB_L_13(r, w) DSG_LB_LX(r, w, 13)
#define DSG_LB_L_14(r, w) DSG_LB_LX(r, w, 14)
#define DSG_LB_L_15(r, w) DSG_LB_LX(r, w, 15)

/* The 2x2 block: rows r0, r1 (nw words each) against columns ca and ca + DSG_LB_KMAX. */
#define DSG_LB_MM(NAME, BITS, MASK, BODY)                                                       \
    static void NAME(const uint8_t *r0, const uint8_t *r1, const int16_t *ca, int32_t nw,      \
                     uint32_t *acc)                                                            \
    {                                                                                          \
        const uint32_t m = (MASK);                                                             \
        uint32_t a00 = 0, a01 = 0, a10 = 0, a11 = 0;                                           \
        for (; nw > 0; --nw, r0 += 4, r1 += 4, ca += 32 / (BITS)) {                            \
            const uint32_t w0 = dsg_lb_word(r0), w1 = dsg_lb_word(r1);                        \
            BODY                                                                               \
        }                                                                                      \
        acc[0] = a00;                                                                          \
        acc[1] = a01;                                                                          \
        acc[2] = a10;                                                                          \
        acc[3] = a11;                                                                          \
    }

#if !(DSG_USE_DSP && defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && defined(__thumb2__) && \
      DSG_LB_KMAX <= 2000)
#if DSG_LB_W4
DSG_LB_MM(dsg_lb_mm4, 4, 0x000F000Fu,
          DSG_LB_PAIR(DSG_LB_MAC, 0, DSG_LB_L0); DSG_LB_PAIR(DSG_LB_MAC, 1, DSG_LB_L(4));
          DSG_LB_PAIR(DSG_LB_MAC, 2, DSG_LB_L(8)); DSG_LB_PAIR(DSG_LB_MAC, 3, DSG_LB_L(12));)
#endif
#if DSG_LB_W2

DSG_LB_MM(dsg_lb_mm2, 2, 0x00030003u,
          DSG_LB_PAIR(DSG_LB_MAC, 0, DSG_LB_L0); DSG_LB_PAIR(DSG_LB_MAC, 1, DSG_LB_L(2));
          DSG_LB_PAIR(DSG_LB_MAC, 2, DSG_LB_L(4)); DSG_LB_PAIR(DSG_LB_MAC, 3, DSG_LB_L(6));
          DSG_LB_PAIR(DSG_LB_MAC, 4, DSG_LB_L(8)); DSG_LB_PAIR(DSG_LB_MAC, 5, DSG_LB_L(10));
          DSG_LB_PAIR(DSG_LB_MAC, 6, DSG_LB_L(12)); DSG_LB_PAIR(DSG_LB_MAC, 7, DSG_LB_L(14));)
#endif
#if DSG_LB_W1

DSG_LB_MM(dsg_lb_mm1, 1, 0x00010001u,
          DSG_LB_PAIR(DSG_LB_SEL, 0, DSG_LB_L0); DSG_LB_PAIR(DSG_LB_SEL, 1, DSG_LB_L(1));
          DSG_LB_PAIR(DSG_LB_SEL, 2, DSG_LB_L(2)); DSG_LB_PAIR(DSG_LB_SEL, 3, DSG_LB_L(3));
          DSG_LB_PAIR(DSG_LB_SEL, 4, DSG_LB_L(4)); DSG_LB_PAIR(DSG_LB_SEL, 5, DSG_LB_L(5));
          DSG_LB_PAIR(DSG_LB_SEL, 6, DSG_LB_L(6)); DSG_LB_PAIR(DSG_LB_SEL, 7, DSG_LB_L(7));
          DSG_LB_PAIR(DSG_LB_SEL, 8, DSG_LB_L(8)); DSG_LB_PAIR(DSG_LB_SEL, 9, DSG_LB_L(9));
          DSG_LB_PAIR(DSG_LB_SEL, 10, DSG_LB_L(10)); DSG_LB_PAIR(DSG_LB_SEL, 11, DSG_LB_L(11));
          DSG_LB_PAIR(DSG_LB_SEL, 12, DSG_LB_L(12)); DSG_LB_PAIR(DSG_LB_SEL, 13, DSG_LB_L(13));
          DSG_LB_PAIR(DSG_LB_SEL, 14, DSG_LB_L(14)); DSG_LB_PAIR(DSG_LB_SEL, 15, DSG_LB_L(15));)
#endif
#endif

#if DSG_USE_DSP && defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && defined(__thumb2__) && \
    DSG_LB_KMAX <= 2000
/* The same 2x2 block in Thumb-2, all fourteen registers in use: per weight word, 2 LDR of
 * weights and per lane pair 2 LDR of activations, 2 AND (shifted register) and 4 SMLAD, plus 3 of
 * loop: 37 instructions for 2 x 2 x G MACs (G = 8: 1.16 per MAC; GCC spills about 13 more). */
typedef struct {
    const uint8_t *r0;  /* [0] the first pair's first row (channel c0) */
    int32_t rowb;       /* [4] bytes per row: the pairs' rows follow each other */
    const int16_t *ca;  /* [8] column b at ca + DSG_LB_KMAX */
    int32_t nw;         /* [12] words per row, >= 1 */
    uint32_t *acc;      /* [16] 4 sums per pair (advanced by the loop) */
    int32_t pairs;      /* [20] channel pairs, >= 1 (counted down by the loop) */
} dsg_lb_job;

#define DSG_LB_S2(x) #x
#define DSG_LB_S(x) DSG_LB_S2(x)
/* lane pair S (byte offset 4S in the columns), lanes (w >> SH) & m */
#define DSG_LB_ASM_PAIR(S, EXT0, EXT1)                                                          \
    "ldr    r11, [r2, #(4*" #S ")]\n\t"                                                         \
    "ldr    r12, [r2, #(4*" #S "+2*" DSG_LB_S(DSG_LB_KMAX) ")]\n\t"                             \
    EXT0 "smlad  r4, lr, r11, r4\n\tsmlad  r5, lr, r12, r5\n\t"                               \
    EXT1 "smlad  r6, lr, r11, r6\n\tsmlad  r7, lr, r12, r7\n\t"
#define DSG_LB_ASM_P(S, SH)                                                                     \
    DSG_LB_ASM_PAIR(S, "and    lr, r8, r9, lsr #" #SH "\n\t", "and    lr, r8, r10, lsr #" #SH "\n\t")
#define DSG_LB_ASM_P0 DSG_LB_ASM_PAIR(0, "and    lr, r8, r9\n\t", "and    lr, r8, r10\n\t")
/* Pairs of channels in one call (the rows of channel pair p are rows 2p and 2p + 1): per pair
 * about 20 instructions of bookkeeping, the job's acc and pairs on the stack frame's copy. */
#define DSG_LB_ASM_FN(NAME, MASK, STEP, BODY)                                                  \
    __attribute__((naked)) static void NAME(dsg_lb_job *j __attribute__((unused)))            \
    {                                                                                          \
        __asm__("push   {r0, r4-r11, lr}\n\t"                                                 \
                "ldr    r1, [r0, #4]\n\t"                                                     \
                "ldr    r0, [r0]\n\t"                                                         \
                "add    r1, r0, r1\n\t"                                                       \
                "mov    r8, #" MASK "\n\t"                                                    \
                "2:\n\t"                                                                       \
                "ldr    r12, [sp]\n\t"                                                        \
                "ldr    r2, [r12, #8]\n\t"                                                    \
                "ldr    r3, [r12, #12]\n\t"                                                   \
                "movs   r4, #0\n\tmovs   r5, #0\n\tmovs   r6, #0\n\tmovs   r7, #0\n\t"      \
                "1:\n\t"                                                                       \
                "ldr    r9, [r0], #4\n\t"                                                     \
                "ldr    r10, [r1], #4\n\t" BODY                                               \
                "adds   r2, r2, #" STEP "\n\t"                                                \
                "subs   r3, r3, #1\n\t"                                                       \
                "bne    1b\n\t"                                                               \
                "ldr    r12, [sp]\n\t"                                                        \
                "ldr    r11, [r12, #16]\n\t"                                                  \
                "stmia  r11!, {r4-r7}\n\t"                                                    \
                "str    r11, [r12, #16]\n\t"                                                  \
                "ldr    r11, [r12, #20]\n\t"                                                  \
                "subs   r11, r11, #1\n\t"                                                     \
                "str    r11, [r12, #20]\n\t"                                                  \
                "beq    3f\n\t"                                                               \
                "ldr    r11, [r12, #4]\n\t"                                                   \
                "mov    r0, r1\n\t" /* the rows end where the next pair's begin */            \
                "add    r1, r1, r11\n\t"                                                      \
                "b      2b\n\t"                                                               \
                "3:\n\t"                                                                       \
                "pop    {r0}\n\t"                                                             \
                "pop    {r4-r11, pc}\n\t");                                                   \
    }

#if DSG_LB_W4
DSG_LB_ASM_FN(dsg_lb_mm4_asm, "0x000F000F", "16",
              DSG_LB_ASM_P0 DSG_LB_ASM_P(1, 4) DSG_LB_ASM_P(2, 8) DSG_LB_ASM_P(3, 12))
#endif
#if DSG_LB_W2
DSG_LB_ASM_FN(dsg_lb_mm2_asm, "0x00030003", "32",
              DSG_LB_ASM_P0 DSG_LB_ASM_P(1, 2) DSG_LB_ASM_P(2, 4) DSG_LB_ASM_P(3, 6)
              DSG_LB_ASM_P(4, 8) DSG_LB_ASM_P(5, 10) DSG_LB_ASM_P(6, 12) DSG_LB_ASM_P(7, 14))
#endif
#if DSG_LB_W1
DSG_LB_ASM_FN(dsg_lb_mm1_asm, "0x00010001", "64",
              DSG_LB_ASM_P0 DSG_LB_ASM_P(1, 1) DSG_LB_ASM_P(2, 2) DSG_LB_ASM_P(3, 3)
              DSG_LB_ASM_P(4, 4) DSG_LB_ASM_P(5, 5) DSG_LB_ASM_P(6, 6) DSG_LB_ASM_P(7, 7)
              DSG_LB_ASM_P(8, 8) DSG_LB_ASM_P(9, 9) DSG_LB_ASM_P(10, 10) DSG_LB_ASM_P(11, 11)
              DSG_LB_ASM_P(12, 12) DSG_LB_ASM_P(13, 13) DSG_LB_ASM_P(14, 14)
              DSG_LB_ASM_P(15, 15))
#endif

/* S of channel pairs p = 0 .. pairs - 1 (rows r0 + 2p*rowb and the next) against the two
 * columns: acc[4p ..] = {row 2p col a, row 2p col b, row 2p+1 col a, row 2p+1 col b}. */
static void dsg_lb_mm_pairs(const uint8_t *r0, int32_t rowb, const int16_t *ca, int32_t k,
                            int32_t bits, int32_t pairs, uint32_t *acc)
{
    dsg_lb_job j;
    j.r0 = r0;
    j.rowb = rowb;
    j.ca = ca;
    j.nw = k * bits / 32;
    j.acc = acc;
    j.pairs = pairs;
    (void)j, (void)bits;
#if DSG_LB_W4
    if (bits == 4) dsg_lb_mm4_asm(&j);
#endif
#if DSG_LB_W2
    if (bits == 2) dsg_lb_mm2_asm(&j);
#endif
#if DSG_LB_W1
    if (bits == 1) dsg_lb_mm1_asm(&j);
#endif
}

#else
/* S for rows r0, r1 against the two columns: acc = {r0.a, r0.b, r1.a, r1.b}. */
static void dsg_lb_mm(const uint8_t *r0, const uint8_t *r1, const int16_t *ca, int32_t k,
                      int32_t bits, uint32_t *acc)
{
    const int32_t nw = k * bits / 32;
    acc[0] = acc[1] = acc[2] = acc[3] = 0; /* (every width reaching here is compiled in) */
    (void)r0, (void)r1, (void)ca, (void)nw;
#if DSG_LB_W4
    if (bits == 4) dsg_lb_mm4(r0, r1, ca, nw, acc);
#endif
#if DSG_LB_W2
    if (bits == 2) dsg_lb_mm2(r0, r1, ca, nw, acc);
#endif
#if DSG_LB_W1
    if (bits == 1) dsg_lb_mm1(r0, r1, ca, nw, acc);
#endif
}

static void dsg_lb_mm_pairs(const uint8_t *r0, int32_t rowb, const int16_t *ca, int32_t k,
                            int32_t bits, int32_t pairs, uint32_t *acc)
{
    for (; pairs > 0; --pairs, r0 += 2 * rowb, acc += 4) dsg_lb_mm(r0, r0 + rowb, ca, k, bits, acc);
}
#endif

/* ------------------------------------------------------------------- depthwise 3x3 pairs */

/* Two output pixels A, B of a 3x3 channel pair (dsg_lb_dw_plane's lane pairs): B's window is
 * s = 1 or 2 lines after A's (a constant at each call), so they share 3 - s of the lines the
 * taps walk along: 12 input loads for 36 MACs at s = 1 (18 for one pixel at a time).  Line k
 * starts at x + k*l, its taps are e words apart; weight (line k, tap j) is wl[k*wl_l + j*wl_e].
 * a: {A ch0, A ch1, B ch0, B ch1}, added to. */
#define DSG_LB_DW_TAP(K, J)                                                                    \
    do {                                                                                       \
        const uint32_t v = x[(K) * l + (J) * e];                                               \
        if ((K) < 3) {                                                                         \
            DSG_LB_BB(a0, v, wl[(K) * wl_l + (J) * wl_e]);                                     \
            DSG_LB_TT(a1, v, wl[(K) * wl_l + (J) * wl_e]);                                     \
        }                                                                                      \
        if ((K) >= s && (K) - s < 3) {                                                         \
            DSG_LB_BB(b0, v, wl[((K) - s) * wl_l + (J) * wl_e]);                               \
            DSG_LB_TT(b1, v, wl[((K) - s) * wl_l + (J) * wl_e]);                               \
        }                                                                                      \
    } while (0)
#define DSG_LB_DW_LINE(K) \
    DSG_LB_DW_TAP(K, 0);  \
    DSG_LB_DW_TAP(K, 1);  \
    DSG_LB_DW_TAP(K, 2)

DSG_LB_INLINE void dsg_lb_dw3x2(const uint32_t *x, int32_t l, int32_t e, int32_t s, int32_t wl_l,
                             int32_t wl_e, const uint32_t *wl, uint32_t *a)
{
    uint32_t a0 = a[0], a1 = a[1], b0 = a[2], b1 = a[3];
    DSG_LB_DW_LINE(0);
    DSG_LB_DW_LINE(1);
    DSG_LB_DW_LINE(2);
    DSG_LB_DW_LINE(3);
    if (s == 2) {
        DSG_LB_DW_LINE(4);
    }
    a[0] = a0;
    a[1] = a1;
    a[2] = b0;
    a[3] = b1;
}
#undef DSG_LB_DW_LINE
#undef DSG_LB_DW_TAP

/* One output pixel of a channel pair, any kernel: window at x, rows dh and taps dw words apart. */
DSG_LB_HELPER void dsg_lb_dw1(const uint32_t *x, int32_t kh, int32_t kw, int32_t dh, int32_t dw,
                              const uint32_t *wl, uint32_t *a)
{
    uint32_t a0 = a[0], a1 = a[1];
    int32_t ky, kx;
    for (ky = 0; ky < kh; ++ky, x += dh)
        for (kx = 0; kx < kw; ++kx) {
            const uint32_t v = x[kx * dw], w = *wl++;
            DSG_LB_BB(a0, v, w);
            DSG_LB_TT(a1, v, w);
        }
    a[0] = a0;
    a[1] = a1;
}

/* The doubled output stage of a depthwise channel: dsg_rq2's constants. */
typedef struct {
    int32_t mult, hz, r;
} dsg_lb_rq2;

/* A depthwise channel pair c, c + 1: its taps as lane pairs wl[t] (dsg_lb_get2), the stages
 * s0, s1 and the sums' start values.  On DSP cores, when both channels take the fast stage and
 * |acc| < 2^30 for any input (|x - z_in| <= dmax), the lanes become v * 2^(wshift+1) and the sums
 * start at 2*bias: they are then 2*acc, for the four-instruction dsg_rq2 with constants f[0],
 * f[1] (returns 1).  Otherwise the sums start at 0 and are S for dsg_lb_apply (returns 0). */
static int32_t dsg_lb_dw_prep(const dsg_lowbit_conv_params *lp, int32_t c, int32_t taps,
                              int64_t dmax, uint32_t *wl, dsg_lb_stage *s0, dsg_lb_stage *s1,
                              dsg_lb_rq2 *f, uint32_t *init)
{
    const dsg_conv_params *p = &lp->conv;
    const int32_t n = taps * p->in_c, ws = lp->wshift;
    int32_t t, two = 0;
    for (t = 0; t < taps; ++t) wl[t] = dsg_lb_get2(lp->wpacked, lp->wbits, n, t * p->in_c + c);
    dsg_lb_stage_make(s0, c, lp);
    dsg_lb_stage_make(s1, c + 1, lp);
    init[0] = init[1] = 0u;
    (void)dmax, (void)f, (void)ws;
#if DSG_USE_DSP
    two = s0->fast && s1->fast && ws <= 10; /* |v| * 2^(ws+1) <= 2^14: an int16 lane */
    if (two) {
        int64_t m0 = 0, m1 = 0; /* sum |v| of each channel */
        const int64_t b0 = (int32_t)s0->bias, b1 = (int32_t)s1->bias;
        for (t = 0; t < taps; ++t) {
            const int32_t v0 = (int16_t)(wl[t] & 0xFFFFu), v1 = (int16_t)(wl[t] >> 16);
            m0 += v0 < 0 ? -v0 : v0;
            m1 += v1 < 0 ? -v1 : v1;
        }
        two = (b0 < 0 ? -b0 : b0) + (m0 << ws) * dmax < ((int64_t)1 << 30) &&
              (b1 < 0 ? -b1 : b1) + (m1 << ws) * dmax < ((int64_t)1 << 30);
    }
    if (two) {
        const int32_t k = ws + 1;
        for (t = 0; t < taps; ++t) /* each lane times 2^k, in its own halfword */
            wl[t] = ((wl[t] << k) & 0xFFFFu) | ((wl[t] >> 16) << (16 + k));
        init[0] = 2u * s0->bias;
        init[1] = 2u * s1->bias;
        for (t = 0; t < 2; ++t) {
            const dsg_rqf q = dsg_rqf_make(0, p->mult[c + t], p->shift[c + t], p->z_out);
            f[t].mult = q.mult;
            f[t].hz = q.hz;
            f[t].r = q.r;
        }
    }
#endif
    return two;
}

#if DSG_USE_DSP
/* Words per plane line of dsg_lb_dw_lanes for this 3x3 depthwise layer (window hp x wp), or 0
 * when it does not take that path.  Lanes run along the longer output axis; the pairs of outputs
 * read 2 * s * ceil(n / 2) + 2 lanes of a line (the window's length along it is less). */
static int32_t dsg_lb_lanes_lw(const dsg_conv_params *p, int32_t hp, int32_t wp)
{
    const int32_t tr = p->out_h > p->out_w;
    const int32_t n = tr ? p->out_h : p->out_w, s = tr ? p->stride_h : p->stride_w;
    const int32_t d = tr ? p->dilation_h : p->dilation_w, lines = tr ? wp : hp;
    const int32_t lw = s * ((n + 1) / 2) + 1;
    if (p->kernel_h != 3 || p->kernel_w != 3 || d != 1 || s < 1 || s > 2 || n < 2) return 0;
    return 2 * lines * lw <= DSG_LB_PLANE ? lw : 0;
}
#endif

#if DSG_USE_DSP
/* A GEMM channel's doubled output stage: 2*bias and dsg_rq2's constants. */
typedef struct {
    uint32_t b2;
    int32_t mult, hz, r;
} dsg_lb_q2;

static dsg_lb_q2 dsg_lb_q2_make(const dsg_conv_params *p, int32_t c)
{
    const dsg_rqf f = dsg_rqf_make(0, p->mult[c], p->shift[c], p->z_out);
    dsg_lb_q2 q;
    q.b2 = 2u * (uint32_t)(p->bias ? p->bias[c] : 0);
    q.mult = f.mult;
    q.hz = f.hz;
    q.r = f.r;
    return q;
}

/* The sat8 clamp (SSAT #8, then + c) applies to [lo, hi] (a 256-wide range, and dsg_rq2's hz with z_out - c no
 * larger than dsg_rqf_ok allows: 2^30 + 2^22); *c = lo + 128. */
static int32_t dsg_lb_sat8(const dsg_conv_params *p, int32_t r, int32_t *c)
{
    const int64_t cc = (int64_t)p->act_min + 128, lim = ((int64_t)1 << 30) + ((int64_t)1 << 22);
    const int64_t hz = ((int64_t)1 << (r - 1)) + ((int64_t)p->z_out - cc) * ((int64_t)1 << r);
    *c = 0;
    if ((int64_t)p->act_max - p->act_min != 255 || hz > lim || -hz > lim) return 0;
    *c = (int32_t)cc;
    return 1;
}

/* The GEMM's doubled stage is exact: every channel takes the fast stage and |acc| < 2^30 for
 * any input (|x - z_in| <= dmax), so 2*acc fits int32. */
static int32_t dsg_lb_gemm2_ok(const dsg_lowbit_conv_params *lp, int32_t k, int64_t dmax)
{
    const dsg_conv_params *p = &lp->conv;
    const int64_t vmax = lp->wbits == 1 ? 1 : (int64_t)1 << (lp->wbits - 1);
    int32_t c;
    if (!dsg_lb_rqf_ok(p) || lp->wshift > 16 || ((k * vmax * dmax) << lp->wshift) >= (1 << 29))
        return 0;
    for (c = 0; c < p->out_c; ++c)
        if (p->bias && (p->bias[c] >= (1 << 29) || p->bias[c] <= -(1 << 29))) return 0;
    return 1;
}
#endif

#if DSG_USE_DSP && defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && defined(__thumb2__)
#define DSG_LB_DWL_ASM 1
/* dsg_lb_dw_lanes' output line in Thumb-2 (the C model is dsg_lb_dwl_run with the doubled
 * stage): per pair of outputs 3 LDRD (+3 LDR at stride 2), 12 multiplies, dsg_rq2 and the clamp
 * on both, two stores; the six weight words stay in r4-r9, the stage's constants are read with
 * LDRD from the job.  About 47 instructions per 18 MACs where GCC's spills made 64. */
typedef struct {
    const uint32_t *x; /* [0] line 0 of the first pair; lines 1, 2 at +ld, +2*ld bytes */
    int32_t ld;        /* [4] bytes */
    void *y;           /* [8] */
    int32_t ystep;     /* [12] bytes between the pair's two outputs */
    const uint32_t *end; /* [16] x after the last pair (>= 1 pair) */
    int32_t w[6];      /* [20] {w0,w1} {w1,w2} of kernel lines 0, 1, 2 */
    int32_t init;      /* [44] 2*bias */
    int32_t hz, mult;  /* [48] dsg_rq2's constants */
    int32_t r, lo;     /* [56] */
    int32_t hi, odd;   /* [64] odd: one more output after the pairs (cleared by the loop) */
    uint32_t spare;    /* [72] where that last output's partner goes */
} dsg_lb_dwl_job;

/* one kernel line: input line at register R, weights {w0,w1} in WA, {w1,w2} in WB; a0 in
 * r10, a1 in r11 (stride 1: y1 = SMLATB(x01, w01) + SMLAD(x23, w12)) */
#define DSG_LB_DWL_S1(R, WA, WB)                                                                \
    "ldrd   r2, r3, [" R "]\n\t"                                                                \
    "smlad  r10, r2, " WA ", r10\n\t"                                                           \
    "smlabt r10, r3, " WB ", r10\n\t"                                                           \
    "smlatb r11, r2, " WA ", r11\n\t"                                                           \
    "smlad  r11, r3, " WB ", r11\n\t"
/* stride 2: y1 = SMLAD(x23, w01) + SMLABT(x45, w12) */
#define DSG_LB_DWL_S2(R, WA, WB)                                                                \
    "ldrd   r2, r3, [" R "]\n\t"                                                                \
    "smlad  r10, r2, " WA ", r10\n\t"                                                           \
    "smlabt r10, r3, " WB ", r10\n\t"                                                           \
    "ldr    r2, [" R ", #8]\n\t"                                                                \
    "smlad  r11, r3, " WA ", r11\n\t"                                                           \
    "smlabt r11, r2, " WB ", r11\n\t"

/* The clamp of both outputs (r10, r11) with r3 = the job's lo: to [lo, hi] in general; for a
 * 256-wide range (sat8) the stage's zero point is z_out - c (c = lo + 128, in the job's lo), so
 * SSAT #8 and adding c back clamp in three instructions instead of six. */
#define DSG_LB_DWL_CLAMP                                                                        \
    "cmp    r10, r3\n\tit     lt\n\tmovlt  r10, r3\n\t"                                     \
    "cmp    r11, r3\n\tit     lt\n\tmovlt  r11, r3\n\t"                                     \
    "ldr    r2, [lr, #64]\n\t"                                                                \
    "cmp    r10, r2\n\tit     gt\n\tmovgt  r10, r2\n\t"                                     \
    "cmp    r11, r2\n\tit     gt\n\tmovgt  r11, r2\n\t"
#define DSG_LB_DWL_SAT8                                                                         \
    "ssat   r10, #8, r10\n\t"                                                                 \
    "ssat   r11, #8, r11\n\t"                                                                 \
    "add    r10, r10, r3\n\t"                                                                 \
    "add    r11, r11, r3\n\t"

/* The loop, for one stride (S: 1 or 2), store (STR: strb or strh) and clamp; r0 = x, r1 = y. */
#define DSG_LB_DWL_FN(NAME, S, STR, L, CLAMP)                                                  \
    __attribute__((naked)) static void NAME(dsg_lb_dwl_job *j __attribute__((unused)))        \
    {                                                                                          \
        __asm__("push   {r0, r4-r11, lr}\n\t"                                                 \
                "add    r1, r0, #20\n\t"                                                      \
                "ldm    r1, {r4-r9}\n\t" /* the weights */                                  \
                "ldr    r12, [r0, #4]\n\t"                                                    \
                "ldr    r1, [r0, #8]\n\t"                                                     \
                "ldr    r0, [r0]\n\t"                                                         \
                "1:\n\t"                                                                       \
                "ldr    lr, [sp]\n\t"                                                         \
                "ldr    r10, [lr, #44]\n\t"                                                   \
                "mov    r11, r10\n\t" L("r0", "r4", "r5")                                    \
                "add    lr, r0, r12\n\t" L("lr", "r6", "r7")                                 \
                "add    lr, lr, r12\n\t" L("lr", "r8", "r9")                                 \
                "ldr    lr, [sp]\n\t"                                                         \
                "ldrd   r2, r3, [lr, #48]\n\t"                                                \
                "add    r2, r2, r10, asr #31\n\t"                                             \
                "smmlar r10, r10, r3, r2\n\t"                                                 \
                "ldr    r2, [lr, #48]\n\t"                                                    \
                "add    r2, r2, r11, asr #31\n\t"                                             \
                "smmlar r11, r11, r3, r2\n\t"                                                 \
                "ldrd   r2, r3, [lr, #56]\n\t"                                                \
                "asr    r10, r10, r2\n\t"                                                     \
                "asr    r11, r11, r2\n\t"                                                     \
                CLAMP                                                                          \
                "ldr    r3, [lr, #12]\n\t"                                                    \
                STR "   r10, [r1]\n\t"                                                        \
                STR "   r11, [r1, r3]\n\t"                                                    \
                "add    r1, r1, r3, lsl #1\n\t"                                               \
                "adds   r0, r0, #(4*" #S ")\n\t"                                              \
                "ldr    r2, [lr, #16]\n\t"                                                    \
                "cmp    r0, r2\n\t"                                                           \
                "bne    1b\n\t"                                                               \
                "ldr    r3, [lr, #68]\n\t" /* an odd count: one more pair, its second */      \
                "cbz    r3, 2f\n\t"        /* output stored into the spare word */            \
                "movs   r3, #0\n\t"                                                           \
                "str    r3, [lr, #68]\n\t"                                                    \
                "adds   r2, r2, #(4*" #S ")\n\t"                                              \
                "str    r2, [lr, #16]\n\t"                                                    \
                "add    r3, lr, #72\n\t"                                                      \
                "subs   r3, r3, r1\n\t"                                                       \
                "str    r3, [lr, #12]\n\t"                                                    \
                "b      1b\n\t"                                                               \
                "2:\n\t"                                                                       \
                "pop    {r0}\n\t"                                                             \
                "pop    {r4-r11, pc}\n\t");                                                   \
    }

#if DSG_LB_S8
DSG_LB_DWL_FN(dsg_lb_dwl1_s8_asm, 1, "strb", DSG_LB_DWL_S1, DSG_LB_DWL_CLAMP)
DSG_LB_DWL_FN(dsg_lb_dwl2_s8_asm, 2, "strb", DSG_LB_DWL_S2, DSG_LB_DWL_CLAMP)
DSG_LB_DWL_FN(dsg_lb_dwl1_s8_sat8_asm, 1, "strb", DSG_LB_DWL_S1, DSG_LB_DWL_SAT8)
DSG_LB_DWL_FN(dsg_lb_dwl2_s8_sat8_asm, 2, "strb", DSG_LB_DWL_S2, DSG_LB_DWL_SAT8)
#endif
#if DSG_LB_S16
DSG_LB_DWL_FN(dsg_lb_dwl1_s16_asm, 1, "strh", DSG_LB_DWL_S1, DSG_LB_DWL_CLAMP)
DSG_LB_DWL_FN(dsg_lb_dwl2_s16_asm, 2, "strh", DSG_LB_DWL_S2, DSG_LB_DWL_CLAMP)
DSG_LB_DWL_FN(dsg_lb_dwl1_s16_sat8_asm, 1, "strh", DSG_LB_DWL_S1, DSG_LB_DWL_SAT8)
DSG_LB_DWL_FN(dsg_lb_dwl2_s16_sat8_asm, 2, "strh", DSG_LB_DWL_S2, DSG_LB_DWL_SAT8)
#endif

#endif

#ifndef DSG_LB_DWL_ASM
#define DSG_LB_DWL_ASM 0
#endif

/* The kernels, once per activation type (as the other families do with their dsg_<family>_typed.inc). */
#define DSG_LB_FN2(name, sfx) name##_##sfx
#define DSG_LB_FN1(name, sfx) DSG_LB_FN2(name, sfx)
#define DSG_LB_FN(name) DSG_LB_FN1(name, DSG_LB_SFX)

#if DSG_LB_S8
#define DSG_LB_T int8_t
#define DSG_LB_SFX s8
#include "dsg_lowbit_typed.inc"
#undef DSG_LB_T
#undef DSG_LB_SFX
#endif

#if DSG_LB_S16
#define DSG_LB_T int16_t
#define DSG_LB_SFX s16
#include "dsg_lowbit_typed.inc"
#undef DSG_LB_T
#undef DSG_LB_SFX
#endif
