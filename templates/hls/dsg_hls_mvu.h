// Matrix-vector engine with PE x SIMD folding, and the conv / pointwise / dense kernels on it.
//
// Weights are stored folded, W[PE][SIMD][NF*SF] (NF = C_out/PE neuron folds, SF = K/SIMD synapse
// folds, K = KH*KW*C_in/groups): element [pe][s][nf*SF + sf] is weight[c = nf*PE + pe][k = sf*SIMD
// + s] in the IR layout [C_out][kh][kw][C_in/groups]. Partitioning dims 1 and 2 completely gives
// the PE*SIMD multipliers one weight each per cycle. Per-channel bias and multipliers are
// [PE][NF]. Each (nf, sf) step is one pipelined cycle: cycles/pixel = NF * SF.
//
// CFG::w_t is the weights' stored type: int8_t at 8 bits, ap_int<WBITS> below, ap_uint<1> for
// binary weights (a set bit is +1, a clear one -1: the product is an add or a subtract, no
// multiplier). The contract's weight is the stored value times 2^WSHIFT (a QAT model's headroom,
// dsgen.backends.weights): acc = B + (sum v*x) * 2^WSHIFT, the same integers.
#ifndef DSG_HLS_MVU_H
#define DSG_HLS_MVU_H

#include <stdint.h>

// y = clamp(z_out + RQ(acc, m[c]), lo, hi), with m_neg for acc < 0 under a fused LeakyReLU.
template <class CFG>
int32_t dsg_conv_out(int32_t acc, int32_t q, int32_t s, int32_t qn, int32_t sn) {
    const bool neg = CFG::LEAKY && acc < 0;
    const int64_t y = int64_t(CFG::Z_OUT) + dsg_requantize(acc, neg ? qn : q, neg ? sn : s);
    return static_cast<int32_t>(y < CFG::LO ? CFG::LO : (y > CFG::HI ? CFG::HI : y));
}

// One product of a stored weight and an input: binary weights select +x or -x.
template <class CFG>
int32_t dsg_wmul(const typename CFG::w_t &w, int32_t x) {
    if (CFG::WBITS == 1) return (int32_t(w) != 0) ? x : -x;
    return int32_t(w) * x;
}

// win holds x - Z_IN for the receptive field in (kh, kw, c) order, c over all IN_C channels;
// output channel c of group g = c / COUT_G reads input channels g*CIN_G .. g*CIN_G + CIN_G - 1.
template <class CFG>
void dsg_mvu(const int32_t win[CFG::WIN], hls::stream<typename CFG::out_t> &out,
             const typename CFG::w_t W[CFG::PE][CFG::SIMD][CFG::NF * CFG::SF],
             const int32_t B[CFG::PE][CFG::NF], const int32_t M[CFG::PE][CFG::NF],
             const int32_t S[CFG::PE][CFG::NF], const int32_t MN[CFG::PE][CFG::NF],
             const int32_t SN[CFG::PE][CFG::NF]) {
    static_assert(CFG::NF * CFG::PE == CFG::OUT_C, "mvu: PE must divide C_out");
    static_assert(CFG::SF * CFG::SIMD == CFG::K, "mvu: SIMD must divide K");
    static_assert(CFG::K == CFG::KH * CFG::KW * CFG::CIN_G, "mvu: K");
    static_assert(CFG::COUT_G * CFG::GROUPS == CFG::OUT_C, "mvu: groups");
    for (int nf = 0; nf < CFG::NF; ++nf) {
        int32_t acc[CFG::PE];
#pragma HLS ARRAY_PARTITION variable = acc complete
        // WSHIFT > 0: the sum of the stored products, bias and shift added after (it fits int32:
        // dsgen.quant.qat chose WSHIFT so that the unshifted sums have a factor 2 to spare)
        for (int pe = 0; pe < CFG::PE; ++pe) acc[pe] = CFG::WSHIFT == 0 ? B[pe][nf] : 0;
        for (int sf = 0; sf < CFG::SF; ++sf) {
#pragma HLS PIPELINE II = 1
            for (int pe = 0; pe < CFG::PE; ++pe) {
#pragma HLS UNROLL
                const int g = (nf * CFG::PE + pe) / CFG::COUT_G;
                for (int s = 0; s < CFG::SIMD; ++s) {
#pragma HLS UNROLL
                    const int k = sf * CFG::SIMD + s;
                    const int idx = (k / CFG::CIN_G) * CFG::IN_C + g * CFG::CIN_G + k % CFG::CIN_G;
                    acc[pe] += dsg_wmul<CFG>(W[pe][s][nf * CFG::SF + sf], win[idx]);
                }
            }
        }
        for (int pe = 0; pe < CFG::PE; ++pe) {
#pragma HLS PIPELINE II = 1
            const int32_t a = CFG::WSHIFT == 0
                                  ? acc[pe]
                                  : int32_t(int64_t(B[pe][nf]) +
                                            int64_t(acc[pe]) * (int64_t(1) << CFG::WSHIFT));
            out.write(typename CFG::out_t(
                dsg_conv_out<CFG>(a, M[pe][nf], S[pe][nf], MN[pe][nf], SN[pe][nf])));
        }
    }
}

