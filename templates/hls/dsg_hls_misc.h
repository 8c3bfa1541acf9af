// Kernels without weights: global pooling, residual add, concat, channel shuffle, standalone
// activation, broadcast (fan-out). One element per beat, NHWC order.
#ifndef DSG_HLS_MISC_H
#define DSG_HLS_MISC_H

#include <stdint.h>

static inline int32_t dsg_clamp64(int64_t v, int32_t lo, int32_t hi) {
    return static_cast<int32_t>(v < lo ? lo : (v > hi ? hi : v));
}

// Global max / average pool: per-channel running max or sum over H*W pixels, then C outputs.
template <class CFG>
void dsg_global_pool(hls::stream<typename CFG::in_t> &in, hls::stream<typename CFG::out_t> &out) {
    int32_t acc[CFG::C];
    for (int c = 0; c < CFG::C; ++c) acc[c] = CFG::IS_MAX ? INT32_MIN : 0;
    for (int p = 0; p < CFG::PIXELS; ++p) {
        for (int c = 0; c < CFG::C; ++c) {
#pragma HLS PIPELINE II = 1
            const int32_t x = in.read().to_int();
            acc[c] = CFG::IS_MAX ? (x > acc[c] ? x : acc[c]) : acc[c] + x;
        }
    }
    for (int c = 0; c < CFG::C; ++c) {
#pragma HLS PIPELINE II = 1
        int32_t y;
        if (CFG::IS_MAX) {
            y = dsg_clamp(acc[c], CFG::LO, CFG::HI);
        } else if (CFG::HAS_RQ) {
            const int32_t d = acc[c] - CFG::PIXELS * CFG::Z_IN;
            y = dsg_clamp64(int64_t(CFG::Z_OUT) + dsg_requantize(d, CFG::RQ_Q, CFG::RQ_SHIFT),
                            CFG::LO, CFG::HI);
        } else {
            y = dsg_clamp(dsg_rdiv(acc[c], CFG::PIXELS), CFG::LO, CFG::HI);
        }
        out.write(typename CFG::out_t(y));
    }
}

// TFLite's quantized add: both inputs to a common 2^L-magnified scale, sum, rescale. The skip
// input's FIFO depth is sized by dsgen's dataflow analysis so the long branch cannot starve it.
template <class CFG>
void dsg_add(hls::stream<typename CFG::in_t> &a, hls::stream<typename CFG::in_t> &b,
             hls::stream<typename CFG::out_t> &out) {
    for (int i = 0; i < CFG::N; ++i) {
#pragma HLS PIPELINE II = 1
        const int32_t xa = (a.read().to_int() - CFG::Z_A) * (int32_t(1) << CFG::LEFT_SHIFT);
        const int32_t xb = (b.read().to_int() - CFG::Z_B) * (int32_t(1) << CFG::LEFT_SHIFT);
        const int32_t sa = dsg_requantize(xa, CFG::QA, CFG::SA);
        const int32_t sb = dsg_requantize(xb, CFG::QB, CFG::SB);
        const int64_t y = int64_t(CFG::Z_OUT) + dsg_requantize(sa + sb, CFG::QO, CFG::SO);
        out.write(typename CFG::out_t(dsg_clamp64(y, CFG::LO, CFG::HI)));
    }
}

// Copies (or requantizes to the output's scale) one input's C channels of the current pixel.
template <class T_IN, class T_OUT>
void dsg_concat_part(hls::stream<T_IN> &in, hls::stream<T_OUT> &out, int channels, bool copy,
                     int32_t z_in, int32_t q, int32_t shift, int32_t z_out, int32_t lo,
                     int32_t hi) {
    for (int c = 0; c < channels; ++c) {
#pragma HLS PIPELINE II = 1
        const int32_t x = in.read().to_int();
        // A copied input is passed through unchanged (the contract clamps only requantized ones).
        const int32_t y =
            copy ? x : dsg_clamp64(int64_t(z_out) + dsg_requantize(x - z_in, q, shift), lo, hi);
        out.write(T_OUT(y));
    }
}

