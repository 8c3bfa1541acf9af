// dsg_act: standalone activation (one no producer could absorb), docs/fixed_point.md / int_ref.act:
//   RQ = 0: y = clamp(x, LO, HI)                      (ReLU / ReLU6 / clip, scale unchanged)
//   RQ = 1: d = x - Z_IN; y = clamp(Z_OUT + RQ(d, d >= 0 ? (Q, S) : (Q_NEG, S_NEG)), LO, HI)
//           (LeakyReLU; dsg_requant with LEAKY = 1 selects the pair by the sign of d)
// The clamp variant is one register stage with a global clock enable (s_axis_tready =
// m_axis_tready || !m_axis_tvalid), the requantizing one dsg_requant's 6.  1 element/cycle.
`default_nettype none

module dsg_act #(
    parameter DATA_W = 8,
    parameter RQ     = 0,
    parameter integer Z_IN  = 0,
    parameter integer Z_OUT = 0,
    parameter integer Q     = 1073741824,
    parameter integer S     = 1,
    parameter integer Q_NEG = 1073741824,
    parameter integer S_NEG = 1,
    parameter integer LO    = -(1 << (DATA_W-1)),
    parameter integer HI    = (1 << (DATA_W-1)) - 1
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

/* verilator lint_off WIDTHTRUNC */
localparam [DATA_W-1:0] LOV = LO;
localparam [DATA_W-1:0] HIV = HI;
localparam [DATA_W-1:0] ZOV = Z_OUT;
localparam [31:0] QV  = Q;
localparam [7:0]  SV  = S;
localparam [31:0] QNV = Q_NEG;
localparam [7:0]  SNV = S_NEG;
/* verilator lint_on WIDTHTRUNC */

generate
if (RQ == 0) begin : g_clamp
    reg [DATA_W-1:0] y;
    reg v, l;
    wire ce = m_axis_tready || !v;
    wire signed [DATA_W-1:0] x = s_axis_tdata;
    assign s_axis_tready = ce;
    always @(posedge clk) begin
        if (ce) begin
            v <= s_axis_tvalid;
            l <= s_axis_tlast;
            if (x < $signed(LOV))
                y <= LOV;
            else if (x > $signed(HIV))
                y <= HIV;
            else
                y <= x;
        end
        if (rst)
            v <= 1'b0;
    end
    assign m_axis_tdata  = y;
    assign m_axis_tvalid = v;
    assign m_axis_tlast  = l;
end else begin : g_rq
    // x - Z_IN fits DATA_W+1 bits; sign-extend to the requantizer's 32-bit accumulator
    wire signed [31:0] xs = {{(32-DATA_W){s_axis_tdata[DATA_W-1]}}, s_axis_tdata};
    wire signed [31:0] d = xs - Z_IN;
    /* verilator lint_off PINCONNECTEMPTY */
    dsg_requant #(.ACC_W(32), .OUT_W(DATA_W), .USER_W(1), .LEAKY(1)) u_rq (
        .clk(clk), .rst(rst),
        .s_axis_tdata(d), .s_axis_q(QV), .s_axis_shift(SV), .s_axis_q_neg(QNV),
        .s_axis_shift_neg(SNV), .s_axis_tuser(1'b0),
        .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready), .s_axis_tlast(s_axis_tlast),
        .zp(ZOV), .lo(LOV), .hi(HIV),
        .m_axis_tdata(m_axis_tdata), .m_axis_tuser(), .m_axis_tvalid(m_axis_tvalid),
        .m_axis_tready(m_axis_tready), .m_axis_tlast(m_axis_tlast)
    );
    /* verilator lint_on PINCONNECTEMPTY */
end
endgenerate

endmodule

`default_nettype wire
