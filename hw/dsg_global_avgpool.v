// dsg_global_avgpool: global average pool, H x W x C -> 1 x 1 x C, y = clamp(rdiv(sum, H*W), LO, HI).
// RQ = 1 (the output has its own scale, PoolQ.rq set: docs/fixed_point.md general average rule):
// y = clamp(Z_OUT + RQ(sum - H*W*Z_IN, Q, S), LO, HI) through a dsg_requant instead of dsg_rdiv.
//
// Streaming: one accumulator per channel in a small RAM with single-cycle read-modify-write
// (asynchronous read: distributed RAM, C x SUM_W bits).  The first pixel loads, the others add; on
// the last pixel the finished sum goes to dsg_rdiv (constant divisor H*W, exact reciprocal) instead
// of being written back, so there is no separate output phase and the next tensor can follow
// immediately.  Input runs at 1 element/cycle; it stalls only when the output is back-pressured
// during the last pixel (or, RQ_SERIAL = 1, while the requantizer takes 17 cycles a channel).
// Cycles per tensor ~ H*W*C (+ 16*C with RQ_SERIAL).
`default_nettype none

module dsg_global_avgpool #(
    parameter DATA_W = 8,
    parameter C      = 4,
    parameter H      = 4,
    parameter W      = 4,
    parameter integer LO = -128,
    parameter integer HI = 127,
    parameter RQ = 0,                 // 1: requantize (Z_IN, Z_OUT, Q, S) instead of rdiv
    parameter integer Z_IN  = 0,
    parameter integer Z_OUT = 0,
    parameter integer Q     = 1073741824,
    parameter integer S     = 0,
    parameter RQ_SERIAL     = 0       // RQ = 1: dsg_requant SERIAL (no hard multiplier; the last
                                      // pixel then takes 17 cycles per channel)
) (
    input  wire              clk,
    input  wire              rst,

    input  wire [DATA_W-1:0] s_axis_tdata,
    input  wire              s_axis_tvalid,
    output wire              s_axis_tready,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire              s_axis_tlast,
    /* verilator lint_on UNUSEDSIGNAL */

    output wire [DATA_W-1:0] m_axis_tdata,
    output wire              m_axis_tvalid,
    input  wire              m_axis_tready,
    output wire              m_axis_tlast
);

/* verilator lint_off WIDTHEXPAND */
/* verilator lint_off WIDTHTRUNC */

localparam NPIX = H * W;
localparam SW = DATA_W + $clog2(NPIX + 1) + 1;
localparam [DATA_W-1:0] LOV = LO;
localparam [DATA_W-1:0] HIV = HI;

reg [SW-1:0] accm [0:C-1];
reg [$clog2(C+1)-1:0] c;
reg [$clog2(NPIX+1)-1:0] pix;

// first/last pixel as registered flags (for timing: no compare before the RAM read and the add).
// RQ = 1 starts each sum at -H*W*Z_IN, so the finished sum is already the centred value the
// requantizer takes (one add, no subtract after it); |sum - H*W*Z_IN| < 2^DATA_W * H*W fits SW.
reg first_pix, last_pix;
wire div_ready;
assign s_axis_tready = !last_pix || div_ready;
wire fire = s_axis_tvalid && s_axis_tready;
wire [SW-1:0] xe = {{(SW-DATA_W){s_axis_tdata[DATA_W-1]}}, s_axis_tdata};
localparam signed [SW-1:0] SUM0 = (RQ != 0) ? -NPIX * Z_IN : 0;
wire [SW-1:0] sum = (first_pix ? SUM0 : accm[c]) + xe;

always @(posedge clk) begin
    if (fire) begin
        accm[c] <= sum;
        if (c == C-1) begin
            c <= 0;
            pix <= last_pix ? 0 : pix + 1'b1;
            first_pix <= last_pix;
            last_pix <= last_pix ? (NPIX == 1) : (pix == NPIX-2);
        end else begin
            c <= c + 1'b1;
        end
    end
    if (rst) begin
        c <= 0;
        pix <= 0;
        first_pix <= 1'b1;
        last_pix <= (NPIX == 1);
    end
end

generate
if (RQ == 0) begin : g_rdiv
    dsg_rdiv #(.IN_W(SW), .OUT_W(DATA_W), .N_MAX(NPIX), .CONST_N(NPIX)) u_div (
        .clk(clk), .rst(rst),
        .s_axis_tdata(sum), .s_axis_n({$clog2(NPIX+1){1'b0}}),
        .s_axis_tvalid(s_axis_tvalid && last_pix), .s_axis_tready(div_ready),
        .s_axis_tlast(c == C-1), .lo(LOV), .hi(HIV),
        .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid),
        .m_axis_tready(m_axis_tready), .m_axis_tlast(m_axis_tlast)
    );
end else begin : g_rq
    // sum - n*z_in (the sum started there); SW < 32 bits for any real tensor size
    localparam [DATA_W-1:0] ZOV = Z_OUT;
    localparam [31:0] QV = Q;
    localparam [7:0]  SV = S;
    wire signed [31:0] centred = $signed(sum);
    /* verilator lint_off PINCONNECTEMPTY */
    dsg_requant #(.ACC_W(32), .OUT_W(DATA_W), .USER_W(1), .LEAKY(0), .SERIAL(RQ_SERIAL)) u_rq (
        .clk(clk), .rst(rst),
        .s_axis_tdata(centred), .s_axis_q(QV), .s_axis_shift(SV), .s_axis_q_neg(QV),
        .s_axis_shift_neg(SV), .s_axis_tuser(1'b0),
        .s_axis_tvalid(s_axis_tvalid && last_pix), .s_axis_tready(div_ready),
        .s_axis_tlast(c == C-1), .zp(ZOV), .lo(LOV), .hi(HIV),
        .m_axis_tdata(m_axis_tdata), .m_axis_tuser(), .m_axis_tvalid(m_axis_tvalid),
        .m_axis_tready(m_axis_tready), .m_axis_tlast(m_axis_tlast)
    );
    /* verilator lint_on PINCONNECTEMPTY */
end
endgenerate

/* verilator lint_on WIDTHTRUNC */
/* verilator lint_on WIDTHEXPAND */

endmodule

`default_nettype wire
