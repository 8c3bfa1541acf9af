// dsg_add: residual add (TFLite quantized add, docs/fixed_point.md "Residual Add"):
//   a' = RQ((x_a - Z_A) << L, QA, SA),  b' = RQ((x_b - Z_B) << L, QB, SB)
//   y  = clamp(Z_OUT + RQ(a' + b', QO, SO), LO, HI)          (L = 20 for int8, 15 for 16x8)
// Architecture: the two inputs are joined beat by beat (both must be valid), two dsg_requant
// pipelines run in lockstep (identical control), their sum feeds a third.  1 element/cycle;
// latency two dsg_requant pipelines plus the join.  The skip branch feeding one input needs a
// dsg_fifo whose DEPTH the generator computes from the other branch's latency.  tlast follows input a.
`default_nettype none

module dsg_add #(
    parameter DATA_W = 8,
    parameter L      = 20,            // left shift (20 for 8-bit, 15 for 16x8)
    parameter integer Z_A   = 0,
    parameter integer Z_B   = 0,
    parameter integer Z_OUT = 0,
    parameter integer QA    = 1073741824,  // multipliers (q, shift)
    parameter integer SA    = 0,
    parameter integer QB    = 1073741824,
    parameter integer SB    = 0,
    parameter integer QO    = 1073741824,
    parameter integer SO    = 0,
    parameter integer LO    = -128,
    parameter integer HI    = 127
) (
    input  wire              clk,
    input  wire              rst,

    input  wire [DATA_W-1:0] s_a_axis_tdata,
    input  wire              s_a_axis_tvalid,
    output wire              s_a_axis_tready,
    input  wire              s_a_axis_tlast,

    input  wire [DATA_W-1:0] s_b_axis_tdata,
    input  wire              s_b_axis_tvalid,
    output wire              s_b_axis_tready,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire              s_b_axis_tlast,
    /* verilator lint_on UNUSEDSIGNAL */

    output wire [DATA_W-1:0] m_axis_tdata,
    output wire              m_axis_tvalid,
    input  wire              m_axis_tready,
    output wire              m_axis_tlast
);

/* verilator lint_off WIDTHTRUNC */
localparam [31:0] QA_V = QA, QB_V = QB, QO_V = QO;
localparam [7:0]  SA_V = SA, SB_V = SB, SO_V = SO;
localparam [DATA_W-1:0] ZO_V = Z_OUT, LO_V = LO, HI_V = HI;
/* verilator lint_on WIDTHTRUNC */

/* verilator lint_off WIDTHEXPAND */
wire signed [31:0] xa = $signed(s_a_axis_tdata) - Z_A;   // sign-extended
wire signed [31:0] xb = $signed(s_b_axis_tdata) - Z_B;
/* verilator lint_on WIDTHEXPAND */

wire rq_ready, rqb_ready_unused;
wire both = s_a_axis_tvalid && s_b_axis_tvalid;
assign s_a_axis_tready = rq_ready && s_b_axis_tvalid;
assign s_b_axis_tready = rq_ready && s_a_axis_tvalid;

wire [31:0] ya, yb;
wire va, vb_unused, la, lb_unused, sum_ready;

/* verilator lint_off PINCONNECTEMPTY */
dsg_requant #(.ACC_W(32), .OUT_W(32), .USER_W(1)) u_rqa (
    .clk(clk), .rst(rst),
    .s_axis_tdata(xa <<< L), .s_axis_q(QA_V), .s_axis_shift(SA_V), .s_axis_q_neg(32'd0),
    .s_axis_shift_neg(8'd0), .s_axis_tuser(1'b0), .s_axis_tvalid(both), .s_axis_tready(rq_ready),
    .s_axis_tlast(s_a_axis_tlast),
    .zp(32'd0), .lo(32'h80000000), .hi(32'h7fffffff),
    .m_axis_tdata(ya), .m_axis_tuser(), .m_axis_tvalid(va), .m_axis_tready(sum_ready),
    .m_axis_tlast(la)
);
dsg_requant #(.ACC_W(32), .OUT_W(32), .USER_W(1)) u_rqb (
    .clk(clk), .rst(rst),
    .s_axis_tdata(xb <<< L), .s_axis_q(QB_V), .s_axis_shift(SB_V), .s_axis_q_neg(32'd0),
    .s_axis_shift_neg(8'd0), .s_axis_tuser(1'b0), .s_axis_tvalid(both),
    .s_axis_tready(rqb_ready_unused), .s_axis_tlast(1'b0),
    .zp(32'd0), .lo(32'h80000000), .hi(32'h7fffffff),
    .m_axis_tdata(yb), .m_axis_tuser(), .m_axis_tvalid(vb_unused), .m_axis_tready(sum_ready),
    .m_axis_tlast(lb_unused)
);
dsg_requant #(.ACC_W(32), .OUT_W(DATA_W), .USER_W(1)) u_rqo (
    .clk(clk), .rst(rst),
    .s_axis_tdata(ya + yb), .s_axis_q(QO_V), .s_axis_shift(SO_V), .s_axis_q_neg(32'd0),
    .s_axis_shift_neg(8'd0), .s_axis_tuser(1'b0), .s_axis_tvalid(va), .s_axis_tready(sum_ready),
    .s_axis_tlast(la),
    .zp(ZO_V), .lo(LO_V), .hi(HI_V),
    .m_axis_tdata(m_axis_tdata), .m_axis_tuser(), .m_axis_tvalid(m_axis_tvalid),
    .m_axis_tready(m_axis_tready), .m_axis_tlast(m_axis_tlast)
);
/* verilator lint_on PINCONNECTEMPTY */

endmodule

`default_nettype wire
