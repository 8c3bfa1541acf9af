/*
 * dsg_pool.c -- pooling: max, average and global average, s8 and s16.  On DSP cores
 * the s8 kernels handle 4 channels per word (SXTAB16 sums, SSUB8/SEL maxima).
 */
#include "dsg_support.h"

#if DSG_USE_DSP
/* Per-channel sums s[0..3] of 4 neighbouring channels (pixel stride ch) over the window rows
 * [ya, yb), columns [xa, xb) of at most 256 taps: SXTAB16 adds bytes 0, 2 (and, rotated, 1, 3)
 * of each word into int16 lanes, which hold the sum of 256 int8 values exactly
 * ([-32768, 32512]). */
static void dsg_wsum4_s8(const int8_t *x, int32_t in_w, int32_t ch, int32_t ya, int32_t yb,
                         int32_t xa, int32_t xb, int32_t *s)
{
    int32_t a = 0, b = 0, iy, ix;
    for (iy = ya; iy < yb; ++iy)
        for (ix = xa; ix < xb; ++ix) {
            const uint32_t u = dsg_read4(x + (iy * in_w + ix) * ch);
            a = dsg_sxtab16(a, u);
            b = dsg_sxtab16_ror8(b, u);
        }
    s[0] = (int16_t)((uint32_t)a & 0xFFFFu);
    s[1] = (int16_t)((uint32_t)b & 0xFFFFu);
    s[2] = (int16_t)((uint32_t)a >> 16);
    s[3] = (int16_t)((uint32_t)b >> 16);
}

/* The same over n pixels (a global pool), in runs of 256 flushed into int32. */
static void dsg_gsum4_s8(const int8_t *x, int32_t n, int32_t ch, int32_t *s)
{
    int32_t i, j, t[4];
    s[0] = s[1] = s[2] = s[3] = 0;
    for (i = 0; i < n; i += 256) {
        dsg_wsum4_s8(x, 0, ch, 0, 1, i, n - i < 256 ? n : i + 256, t);
        for (j = 0; j < 4; ++j) s[j] += t[j];
    }
}

/* The max of 4 neighbouring channels (pixel stride ch) over the window rows [ya, yb) and
 * columns [xa, xb), clamped to [lo, hi] given as 4 bytes each: per tap one LDR and SSUB8 + SEL
 * for 4 channels.  An empty window gives lo, as the scalar loop's INT32_MIN clamps to it. */
static uint32_t dsg_max4_s8(const int8_t *in, int32_t in_w, int32_t ch, int32_t ya, int32_t yb,
                            int32_t xa, int32_t xb, uint32_t lo4, uint32_t hi4)
{
    uint32_t m = lo4;
    int32_t iy, ix;
    for (iy = ya; iy < yb; ++iy)
        for (ix = xa; ix < xb; ++ix) m = dsg_smax8(dsg_read4(in + (iy * in_w + ix) * ch), m);
    return dsg_smin8(m, hi4);
}
#endif

#define DSG_T int8_t
#define DSG_SFX s8
#if DSG_USE_DSP
#define DSG_GSUM4 1
#define DSG_MAXPOOL4 1
#endif
#include "dsg_pool_typed.inc"
#undef DSG_GSUM4
#undef DSG_MAXPOOL4
#undef DSG_T
#undef DSG_SFX

#define DSG_T int16_t
#define DSG_SFX s16
#include "dsg_pool_typed.inc"
#undef DSG_T
#undef DSG_SFX
