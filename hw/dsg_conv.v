// dsg_conv: convolution engine = dsg_sliding_window (line buffer + im2col, SIMD channels/word)
// -> dsg_vecbuf (packs TAPS window words, replays each vector for the neuron folds; left out when
// there is nothing to pack or replay) -> dsg_mvu (PE x SIMD*TAPS multiply-accumulate, bias,
// per-channel requant, fused activation).
//
// Covers standard, pointwise (1x1), grouped (GROUPS > 1, DW = 0, SIMD | C_IN/GROUPS,
// PE | C_OUT/GROUPS, TAPS | C_IN/GROUPS/SIMD*K_H*K_W) and depthwise convs (DW = 1,
// GROUPS = C_IN, depth multiplier M = C_OUT/C_IN, PE = SIMD*M, TAPS = 1).  Padding positions
// carry Z_IN, so they contribute 0.
// Weights [C_OUT][K_H][K_W][C_IN/GROUPS] are laid out in the ROM words as dsg_mvu documents
// (dsgen/backends/rtl/sim.py: mvu_memh()).
//
// Cycles per tensor ~ max( H*W*C_IN                          (input, 1 element/cycle),
//                          OH*OW*(C_IN/SIMD)*K_H*K_W         (window words, 1/cycle),
//                          OH*OW*C_OUT*K_H*K_W*(C_IN/GROUPS)/(PE*SIMD*TAPS)  (standard compute),
//                          OH*OW*C_IN*K_H*K_W/SIMD           (depthwise compute),
//                          OH*OW*C_OUT                       (output, 1 element/cycle) )
// The line buffer overlaps loading the next rows with computing the current ones, so the
// multipliers are busy every cycle when compute is the bottleneck.  Latency to the first output
// ~ ((K_H-1)*D_H+1-PAD_T)*W*C_IN + SF*NF + ~18 cycles.
`default_nettype none

module dsg_conv #(
    parameter DATA_W = 8,      // activation width (16 in 16x8 mode, with Z_IN = Z_OUT = 0)
    parameter WGT_W  = 8,      // weight width
    parameter ACC_W  = 32,     // accumulator width
    parameter C_IN   = 4,      // input channels
    parameter C_OUT  = 4,      // output channels
    parameter H      = 6,      // input height
    parameter W      = 6,      // input width
    parameter K_H    = 3,      // kernel height
    parameter K_W    = 3,      // kernel width
    parameter S_H    = 1,      // stride
    parameter S_W    = 1,
    parameter D_H    = 1,      // dilation
    parameter D_W    = 1,
    parameter PAD_T  = 1,      // padding
    parameter PAD_B  = 1,
    parameter PAD_L  = 1,
    parameter PAD_R  = 1,
    parameter GROUPS = 1,      // groups (depthwise: C_IN)
    parameter DW     = 0,      // 1: depthwise engine (lanes over channels)
    parameter PE     = 2,      // output lanes (DW: SIMD*M)
    parameter SIMD   = 2,      // input channels per window word
    parameter TAPS   = 1,      // window words multiplied per cycle (standard convs only)
    parameter LEAKY  = 0,      // fused LeakyReLU (second multiplier set in RQ_FILE)
    parameter RQ_SERIAL = 0,   // 1: requantizer multiplies in fabric, 17 cycles/output (no DSP)
    parameter integer Z_IN  = 0,
    parameter integer Z_OUT = 0,
    parameter integer LO    = -128,
    parameter integer HI    = 127,
    parameter WEIGHT_FILE = "weights.memh",
    parameter BIAS_FILE   = "bias.memh",
    parameter RQ_FILE     = "rq.memh"
) (
    input  wire              clk,
    input  wire              rst,

    input  wire [DATA_W-1:0] s_axis_tdata,
    input  wire              s_axis_tvalid,
    output wire              s_axis_tready,
    input  wire              s_axis_tlast,

    output wire [DATA_W-1:0] m_axis_tdata,
    output wire              m_axis_tvalid,
    input  wire              m_axis_tready,
    output wire              m_axis_tlast
);

localparam KEH = (K_H-1)*D_H + 1;
localparam KEW = (K_W-1)*D_W + 1;
localparam OH  = (H + PAD_T + PAD_B - KEH) / S_H + 1;
localparam OW  = (W + PAD_L + PAD_R - KEW) / S_W + 1;
/* verilator lint_off WIDTHTRUNC */
localparam [DATA_W-1:0] ZI = Z_IN;
/* verilator lint_on WIDTHTRUNC */

localparam KK   = K_H * K_W;
localparam WPV  = DW ? KK : (C_IN / GROUPS / SIMD) * KK;  // window words per MVU vector
localparam NF   = DW ? 1 : C_OUT / GROUPS / PE;           // passes over each vector

wire [SIMD*DATA_W-1:0] win_data;
wire win_valid, win_ready;
wire [TAPS*SIMD*DATA_W-1:0] vec_data;
wire vec_valid, vec_ready;

/* verilator lint_off PINCONNECTEMPTY */
dsg_sliding_window #(
    .DATA_W(DATA_W), .C(C_IN), .H(H), .W(W), .K_H(K_H), .K_W(K_W), .S_H(S_H), .S_W(S_W),
    .D_H(D_H), .D_W(D_W), .PAD_T(PAD_T), .PAD_B(PAD_B), .PAD_L(PAD_L), .PAD_R(PAD_R),
    .SIMD(SIMD)
) u_win (
    .clk(clk), .rst(rst), .pad_value(ZI),
    .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready),
    .s_axis_tlast(s_axis_tlast),
    .m_axis_tdata(win_data), .m_axis_tuser(), .m_axis_tvalid(win_valid),
    .m_axis_tready(win_ready), .m_axis_tlast()
);
/* verilator lint_on PINCONNECTEMPTY */

generate
    if (NF == 1 && TAPS == 1) begin : g_direct
        // each window word is multiplied once, as it arrives (depthwise, or PE = C_OUT/GROUPS):
        // nothing to replay or pack, so no buffer
        assign vec_data = win_data;
        assign vec_valid = win_valid;
        assign win_ready = vec_ready;
    end else begin : g_vecbuf
        dsg_vecbuf #(
            .DATA_W(DATA_W), .SIMD(SIMD), .TAPS(TAPS), .WPV(WPV), .REPEAT(NF)
        ) u_vec (
            .clk(clk), .rst(rst),
            .s_axis_tdata(win_data), .s_axis_tvalid(win_valid), .s_axis_tready(win_ready),
            .m_axis_tdata(vec_data), .m_axis_tvalid(vec_valid), .m_axis_tready(vec_ready)
        );
    end
endgenerate

dsg_mvu #(
    .DATA_W(DATA_W), .WGT_W(WGT_W), .ACC_W(ACC_W), .C_IN(C_IN), .C_OUT(C_OUT), .KK(KK),
    .GROUPS(GROUPS), .DW(DW), .PE(PE), .SIMD(SIMD), .TAPS(TAPS), .N_PIX(OH*OW), .LEAKY(LEAKY),
    .RQ_SERIAL(RQ_SERIAL),
    .Z_IN(Z_IN), .Z_OUT(Z_OUT), .LO(LO), .HI(HI),
    .WEIGHT_FILE(WEIGHT_FILE), .BIAS_FILE(BIAS_FILE), .RQ_FILE(RQ_FILE)
) u_mvu (
    .clk(clk), .rst(rst),
    .s_axis_tdata(vec_data), .s_axis_tvalid(vec_valid), .s_axis_tready(vec_ready),
    .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready),
    .m_axis_tlast(m_axis_tlast)
);

endmodule

`default_nettype wire