// Channel concat of two or three inputs: per pixel, input 0's channels, then input 1's, ...
template <class CFG>
void dsg_concat2(hls::stream<typename CFG::in_t> &a, hls::stream<typename CFG::in_t> &b,
                 hls::stream<typename CFG::out_t> &out) {
    for (int p = 0; p < CFG::PIXELS; ++p) {
        dsg_concat_part(a, out, CFG::C0, CFG::COPY0, CFG::Z0, CFG::Q0, CFG::S0, CFG::Z_OUT,
                        CFG::LO, CFG::HI);
        dsg_concat_part(b, out, CFG::C1, CFG::COPY1, CFG::Z1, CFG::Q1, CFG::S1, CFG::Z_OUT,
                        CFG::LO, CFG::HI);
    }
}

template <class CFG>
void dsg_concat3(hls::stream<typename CFG::in_t> &a, hls::stream<typename CFG::in_t> &b,
                 hls::stream<typename CFG::in_t> &c, hls::stream<typename CFG::out_t> &out) {
    for (int p = 0; p < CFG::PIXELS; ++p) {
        dsg_concat_part(a, out, CFG::C0, CFG::COPY0, CFG::Z0, CFG::Q0, CFG::S0, CFG::Z_OUT,
                        CFG::LO, CFG::HI);
        dsg_concat_part(b, out, CFG::C1, CFG::COPY1, CFG::Z1, CFG::Q1, CFG::S1, CFG::Z_OUT,
                        CFG::LO, CFG::HI);
        dsg_concat_part(c, out, CFG::C2, CFG::COPY2, CFG::Z2, CFG::Q2, CFG::S2, CFG::Z_OUT,
                        CFG::LO, CFG::HI);
    }
}

// Channel shuffle with G groups, C = G*NPER: output channel i*G + j is input channel j*NPER + i.
template <class CFG>
void dsg_shuffle(hls::stream<typename CFG::in_t> &in, hls::stream<typename CFG::out_t> &out) {
    static_assert(CFG::G * CFG::NPER == CFG::C, "shuffle: C = G * NPER");
    for (int p = 0; p < CFG::PIXELS; ++p) {
        typename CFG::in_t buf[CFG::C];
        for (int c = 0; c < CFG::C; ++c) {
#pragma HLS PIPELINE II = 1
            buf[c] = in.read();
        }
        for (int o = 0; o < CFG::C; ++o) {
#pragma HLS PIPELINE II = 1
            out.write(typename CFG::out_t(buf[(o % CFG::G) * CFG::NPER + o / CFG::G].to_int()));
        }
    }
}

// Standalone activation: a clamp (ReLU/ReLU6 at unchanged scale) or LeakyReLU's two multipliers.
template <class CFG>
void dsg_act(hls::stream<typename CFG::in_t> &in, hls::stream<typename CFG::out_t> &out) {
    for (int i = 0; i < CFG::N; ++i) {
#pragma HLS PIPELINE II = 1
        const int32_t x = in.read().to_int();
        int64_t y = x;
        if (CFG::HAS_RQ) {
            const int32_t d = x - CFG::Z_IN;
            y = int64_t(CFG::Z_OUT) + (d >= 0 ? dsg_requantize(d, CFG::Q, CFG::S)
                                              : dsg_requantize(d, CFG::QN, CFG::SN));
        }
        out.write(typename CFG::out_t(dsg_clamp64(y, CFG::LO, CFG::HI)));
    }
}

// Fan-out of one stream to two consumers (DATAFLOW streams are single-producer single-consumer).
template <class T, int N>
void dsg_broadcast(hls::stream<T> &in, hls::stream<T> &out0, hls::stream<T> &out1) {
    for (int i = 0; i < N; ++i) {
#pragma HLS PIPELINE II = 1
        const T v = in.read();
        out0.write(v);
        out1.write(v);
    }
}

#endif
