// dsg_rdiv: pipelined rounding division y = clamp(rdiv(num, n), lo, hi) of the contract's average
// pool: rdiv(num, n) = num >= 0 ? (num + n/2) / n : -((-num + n/2) / n), C truncating division.
//
// Exact reciprocal method: a = |num| + floor(n/2) < 2^AB, y = (a * R[n]) >> S with
// R[n] = ceil(2^S / n) and S = AB + clog2(N_MAX) + 1.  The error a*(R*n - 2^S)/(n*2^S) < 2^(AB-S)
// <= 1/(2n) can never push a/n across an integer, so the quotient is exact for every a < 2^AB
// (the bench re-checks this exhaustively over the whole input range).  CONST_N > 0 uses one
// constant divisor (global average pool); otherwise n comes with the beat (1..N_MAX, from a
// constant table).  Latency 4, global clock enable (s_axis_tready = !m_axis_tvalid || m_axis_tready).
`default_nettype none

module dsg_rdiv #(
    parameter IN_W    = 16,   // numerator width (signed)
    parameter OUT_W   = 8,    // output width (signed)
    parameter N_MAX   = 9,    // largest divisor
    parameter CONST_N = 0     // > 0: fixed divisor (n port ignored)
) (
    input  wire                        clk,
    input  wire                        rst,
    input  wire [IN_W-1:0]             s_axis_tdata,
    input  wire [$clog2(N_MAX+1)-1:0]  s_axis_n,
    input  wire                        s_axis_tvalid,
    output wire                        s_axis_tready,
    input  wire                        s_axis_tlast,
    input  wire [OUT_W-1:0]            lo,
    input  wire [OUT_W-1:0]            hi,
    output wire [OUT_W-1:0]            m_axis_tdata,
    output wire                        m_axis_tvalid,
    input  wire                        m_axis_tready,
    output wire                        m_axis_tlast
);

// signed compares/extensions below are intended
/* verilator lint_off WIDTHEXPAND */
/* verilator lint_off WIDTHTRUNC */

localparam NB = $clog2(N_MAX+1);
localparam AB = IN_W + 1;                  // |num| + n/2 < 2^AB
localparam S  = AB + NB + 1;
localparam RW = S + 1;                     // R[n] <= 2^S

function [RW-1:0] recip(input integer n);
    reg [RW:0] one;
    begin
        one = {{RW{1'b0}}, 1'b1} << S;
        recip = (one + n - 1) / n;
    end
endfunction

wire [RW-1:0] r_in;
genvar gi;
generate
    if (CONST_N > 0) begin : g_const
        assign r_in = recip(CONST_N);
    end else begin : g_table
        wire [RW-1:0] rtab [0:N_MAX];
        for (gi = 0; gi <= N_MAX; gi = gi + 1) begin : g_r
            assign rtab[gi] = (gi == 0) ? {RW{1'b0}} : recip(gi);
        end
        assign r_in = rtab[s_axis_n];
    end
endgenerate

wire ce = !m_axis_tvalid || m_axis_tready;
assign s_axis_tready = ce;

wire [NB-1:0] n_in = (CONST_N > 0) ? CONST_N[NB-1:0] : s_axis_n;
wire signed [IN_W-1:0] num = s_axis_tdata;
wire [IN_W:0] mag = num[IN_W-1] ? -{num[IN_W-1], num} : {1'b0, num};

reg [3:0] vld, lst;
reg [AB-1:0] a1;
reg [RW-1:0] r1;
reg neg1, neg2;
/* verilator lint_off UNUSEDSIGNAL */
reg [AB+RW-1:0] p2;   // low S bits are the discarded fraction
/* verilator lint_on UNUSEDSIGNAL */
reg signed [AB:0] y3;
reg [OUT_W-1:0] o4;
reg signed [OUT_W-1:0] lo1, hi1, lo2, hi2, lo3, hi3;

always @(posedge clk) begin
    if (ce) begin
        vld <= {vld[2:0], s_axis_tvalid};
        lst <= {lst[2:0], s_axis_tlast};
        a1 <= mag + (n_in >> 1);
        r1 <= r_in;
        neg1 <= num[IN_W-1];
        lo1 <= lo; hi1 <= hi;

        p2 <= a1 * r1;
        neg2 <= neg1;
        lo2 <= lo1; hi2 <= hi1;

        y3 <= neg2 ? -$signed({1'b0, p2[S +: AB]}) : $signed({1'b0, p2[S +: AB]});
        lo3 <= lo2; hi3 <= hi2;

        if (y3 < lo3)
            o4 <= lo3;
        else if (y3 > hi3)
            o4 <= hi3;
        else
            o4 <= y3[OUT_W-1:0];
    end
    if (rst) begin
        vld <= 0;
        lst <= 0;
    end
end

assign m_axis_tdata  = o4;
assign m_axis_tvalid = vld[3];
assign m_axis_tlast  = lst[3];

/* verilator lint_on WIDTHTRUNC */
/* verilator lint_on WIDTHEXPAND */

endmodule

`default_nettype wire
