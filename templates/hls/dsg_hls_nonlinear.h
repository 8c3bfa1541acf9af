// Kernels of MobileNetV3 / EfficientNet / ShuffleNetV2 (docs/fixed_point.md): table activation,
// run-time channel scale (squeeze-and-excitation), channel slice. One element per beat, NHWC order.
#ifndef DSG_HLS_NONLINEAR_H
#define DSG_HLS_NONLINEAR_H

#include <stdint.h>

// Table activation (HardSwish, HardSigmoid, Sigmoid, SiLU, Tanh): y = T[x + 128], int8 in and out.
// The 256 entries are the contract (already clamped to the output's range); a ROM, no arithmetic.
template <class CFG>
void dsg_lut(hls::stream<typename CFG::in_t> &in, hls::stream<typename CFG::out_t> &out,
             const int8_t table[256]) {
    static_assert(CFG::TABLE_IN_MIN == -128, "lut: int8 tables only");
    for (int i = 0; i < CFG::N; ++i) {
#pragma HLS PIPELINE II = 1
        const int32_t x = in.read().to_int();
        out.write(typename CFG::out_t(table[x - CFG::TABLE_IN_MIN]));
    }
}

// Table activation on int16 (16x8 mode): 513 entries, one every 2^SHIFT = 128 input codes,
// interpolated. With u = x + 32768, k = u >> 7, f = u & 127:
// y = clamp(T[k] + (((T[k + 1] - T[k]) * f + 64) >> 7), LO, HI), the shift arithmetic (floor).
// The entries are 17-bit (beyond the output's range where the function leaves it, so the clamp
// cuts the interpolated line). The two reads per element fit a dual-port ROM at II = 1.
template <class CFG>
void dsg_lut_interp(hls::stream<typename CFG::in_t> &in, hls::stream<typename CFG::out_t> &out,
                    const int32_t table[CFG::ENTRIES]) {
    static_assert(CFG::TABLE_IN_MIN == -32768 && CFG::ENTRIES == (65536 >> CFG::SHIFT) + 1,
                  "lut_interp: int16 inputs, 2^16 / 2^SHIFT segments");
    for (int i = 0; i < CFG::N; ++i) {
#pragma HLS PIPELINE II = 1
        const int32_t u = in.read().to_int() - CFG::TABLE_IN_MIN;
        const int32_t k = u >> CFG::SHIFT, f = u & ((1 << CFG::SHIFT) - 1);
        const int32_t t0 = table[k], t1 = table[k + 1];
        const int32_t y = t0 + (((t1 - t0) * f + (1 << (CFG::SHIFT - 1))) >> CFG::SHIFT);
        out.write(typename CFG::out_t(y < CFG::LO ? CFG::LO : y > CFG::HI ? CFG::HI : y));
    }
}

// Channel slice: per pixel, input channels [START, STOP) of IN_C are copied, the rest dropped
// (the other half of a channel split is a second slice behind a broadcast). Same scale: a copy.
template <class CFG>
void dsg_channel_slice(hls::stream<typename CFG::in_t> &in, hls::stream<typename CFG::out_t> &out) {
    static_assert(0 <= CFG::START && CFG::START < CFG::STOP && CFG::STOP <= CFG::IN_C,
                  "channel slice: 0 <= START < STOP <= IN_C");
    for (int p = 0; p < CFG::PIXELS; ++p) {
        for (int c = 0; c < CFG::IN_C; ++c) {
#pragma HLS PIPELINE II = 1
            const typename CFG::in_t v = in.read();
            if (c >= CFG::START && c < CFG::STOP) out.write(typename CFG::out_t(v.to_int()));
        }
    }
}

// Run-time channel scale (squeeze-and-excitation): y = clamp(z_out + RQ((x - z_x)(s[c] - z_s)))
// for the H*W*C map x and the C-vector s that the SE branch computes from x itself.
//
// Order of stream accesses (dsgen's dataflow model, dataflow.py, reproduces it): ALL of x first,
// into the frame buffer; then the C elements of s; then the output. Because the map x is consumed
// completely and unconditionally before s is waited for, the broadcast that feeds x to this
// kernel and to the SE branch (whose global pool also reads the whole map before it writes) never
// stalls on either side: FIFOs of the default depth cannot deadlock. The price is the frame
// buffer, PIXELS*C elements (BRAM, reported by dsgen in the project README).
template <class CFG>
void dsg_channel_scale(hls::stream<typename CFG::in_t> &x, hls::stream<typename CFG::in_t> &s,
                       hls::stream<typename CFG::out_t> &out) {
    typename CFG::in_t frame[CFG::PIXELS * CFG::C];
    int32_t scale[CFG::C];
    for (int i = 0; i < CFG::PIXELS * CFG::C; ++i) {
#pragma HLS PIPELINE II = 1
        frame[i] = x.read();
    }
    for (int c = 0; c < CFG::C; ++c) {
#pragma HLS PIPELINE II = 1
        scale[c] = s.read().to_int() - CFG::Z_S;
    }
    for (int p = 0; p < CFG::PIXELS; ++p) {
        for (int c = 0; c < CFG::C; ++c) {
#pragma HLS PIPELINE II = 1
            // |(x - z_x)(s - z_s)| <= 255^2 at int8; dsgen proved the shifted product fits int32.
            const int32_t prod = (frame[p * CFG::C + c].to_int() - CFG::Z_X) * scale[c];
            const int64_t y = int64_t(CFG::Z_OUT) + dsg_requantize(prod, CFG::Q, CFG::SHIFT);
            out.write(typename CFG::out_t(dsg_clamp64(y, CFG::LO, CFG::HI)));
        }
    }
}

#endif