// KxK convolution (standard, grouped, depthwise): line buffer + window + MVU.
template <class CFG>
void dsg_conv(hls::stream<typename CFG::in_t> &in, hls::stream<typename CFG::out_t> &out,
              const typename CFG::w_t W[CFG::PE][CFG::SIMD][CFG::NF * CFG::SF],
              const int32_t B[CFG::PE][CFG::NF], const int32_t M[CFG::PE][CFG::NF],
              const int32_t S[CFG::PE][CFG::NF], const int32_t MN[CFG::PE][CFG::NF],
              const int32_t SN[CFG::PE][CFG::NF]) {
    static_assert(CFG::WIN == CFG::KH * CFG::KW * CFG::IN_C, "conv: WIN");
    typename CFG::in_t lb[CFG::LB_ROWS][CFG::IN_W][CFG::IN_C];
    int rows_read = 0;
    for (int oh = 0; oh < CFG::OUT_H; ++oh) {
        dsg_lb_read_rows<CFG>(in, lb, rows_read, dsg_lb_last_row<CFG>(oh));
        for (int ow = 0; ow < CFG::OUT_W; ++ow) {
            int32_t win[CFG::WIN];
            bool valid[CFG::KH * CFG::KW];
            dsg_lb_window<CFG>(lb, oh, ow, win, valid);
            for (int i = 0; i < CFG::WIN; ++i) win[i] -= CFG::Z_IN;  // padding becomes exactly 0
            dsg_mvu<CFG>(win, out, W, B, M, S, MN, SN);
        }
    }
    dsg_lb_read_rows<CFG>(in, lb, rows_read, CFG::IN_H - 1);
}

// 1x1 stride-1 unpadded convolution (also grouped) and dense (a 1x1 image of N channels): one
// pixel vector at a time, no line buffer.
template <class CFG>
void dsg_pointwise(hls::stream<typename CFG::in_t> &in, hls::stream<typename CFG::out_t> &out,
                   const typename CFG::w_t W[CFG::PE][CFG::SIMD][CFG::NF * CFG::SF],
                   const int32_t B[CFG::PE][CFG::NF], const int32_t M[CFG::PE][CFG::NF],
                   const int32_t S[CFG::PE][CFG::NF], const int32_t MN[CFG::PE][CFG::NF],
                   const int32_t SN[CFG::PE][CFG::NF]) {
    static_assert(CFG::KH == 1 && CFG::KW == 1 && CFG::WIN == CFG::IN_C, "pointwise: 1x1 only");
    for (int p = 0; p < CFG::PIXELS; ++p) {
        int32_t win[CFG::WIN];
        for (int c = 0; c < CFG::IN_C; ++c) {
#pragma HLS PIPELINE II = 1
            win[c] = in.read().to_int() - CFG::Z_IN;
        }
        dsg_mvu<CFG>(win, out, W, B, M, S, MN, SN);
    }
}

#endif
