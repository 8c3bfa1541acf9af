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
// Pipeline (SERIAL = 0): LATENCY = 12 register stages (the last an output register with a skid
// buffer), global clock enable: the pipeline advances unless its last stage is full and the skid
// buffer too (s_axis_tready from registers, not from m_axis_tready), 1 beat/cycle. For timing
// (150 MHz on ECP5) the beat is registered first (stage 0a), and the 32x32 product
// is four 16x16 partial products (each one 18x18 hard multiplier with its own input and output
// registers, hw/dsg_mul.v), summed over three more stages: x*q = xh*qh*2^32 + (xh*ql + xl*qh)*2^16 +
// xl*ql, xh/qh signed high halves, xl/ql unsigned low halves, every partial product exact;
// round, shift and clamp take five stages with no carry chain longer than 34 bits.
// SERIAL = 1 (engines whose output stream is slower than one element per SERIAL_II = 17 cycles,
// e.g. every layer of the keyword spotter at 16 multipliers): the same product by radix-4 Booth
// recoding of q over 16 cycles in fabric (one 35-bit add per cycle, no hard multiplier), so the
// hard multipliers stay on MACs. Beats wait in stages 0a/0b until the multiplier is free (it
// takes one beat per 17 cycles; s_axis_tready = stage 0a empty, one register); the handshake and
// every result are the same as SERIAL = 0 (latency 25 cycles).
`default_nettype none

module dsg_requant #(
    parameter ACC_W  = 32,  // accumulator width (<= 32, sign-extended to 32)
    parameter OUT_W  = 8,   // output width (8, 16, or 32 for the add's intermediate terms)
    parameter USER_W = 1,   // sideband passed through with each beat
    parameter LEAKY  = 0,   // 1: select (q_neg, shift_neg) when acc < 0
    parameter SERIAL = 0    // 1: Booth multiply in fabric over 16 cycles (no hard multiplier)
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

// the pipeline advances unless its last stage holds a result the output skid buffer cannot take
// (from registers only: the consumer's ready stops at the skid buffer, it does not chain through
// this pipeline into the producer's logic)
wire p_valid;
reg  skid_v;
wire ce = !skid_v || !p_valid;

// ------------------------------------------------------------------ input selection
wire signed [31:0] acc_s = {{(32-ACC_W){s_axis_tdata[ACC_W-1]}}, s_axis_tdata};
wire neg_sel = (LEAKY != 0) && acc_s[31];
wire signed [7:0] sh_sel = neg_sel ? s_axis_shift_neg : s_axis_shift;
wire [31:0] q_sel = neg_sel ? s_axis_q_neg : s_axis_q;

// stage 0: the beat registered as it arrives (0a); SERIAL = 1 registers it again (0b).  Callers
// drive the beat from adders and per-channel ROM reads; synthesis may absorb 0a into a block-RAM
// ROM as its read register (an ECP5 DP16KD's data then arrives ~6 ns into the cycle), so the
// serial engine's load starts from 0b.  SERIAL = 0 advances 0a with the pipeline (ce) and starts
// from it (a second register on ce made the tiny model's handshake path miss 150 MHz); SERIAL = 1 is a two-entry queue in front of the engine (0a takes a
// beat when empty, s_axis_tready = !v0; 0b when empty or handing its beat to the engine), so the
// next beats wait there while the engine multiplies and the 17-cycle interval stays.
wire signed [31:0] acc_i;
wire        [31:0] q_i;
wire signed [7:0]  sh_i;
wire [OUT_W-1:0]   zp_i, lo_i, hi_i;
wire               v_i, l_i;
wire [USER_W-1:0]  u_i;
wire               en0, en0b;
/* verilator lint_off UNUSEDSIGNAL */  // 0b with SERIAL = 0
reg signed [31:0]  acc0, acc0b;
reg        [31:0]  q0, q0b;
reg signed [7:0]   sh0, sh0b;
reg [OUT_W-1:0]    zp0, lo0, hi0, zp0b, lo0b, hi0b;
reg                v0, l0, v0b, l0b;
reg [USER_W-1:0]   u0, u0b;
/* verilator lint_on UNUSEDSIGNAL */
always @(posedge clk) begin
    if (en0) begin
        acc0 <= acc_s; q0 <= q_sel; sh0 <= sh_sel;
        zp0 <= zp; lo0 <= lo; hi0 <= hi;
        v0 <= s_axis_tvalid; l0 <= s_axis_tlast; u0 <= s_axis_tuser;
    end else if (en0b) begin
        v0 <= 1'b0;  // (SERIAL = 1) its beat moves on to 0b
    end
    if (en0b) begin
        acc0b <= acc0; q0b <= q0; sh0b <= sh0;
        zp0b <= zp0; lo0b <= lo0; hi0b <= hi0;
        v0b <= v0; l0b <= l0; u0b <= u0;
    end
    if (rst) begin
        v0 <= 1'b0; v0b <= 1'b0;
    end
end
generate
if (SERIAL == 0) begin : g_in1  // 0b unused (removed in synthesis): one more ce load would
    assign acc_i = acc0; assign q_i = q0; assign sh_i = sh0;  // lengthen the handshake path
    assign zp_i = zp0; assign lo_i = lo0; assign hi_i = hi0;
    assign v_i = v0; assign l_i = l0; assign u_i = u0;
end else begin : g_in2
    assign acc_i = acc0b; assign q_i = q0b; assign sh_i = sh0b;
    assign zp_i = zp0b; assign lo_i = lo0b; assign hi_i = hi0b;
    assign v_i = v0b; assign l_i = l0b; assign u_i = u0b;
end
endgenerate

wire [4:0] left_amt  = sh_i[7] ? 5'd0 : sh_i[4:0];
/* verilator lint_off UNUSEDSIGNAL */
wire [7:0] neg_shift = -sh_i;
/* verilator lint_on UNUSEDSIGNAL */
wire [4:0] right_amt = sh_i[7] ? neg_shift[4:0] : 5'd0;
wire signed [31:0] x_in = acc_i <<< left_amt;
wire sat_in = (x_in == 32'sh80000000) && (q_i == 32'sh80000000);
wire signed [33:0] zp_s = {{(34-OUT_W){zp_i[OUT_W-1]}}, zp_i};
wire signed [33:0] lo_s = {{(34-OUT_W){lo_i[OUT_W-1]}}, lo_i};
wire signed [33:0] hi_s = {{(34-OUT_W){hi_i[OUT_W-1]}}, hi_i};

// ------------------------------------------------------------------ front: the SRDHM (stage 2)
// y2 = (x*q + 2^30)[62:31]; sat2: x == q == INT32_MIN (y = INT32_MAX)
reg        [31:0] y2;
reg               sat2;
reg        [4:0]  r2;
reg signed [33:0] zp2, lo2, hi2;
reg               v2, l2;
reg  [USER_W-1:0] u2;

generate
if (SERIAL == 0) begin : g_dsp
    // stage 1: left shift, choose multiplier (registered multiplier inputs); 2a: four partial
    // products (registered outputs); 2b: the middle sum xh*ql + xl*qh and llr = (ll + 2^30) >> 16
    // (the SRDHM nudge); 2c: w = llr + mid; 2d: v = hh*2^16 + w = (x*q + 2^30) >> 16, so
    // y = v[46:15]. No add is wider than 34 bits (two of 64 bits in one stage would not close
    // timing at 150 MHz on ECP5).
    assign s_axis_tready = ce;
    assign en0 = ce;
    assign en0b = ce;
    reg        [4:0]  r1, r2a, r2b, r2c;
    reg               sat1, sat2a, sat2b, sat2c;
    reg signed [33:0] zp1, lo1, hi1, zp2a, lo2a, hi2a, zp2b, lo2b, hi2b, zp2c, lo2c, hi2c;
    reg               v1, v2a, v2b, v2c, l1, l2a, l2b, l2c;
    reg  [USER_W-1:0] u1, u2a, u2b, u2c;
    wire signed [31:0] hh2a, hl2a, lh2a;     // xh*qh, xh*ql, xl*qh (signed x unsigned fit 33 bits:
    /* verilator lint_off UNUSEDSIGNAL */
    wire signed [31:0] ll2a_w;               //  |xh*ql| < 2^31); xl*ql >> 16 (bits below 31 of
    /* verilator lint_on UNUSEDSIGNAL */
    wire       [15:0] ll2a = ll2a_w[31:16];  //  the sum only round, and 2^30 adds none below 16)
    reg signed [31:0] hh2b, hh2c;
    reg signed [32:0] mid2b;                 // xh*ql + xl*qh
    reg        [16:0] llr2b;                 // (xl*ql + 2^30) >> 16 (2^30 adds nothing below)
    /* verilator lint_off UNUSEDSIGNAL */
    reg signed [33:0] w2c;                   // llr + mid
    // the four 17x17 products, each one hard multiplier with its input (stage 1) and output
    // (stage 2a) registers
    wire signed [16:0] xh = {x_in[31], x_in[31:16]};
    wire signed [16:0] xl = {1'b0, x_in[15:0]};
    wire signed [16:0] qh = {q_i[31], q_i[31:16]};
    wire signed [16:0] ql = {1'b0, q_i[15:0]};
    dsg_mul #(.A_W(17), .B_W(17), .P_W(32)) u_hh (.clk(clk), .ce(ce), .a(xh), .b(qh), .p(hh2a));
    dsg_mul #(.A_W(17), .B_W(17), .P_W(32)) u_hl (.clk(clk), .ce(ce), .a(xh), .b(ql), .p(hl2a));
    dsg_mul #(.A_W(17), .B_W(17), .P_W(32)) u_lh (.clk(clk), .ce(ce), .a(xl), .b(qh), .p(lh2a));
    dsg_mul #(.A_W(17), .B_W(17), .P_W(32)) u_ll (.clk(clk), .ce(ce), .a(xl), .b(ql), .p(ll2a_w));
    // v = hh*2^16 + w: w[15:0] passes, the upper part is one 33-bit add
    wire signed [32:0] vhi = {hh2c[31], hh2c} + {{15{w2c[33]}}, w2c[33:16]};
    always @(posedge clk) begin
        if (ce) begin
            v1 <= v_i; l1 <= l_i; u1 <= u_i;
            r1 <= right_amt; sat1 <= sat_in;
            zp1 <= zp_s; lo1 <= lo_s; hi1 <= hi_s;

            v2a <= v1; l2a <= l1; u2a <= u1;
            sat2a <= sat1; r2a <= r1;
            zp2a <= zp1; lo2a <= lo1; hi2a <= hi1;

            v2b <= v2a; l2b <= l2a; u2b <= u2a;
            hh2b <= hh2a;
            mid2b <= {hl2a[31], hl2a} + {lh2a[31], lh2a};
            llr2b <= {1'b0, ll2a} + 17'd16384;
            sat2b <= sat2a; r2b <= r2a;
            zp2b <= zp2a; lo2b <= lo2a; hi2b <= hi2a;

            v2c <= v2b; l2c <= l2b; u2c <= u2b;
            hh2c <= hh2b;
            w2c <= {17'd0, llr2b} + {mid2b[32], mid2b};
            sat2c <= sat2b; r2c <= r2b;
            zp2c <= zp2b; lo2c <= lo2b; hi2c <= hi2b;

            v2 <= v2c; l2 <= l2c; u2 <= u2c;
            // v[46:15] = {vhi[30:0], w[15]}  (v[15:0] = w[15:0], v >> 16 = vhi)
            y2 <= {vhi[30:0], w2c[15]};
            /* verilator lint_on UNUSEDSIGNAL */
            sat2 <= sat2c; r2 <= r2c;
            zp2 <= zp2c; lo2 <= lo2c; hi2 <= hi2c;
        end
        if (rst) begin
            v1 <= 1'b0; v2a <= 1'b0; v2b <= 1'b0; v2c <= 1'b0; v2 <= 1'b0;
        end
    end
end else begin : g_serial
    // radix-4 Booth: q = sum_i d_i*4^i, d_i = -2*q[2i+1] + q[2i] + q[2i-1] in {-2..2}, q[-1] = 0.
    // ph accumulates d_i*x and shifts right by 2 each step:
    // after step k the partial sum is ph*4^k + the 2k bits shifted out. ph starts at 2^30 (the
    // SRDHM nudge), so after 16 steps x*q + 2^30 = ph*2^32 + (bits shifted out) exactly
    // (|S| < 2^34 + 2^30: 35 bits hold every step's sum), and y = bits [62:31] = {ph[30:0], b31}
    // where b31 is the last step's sum[1]; the lower bits shifted out do not matter.
    reg               busy, done;
    reg        [3:0]  step;
    reg signed [31:0] xs;
    reg        [31:0] qs;
    reg               qprev;
    reg signed [34:0] ph;
    reg               b31;
    wire fire = v_i && !busy && (!done || ce);  // the engine takes stage 0b's beat
    assign en0b = !v_i || fire;
    assign en0 = !v0;  // 0a takes a beat only when empty: tready is one register, and the
    assign s_axis_tready = !v0;  // engine's handshake never reaches the caller in one cycle
    wire [2:0] dig = {qs[1], qs[0], qprev};
    wire d_one = dig[1] ^ dig[0];
    wire d_two = (dig == 3'b011) || (dig == 3'b100);
    wire d_neg = dig[2];                      // 3'b111 is -0: ~0 + 1 == 0
    wire [34:0] xe = {{3{xs[31]}}, xs};
    wire [34:0] mag = d_one ? xe : (d_two ? {xe[33:0], 1'b0} : 35'd0);
    wire [34:0] sum = ph + (d_neg ? ~mag : mag) + {34'd0, d_neg};
    always @(posedge clk) begin
        if (ce && done)
            done <= 1'b0;                     // stage 3 took the product
        if (fire) begin
            busy <= 1'b1;
            step <= 4'd0;
            xs <= x_in; qs <= q_i; qprev <= 1'b0;
            ph <= 35'sd1073741824; b31 <= 1'b0;
            sat2 <= sat_in; r2 <= right_amt;
            zp2 <= zp_s; lo2 <= lo_s; hi2 <= hi_s;
            l2 <= l_i; u2 <= u_i;
        end else if (busy) begin
            ph <= $signed(sum) >>> 2;
            b31 <= sum[1];
            qs <= {2'b00, qs[31:2]};
            qprev <= qs[1];
            step <= step + 1'b1;
            if (step == 4'd15) begin
                busy <= 1'b0;
                done <= 1'b1;
            end
        end
        if (rst) begin
            busy <= 1'b0; done <= 1'b0;
        end
    end
    always @* begin
        y2 = {ph[30:0], b31};
        v2 = done;
    end
end
endgenerate

// ------------------------------------------------------------------ back: round, shift, clamp
// 3: saturation, RDBPOT mask; 4: remainder, threshold, arithmetic shift, lo - 1; 5: compare,
// + zero point; 6: + rounding bit, and the clamp compares of that sum (z = zs + up against lo
// and hi is zs against lo - up and hi - up: two compares of registers, up selects); 7: clamp
// (a mux). One carry chain of at most 34 bits per stage, none after another.
localparam NB = 5;
reg [NB-1:0]     vb, lb;
reg [USER_W-1:0] ub [0:NB-1];
reg signed [31:0] y3;
reg        [4:0]  r3;
reg        [31:0] mask3;
reg signed [33:0] zp3, lo3, hi3;
reg signed [31:0] sh4;
reg        [31:0] rem4, thr4;
reg signed [33:0] zp4, lo4, hi4, lom4;      // lom = lo - 1
reg signed [33:0] zs5, lo5, hi5, lom5;
reg               up5;
reg        [OUT_W-1:0] z6, lo6, hi6;        // the low bits: a clamp result is in [lo, hi]
reg               below6, above6;           // zs + up < lo, zs + up > hi
reg signed [OUT_W-1:0] o7;

integer i;

always @(posedge clk) begin
    if (ce) begin
        vb <= {vb[NB-2:0], v2};
        lb <= {lb[NB-2:0], l2};
        ub[0] <= u2;
        for (i = 1; i < NB; i = i + 1) ub[i] <= ub[i-1];
        // 3
        y3 <= sat2 ? 32'sh7fffffff : y2;
        r3 <= r2;
        mask3 <= (32'd1 << r2) - 32'd1;
        zp3 <= zp2; lo3 <= lo2; hi3 <= hi2;
        // 4
        sh4 <= y3 >>> r3;
        rem4 <= y3 & mask3;
        thr4 <= (mask3 >> 1) + {31'd0, y3[31]};
        zp4 <= zp3; lo4 <= lo3; hi4 <= hi3;
        lom4 <= lo3 - 34'sd1;
        // 5
        up5 <= rem4 > thr4;
        zs5 <= zp4 + {{2{sh4[31]}}, sh4};
        lo5 <= lo4; hi5 <= hi4; lom5 <= lom4;
        // 6
        z6 <= zs5[OUT_W-1:0] + {{(OUT_W-1){1'b0}}, up5};
        below6 <= up5 ? (zs5 < lom5) : (zs5 < lo5);
        above6 <= up5 ? (zs5 >= hi5) : (zs5 > hi5);
        lo6 <= lo5[OUT_W-1:0]; hi6 <= hi5[OUT_W-1:0];
        // 7
        o7 <= below6 ? lo6 : above6 ? hi6 : z6;
    end
    if (rst) begin
        vb <= 0;
        lb <= 0;
    end
end

// ------------------------------------------------------------------ output skid buffer
// main: the output register; skid: holds the one result that arrives while main is stalled.
assign p_valid = vb[NB-1];
wire p_fire = p_valid && !skid_v;
reg               main_v, main_l, skid_l;
reg [OUT_W-1:0]   main_d, skid_d;
reg [USER_W-1:0]  main_u, skid_u;
always @(posedge clk) begin
    if (!main_v || m_axis_tready) begin
        if (skid_v) begin
            main_d <= skid_d; main_u <= skid_u; main_l <= skid_l; main_v <= 1'b1;
            skid_v <= 1'b0;
        end else begin
            main_d <= o7; main_u <= ub[NB-1]; main_l <= lb[NB-1]; main_v <= p_fire;
        end
    end else if (p_fire) begin
        skid_d <= o7; skid_u <= ub[NB-1]; skid_l <= lb[NB-1]; skid_v <= 1'b1;
    end
    if (rst) begin
        main_v <= 1'b0; skid_v <= 1'b0;
    end
end

assign m_axis_tdata  = main_d;
assign m_axis_tvalid = main_v;
assign m_axis_tlast  = main_l;
assign m_axis_tuser  = main_u;

endmodule

`default_nettype wire
