// Sliding-window line buffer (KxK, non-square, stride, dilation, padding) and the pooling kernel.
//
// The line buffer keeps the last LB_ROWS = (KH-1)*DH+1 input rows, row r in slot r % LB_ROWS.
// Before output row oh the kernel reads input rows up to min(oh*SH - PT + (KH-1)*DH, IN_H-1) and
// no further, so those are always the newest LB_ROWS rows; rows below the last window are read and
// dropped at the end (each call consumes exactly one frame). dsgen's Python dataflow model
// (dsgen/backends/hls/dataflow.py) mirrors exactly this read/write order to size FIFOs.
#ifndef DSG_HLS_WINDOW_H
#define DSG_HLS_WINDOW_H

#include <stdint.h>

// The last input row output row `oh` needs.
template <class CFG>
static inline int dsg_lb_last_row(int oh) {
    const int r = oh * CFG::SH - CFG::PT + (CFG::KH - 1) * CFG::DH;
    return r < CFG::IN_H - 1 ? r : CFG::IN_H - 1;
}

template <class CFG>
void dsg_lb_read_rows(hls::stream<typename CFG::in_t> &in,
                      typename CFG::in_t lb[CFG::LB_ROWS][CFG::IN_W][CFG::IN_C], int &rows_read,
                      int last_row) {
    for (; rows_read <= last_row; ++rows_read) {
#pragma HLS LOOP_TRIPCOUNT min = 0 max = CFG::LB_ROWS
        const int slot = rows_read % CFG::LB_ROWS;
        for (int w = 0; w < CFG::IN_W; ++w) {
            for (int c = 0; c < CFG::IN_C; ++c) {
#pragma HLS PIPELINE II = 1
                lb[slot][w][c] = in.read();
            }
        }
    }
}

// Gathers the window of output pixel (oh, ow): win[(kh*KW + kw)*IN_C + c]. A padded position holds
// the pad value Z_IN (so x - Z_IN contributes 0 to a conv) and is flagged invalid in valid[tap].
template <class CFG>
void dsg_lb_window(const typename CFG::in_t lb[CFG::LB_ROWS][CFG::IN_W][CFG::IN_C], int oh, int ow,
                   int32_t win[CFG::WIN], bool valid[CFG::KH * CFG::KW]) {
    for (int kh = 0; kh < CFG::KH; ++kh) {
        for (int kw = 0; kw < CFG::KW; ++kw) {
            const int r = oh * CFG::SH - CFG::PT + kh * CFG::DH;
            const int col = ow * CFG::SW - CFG::PL + kw * CFG::DW;
            const bool in_range = r >= 0 && r < CFG::IN_H && col >= 0 && col < CFG::IN_W;
            const int tap = kh * CFG::KW + kw;
            valid[tap] = in_range;
            for (int c = 0; c < CFG::IN_C; ++c) {
#pragma HLS UNROLL
                win[tap * CFG::IN_C + c] =
                    in_range ? lb[r % CFG::LB_ROWS][col][c].to_int() : int32_t(CFG::Z_IN);
            }
        }
    }
}

// One output value of a pooling window for channel c (docs/fixed_point.md, pooling rules).
template <class CFG>
int32_t dsg_pool_value(const int32_t win[CFG::WIN], const bool valid[CFG::KH * CFG::KW], int c) {
    int32_t best = INT32_MIN, sum = 0, n = 0;
    for (int tap = 0; tap < CFG::KH * CFG::KW; ++tap) {
        const int32_t x = win[tap * CFG::IN_C + c];
        if (valid[tap]) {
            best = x > best ? x : best;
            sum += x;
            n += 1;
        } else if (CFG::COUNT_PAD) {
            sum += x;  // the pad value Z_IN
            n += 1;
        }
    }
    if (CFG::IS_MAX) return dsg_clamp(best, CFG::LO, CFG::HI);
    if (CFG::HAS_RQ) {
        const int64_t y = int64_t(CFG::Z_OUT) + dsg_requantize(sum - n * CFG::Z_IN, CFG::RQ_Q,
                                                                CFG::RQ_SHIFT);
        return static_cast<int32_t>(y < CFG::LO ? CFG::LO : (y > CFG::HI ? CFG::HI : y));
    }
    return dsg_clamp(dsg_rdiv(sum, n), CFG::LO, CFG::HI);
}

// Max / average pooling over KxK windows, one element per beat, channels sequential.
template <class CFG>
void dsg_pool(hls::stream<typename CFG::in_t> &in, hls::stream<typename CFG::out_t> &out) {
    static_assert(CFG::WIN == CFG::KH * CFG::KW * CFG::IN_C, "pool: WIN");
    typename CFG::in_t lb[CFG::LB_ROWS][CFG::IN_W][CFG::IN_C];
    int rows_read = 0;
    for (int oh = 0; oh < CFG::OUT_H; ++oh) {
        dsg_lb_read_rows<CFG>(in, lb, rows_read, dsg_lb_last_row<CFG>(oh));
        for (int ow = 0; ow < CFG::OUT_W; ++ow) {
            int32_t win[CFG::WIN];
            bool valid[CFG::KH * CFG::KW];
            dsg_lb_window<CFG>(lb, oh, ow, win, valid);
            for (int c = 0; c < CFG::IN_C; ++c) {
#pragma HLS PIPELINE II = 1
                out.write(typename CFG::out_t(dsg_pool_value<CFG>(win, valid, c)));
            }
        }
    }
    dsg_lb_read_rows<CFG>(in, lb, rows_read, CFG::IN_H - 1);
}

#endif
