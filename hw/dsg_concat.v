// dsg_concat: channel concat of two NHWC streams with N_PIX pixels each: per pixel, C_A elements
// from input a then C_B elements from input b.  REQUANT = 0: a pure copy (dsgen's own quantizer
// gives all inputs the output's parameters).  REQUANT = 1: every element goes through one shared
// dsg_requant, y = clamp(Z_OUT + RQ(x - Z_x, Q_x, S_x), LO, HI) with input x's parameters; a copy
// input uses Q = 2^30, S = 1, Z_x = Z_OUT (exactly the identity).  1 element/cycle; tlast after the
// last element of the last pixel (input tlasts are ignored).
`default_nettype none

module dsg_concat #(
    parameter DATA_W  = 8,
    parameter C_A     = 4,
    parameter C_B     = 4,
    parameter N_PIX   = 4,     // pixels per tensor (H*W)
    parameter REQUANT = 0,
    parameter integer Z_A   = 0,
    parameter integer Z_B   = 0,
    parameter integer Z_OUT = 0,
    parameter integer QA    = 1073741824,
    parameter integer SA    = 1,
    parameter integer QB    = 1073741824,
    parameter integer SB    = 1,
    parameter integer LO    = -128,
    parameter integer HI    = 127
) (
    input  wire              clk,
    input  wire              rst,

    input  wire [DATA_W-1:0] s_a_axis_tdata,
    input  wire              s_a_axis_tvalid,
    output wire              s_a_axis_tready,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire              s_a_axis_tlast,
    /* verilator lint_on UNUSEDSIGNAL */

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

/* verilator lint_off WIDTHEXPAND */
/* verilator lint_off WIDTHTRUNC */

localparam CT = C_A + C_B;
reg [$clog2(CT+1)-1:0] ch;
reg [$clog2(N_PIX+1)-1:0] pix;
wire src_b = ch >= C_A;
wire last = (ch == CT-1) && (pix == N_PIX-1);

wire [DATA_W-1:0] x = src_b ? s_b_axis_tdata : s_a_axis_tdata;
wire xv = src_b ? s_b_axis_tvalid : s_a_axis_tvalid;
wire out_ready;
assign s_a_axis_tready = !src_b && out_ready;
assign s_b_axis_tready = src_b && out_ready;
wire fire = xv && out_ready;

always @(posedge clk) begin
    if (fire) begin
        if (ch == CT-1) begin
            ch <= 0;
            pix <= (pix == N_PIX-1) ? 0 : pix + 1'b1;
        end else begin
            ch <= ch + 1'b1;
        end
    end
    if (rst) begin
        ch <= 0;
        pix <= 0;
    end
end

generate
    if (REQUANT != 0) begin : g_rq
        localparam [31:0] QA_V = QA, QB_V = QB;
        localparam [7:0]  SA_V = SA, SB_V = SB;
        localparam [DATA_W-1:0] ZO_V = Z_OUT, LO_V = LO, HI_V = HI;
        wire signed [31:0] acc = $signed(x) - (src_b ? Z_B : Z_A);
        /* verilator lint_off PINCONNECTEMPTY */
        dsg_requant #(.ACC_W(32), .OUT_W(DATA_W), .USER_W(1)) u_rq (
            .clk(clk), .rst(rst),
            .s_axis_tdata(acc), .s_axis_q(src_b ? QB_V : QA_V), .s_axis_shift(src_b ? SB_V : SA_V),
            .s_axis_q_neg(32'd0), .s_axis_shift_neg(8'd0), .s_axis_tuser(1'b0),
            .s_axis_tvalid(xv), .s_axis_tready(out_ready), .s_axis_tlast(last),
            .zp(ZO_V), .lo(LO_V), .hi(HI_V),
            .m_axis_tdata(m_axis_tdata), .m_axis_tuser(), .m_axis_tvalid(m_axis_tvalid),
            .m_axis_tready(m_axis_tready), .m_axis_tlast(m_axis_tlast)
        );
        /* verilator lint_on PINCONNECTEMPTY */
    end else begin : g_copy
        reg [DATA_W-1:0] d;
        reg v, l;
        assign out_ready = !v || m_axis_tready;
        always @(posedge clk) begin
            if (out_ready) begin
                d <= x;
                v <= xv;
                l <= last;
            end
            if (rst)
                v <= 1'b0;
        end
        assign m_axis_tdata = d;
        assign m_axis_tvalid = v;
        assign m_axis_tlast = l;
    end
endgenerate

/* verilator lint_on WIDTHTRUNC */
/* verilator lint_on WIDTHEXPAND */

endmodule

`default_nettype wire
