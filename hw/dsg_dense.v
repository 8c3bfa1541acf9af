// dsg_dense: fully connected layer, y[o] = clamp(Z_OUT + RQ(bias[o] + sum_i w[o][i]*(x[i]-Z_IN)), LO, HI)
// = dsg_conv on a 1x1xIN tensor with a 1x1 kernel (dsg_mvu does the PE x SIMD folding: the input
// vector is read once and replayed from the MVU's input buffer for the OUT/PE neuron folds).
// Weights [OUT][IN] (after the frontend's flatten permutation) in dsg_mvu's ROM layout.
// Cycles per inference ~ max(IN, OUT*IN/(PE*SIMD*TAPS), OUT).
`default_nettype none

module dsg_dense #(
    parameter DATA_W = 8,
    parameter WGT_W  = 8,
    parameter IN     = 16,    // input features (multiple of SIMD)
    parameter OUT    = 10,    // output features (multiple of PE)
    parameter PE     = 2,
    parameter SIMD   = 4,
    parameter TAPS   = 1,     // SIMD-input words per multiply word (IN multiple of SIMD*TAPS)
    parameter LEAKY  = 0,
    parameter RQ_SERIAL = 0,  // 1: requantizer multiplies in fabric, 17 cycles/output
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

dsg_conv #(
    .DATA_W(DATA_W), .WGT_W(WGT_W), .C_IN(IN), .C_OUT(OUT), .H(1), .W(1), .K_H(1), .K_W(1),
    .S_H(1), .S_W(1), .D_H(1), .D_W(1), .PAD_T(0), .PAD_B(0), .PAD_L(0), .PAD_R(0),
    .GROUPS(1), .DW(0), .PE(PE), .SIMD(SIMD), .TAPS(TAPS), .LEAKY(LEAKY), .RQ_SERIAL(RQ_SERIAL),
    .Z_IN(Z_IN), .Z_OUT(Z_OUT), .LO(LO), .HI(HI),
    .WEIGHT_FILE(WEIGHT_FILE), .BIAS_FILE(BIAS_FILE), .RQ_FILE(RQ_FILE)
) u_conv (
    .clk(clk), .rst(rst),
    .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready),
    .s_axis_tlast(s_axis_tlast),
    .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready),
    .m_axis_tlast(m_axis_tlast)
);

endmodule

`default_nettype wire
