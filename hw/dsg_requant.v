// dsg_requant: pipelined requantizer, bit-exact to docs/fixed_point.md
//
//   y = clamp(zp + RQ(acc, q, shift), lo, hi)
//   RQ(acc, q, shift) = RDBPOT(SRDHM(acc << max(shift,0), q), max(-shift,0))
//
// SRDHM: with p = x*q (64 bit), the contract's (p + nudge)/2^31 with C truncation equals
// (p + 2^30) >>> 31 for both signs (for p < 0: trunc((p+1-2^30)/2^31) = floor((p+2^30)/2^31)),
// and x == q == INT32_MIN saturates to INT32_MAX.  RDBPOT follows the contract literally
// (mask/remainder/threshold).  With LEAKY = 1 the (q, shift) pair is chosen per beat by the sign
// of acc: acc >= 0 uses (q, shift), acc < 0 uses (q_neg, shift_neg) (fused LeakyReLU).
//
// Stream interface: one accumulator per beat; q/shift (and zp/lo/hi) are sampled with the beat,
// so a per-channel ROM outside can drive them.  s_axis_tuser / tlast pass through.
// Pipeline: LATENCY = 8 register stages, global clock enable: the pipeline advances when the
// output register is empty or accepted (s_axis_tready = m_axis_tready || !m_axis_tvalid),
// 1 beat/cycle under no backpressure. For timing the 32x32 product is four 16x16 partial
// products (each fits one 18x18 hard multiplier, inputs and outputs registered), summed over two
// more stages: x*q = xh*qh*2^32 + (xh*ql + xl*qh)*2^16 + xl*ql, xh/qh signed high halves, xl/ql
// unsigned low halves, every partial product exact.
`default_nettype none

module dsg_requant #(
    parameter ACC_W  = 32,  // accumulator width (<= 32, sign-extended to 32)
    parameter OUT_W  = 8,   // output width (8, 16, or 32 for the add's intermediate terms)
    parameter USER_W = 1,   // sideband passed through with each beat
    parameter LEAKY  = 0    // 1: select (q_neg, shift_neg) when acc < 0
) (
    input  wire                 clk,
    input  wire                 rst,

    input  wire [ACC_W-1:0]     s_axis_tdata,     // accumulator (signed)
    input  wire [31:0]          s_axis_q,         // multiplier mantissa (signed, normally [2^30, 2^31) or 0)
    input  wire [7:0]           s_axis_shift,     // shift, signed, in [-31, 30]
    input  wire [31:0]          s_axis_q_neg,     // LEAKY only
    input  wire [7:0]           s_axis_shift_neg, // LEAKY only
    input  wire [USER_W-1:0]    s_axis_tuser,
    input  wire                 s_axis_tvalid,
    output wire                 s_axis_tready,
    input  wire                 s_axis_tlast,

    input  wire [OUT_W-1:0]     zp,               // output zero point (signed)
    input  wire [OUT_W-1:0]     lo,               // clamp low (signed)
    input  wire [OUT_W-1:0]     hi,               // clamp high (signed)

    output wire [OUT_W-1:0]     m_axis_tdata,
    output wire [USER_W-1:0]    m_axis_tuser,
    output wire                 m_axis_tvalid,
    input  wire                 m_axis_tready,
    output wire                 m_axis_tlast
);

localparam LATENCY = 8;

wire ce = m_axis_tready || !m_axis_tvalid;
assign s_axis_tready = ce;

reg [LATENCY-1:0] vld;
reg [LATENCY-1:0] lst;
reg [USER_W-1:0]  usr [0:LATENCY-1];

// stage 1: left shift, choose multiplier
reg signed [31:0] x1;
reg signed [31:0] q1;
reg        [4:0]  r1;
// stage 2a: four partial products; 2b: {hh, ll} and the middle sum; 2: product
reg signed [31:0] hh2a, hl2a, lh2a;          // xh*qh, xh*ql, xl*qh (signed x unsigned fit 33 bits:
reg        [31:0] ll2a;                      //  |xh*ql| < 2^31, so 32 bits hold them exactly)
reg               sat2a, sat2b;
reg        [4:0]  r2a, r2b;
reg signed [63:0] hl2b;                      // {hh, ll}
reg signed [32:0] mid2b;                     // xh*ql + xl*qh
reg signed [63:0] p2;
reg               sat2;
reg        [4:0]  r2;
// stage 3: SRDHM result
reg signed [31:0] y3;
reg        [4:0]  r3;
// stage 4: remainder / threshold / shifted
reg signed [31:0] sh4;
reg               up4;
// stage 5: rounding + zero point
reg signed [33:0] z5;
// stage 6: clamp
reg signed [OUT_W-1:0] o6;

wire signed [31:0] acc_s = {{(32-ACC_W){s_axis_tdata[ACC_W-1]}}, s_axis_tdata};
wire neg_sel = (LEAKY != 0) && acc_s[31];
wire signed [7:0] sh_sel = neg_sel ? s_axis_shift_neg : s_axis_shift;
wire [31:0] q_sel = neg_sel ? s_axis_q_neg : s_axis_q;
wire [4:0] left_amt  = sh_sel[7] ? 5'd0 : sh_sel[4:0];
/* verilator lint_off UNUSEDSIGNAL */
wire [7:0] neg_shift = -sh_sel;
wire [4:0] right_amt = sh_sel[7] ? neg_shift[4:0] : 5'd0;

// stage 3/4 helpers
wire signed [63:0] p2r = p2 + 64'sd1073741824;
/* verilator lint_on UNUSEDSIGNAL */
wire [31:0] mask3 = (32'd1 << r3) - 32'd1;
wire [31:0] rem3  = y3 & mask3;
wire [31:0] thr3  = (mask3 >> 1) + {31'd0, y3[31]};

wire signed [33:0] zp_s = {{(34-OUT_W){zp[OUT_W-1]}}, zp};
wire signed [33:0] lo_s = {{(34-OUT_W){lo[OUT_W-1]}}, lo};
wire signed [33:0] hi_s = {{(34-OUT_W){hi[OUT_W-1]}}, hi};
reg  signed [33:0] lo5, hi5, zp4;
reg  signed [33:0] lo4, hi4;
reg  signed [33:0] lo3, hi3, zp3;
reg  signed [33:0] lo2, hi2, zp2;
reg  signed [33:0] lo2a, hi2a, zp2a, lo2b, hi2b, zp2b;
wire signed [16:0] xh1 = {x1[31], x1[31:16]};
wire signed [16:0] xl1 = {1'b0, x1[15:0]};
wire signed [16:0] qh1 = {q1[31], q1[31:16]};
wire signed [16:0] ql1 = {1'b0, q1[15:0]};
/* verilator lint_off UNUSEDSIGNAL */
wire signed [33:0] hh_w = xh1 * qh1;
wire signed [33:0] hl_w = xh1 * ql1;
wire signed [33:0] lh_w = xl1 * qh1;
wire signed [33:0] ll_w = xl1 * ql1;
/* verilator lint_on UNUSEDSIGNAL */
reg  signed [33:0] lo1, hi1, zp1;

integer i;

always @(posedge clk) begin
    if (ce) begin
        vld <= {vld[LATENCY-2:0], s_axis_tvalid};
        lst <= {lst[LATENCY-2:0], s_axis_tlast};
        usr[0] <= s_axis_tuser;
        for (i = 1; i < LATENCY; i = i + 1) usr[i] <= usr[i-1];

        // 1
        x1 <= acc_s <<< left_amt;
        q1 <= q_sel;
        r1 <= right_amt;
        zp1 <= zp_s; lo1 <= lo_s; hi1 <= hi_s;
        // 2a: partial products
        hh2a <= hh_w[31:0];
        hl2a <= hl_w[31:0];
        lh2a <= lh_w[31:0];
        ll2a <= ll_w[31:0];
        sat2a <= (x1 == 32'sh80000000) && (q1 == 32'sh80000000);
        r2a <= r1;
        zp2a <= zp1; lo2a <= lo1; hi2a <= hi1;
        // 2b: xh*qh*2^32 + xl*ql is a concatenation (0 <= xl*ql < 2^32); the middle terms add
        hl2b <= {hh2a, ll2a};
        mid2b <= {hl2a[31], hl2a} + {lh2a[31], lh2a};
        sat2b <= sat2a;
        r2b <= r2a;
        zp2b <= zp2a; lo2b <= lo2a; hi2b <= hi2a;
        // 2: the product
        p2 <= hl2b + {{15{mid2b[32]}}, mid2b, 16'd0};
        sat2 <= sat2b;
        r2 <= r2b;
        zp2 <= zp2b; lo2 <= lo2b; hi2 <= hi2b;
        // 3
        y3 <= sat2 ? 32'sh7fffffff : p2r[62:31];
        r3 <= r2;
        zp3 <= zp2; lo3 <= lo2; hi3 <= hi2;
        // 4
        sh4 <= y3 >>> r3;
        up4 <= rem3 > thr3;
        zp4 <= zp3; lo4 <= lo3; hi4 <= hi3;
        // 5
        z5 <= zp4 + {{2{sh4[31]}}, sh4} + {33'd0, up4};
        lo5 <= lo4; hi5 <= hi4;
        // 6
        if (z5 < lo5)
            o6 <= lo5[OUT_W-1:0];
        else if (z5 > hi5)
            o6 <= hi5[OUT_W-1:0];
        else
            o6 <= z5[OUT_W-1:0];
    end
    if (rst) begin
        vld <= 0;
        lst <= 0;
    end
end

assign m_axis_tdata  = o6;
assign m_axis_tvalid = vld[LATENCY-1];
assign m_axis_tlast  = lst[LATENCY-1];
assign m_axis_tuser  = usr[LATENCY-1];

endmodule

`default_nettype wire
