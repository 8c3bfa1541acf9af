// dsg_lut_interp: table activation on 16-bit activations (docs/fixed_point.md, "Table
// activations", 16 bits): a table of 2^(IN_W-FRAC) + 1 entries, one every 2^FRAC input codes,
// linearly interpolated, then clamped.  For every element x (signed IN_W bits):
//   u = x + 2^(IN_W-1)   (x with its sign bit inverted),  i = u >> FRAC,  f = u & (2^FRAC - 1)
//   y = clamp(T[i] + (((T[i+1] - T[i]) * f + 2^(FRAC-1)) >>> FRAC), LO, HI)   (>>> is a floor)
// int16: 513 entries.  The entries are TABLE_W = OUT_W + 1 bits wide: where the function leaves
// the output's range between two entries the table holds its own line and the clamp cuts it.
//
// The table is a ROM read from TABLE_FILE ($readmemh; the generator writes the .memh), word j =
// T[j], the entry of x = -2^(IN_W-1) + j * 2^FRAC (the last one, x = 2^(IN_W-1), only ends the
// last segment).  Each lane has its own ROM, read at i and i + 1 in the same cycle (a dual-port
// block RAM).
//
// LANES elements per beat, lane l at bits [l*W +: W] of tdata.  Two register stages with one
// global clock enable (s_axis_tready = m_axis_tready || !m_axis_tvalid): the two ROM reads, then
// the multiply-add and clamp into the output register.  Latency 2, 1 beat/cycle.  tlast passes
// through.
`default_nettype none

module dsg_lut_interp #(
    parameter IN_W  = 16,             // input element width
    parameter OUT_W = 16,             // output element width
    parameter TABLE_W = OUT_W + 1,    // table word width (signed)
    parameter FRAC  = 7,              // input codes between two entries: 2^FRAC
    parameter LANES = 1,              // elements per beat
    parameter integer LO = -(1 << (OUT_W-1)),  // output clamp
    parameter integer HI = (1 << (OUT_W-1)) - 1,
    parameter TABLE_FILE = "lut.memh" // $readmemh file: 2^(IN_W-FRAC) + 1 words of TABLE_W bits
) (
    input  wire                   clk,
    input  wire                   rst,

    input  wire [LANES*IN_W-1:0]  s_axis_tdata,
    input  wire                   s_axis_tvalid,
    output wire                   s_axis_tready,
    input  wire                   s_axis_tlast,

    output wire [LANES*OUT_W-1:0] m_axis_tdata,
    output wire                   m_axis_tvalid,
    input  wire                   m_axis_tready,
    output wire                   m_axis_tlast
);

localparam IDX_W = IN_W - FRAC;            // segment index bits
localparam N     = (1 << IDX_W) + 1;       // table entries
localparam P_W   = TABLE_W + FRAC + 2;     // (T[i+1] - T[i]) * f + 2^(FRAC-1), signed
/* verilator lint_off WIDTHTRUNC */
localparam [P_W-1:0] HALF = 1 << (FRAC - 1);  // rounding: + 1/2 LSB, then floor
localparam [TABLE_W:0] LOV = LO;
localparam [TABLE_W:0] HIV = HI;
/* verilator lint_on WIDTHTRUNC */

reg v1, l1, v2, l2;
wire ce = m_axis_tready || !v2;
assign s_axis_tready = ce;
assign m_axis_tvalid = v2;
assign m_axis_tlast  = l2;

genvar g;
generate
    for (g = 0; g < LANES; g = g + 1) begin : g_lane
        reg [TABLE_W-1:0] rom [0:N-1];
        initial $readmemh(TABLE_FILE, rom);
        wire [IN_W-1:0] x = s_axis_tdata[g*IN_W +: IN_W];
        wire [IN_W-1:0] u = {~x[IN_W-1], x[IN_W-2:0]};
        wire [IDX_W:0] i0 = {1'b0, u[IN_W-1:FRAC]};
        wire [IDX_W:0] i1 = i0 + 1'b1;

        // stage 1: the two neighbouring entries and the fraction
        reg [TABLE_W-1:0] t0, t1;
        reg [FRAC-1:0] f;
        always @(posedge clk) begin
            if (ce) begin
                t0 <= rom[i0];
                t1 <= rom[i1];
                f  <= u[FRAC-1:0];
            end
        end

        // stage 2: y = clamp(t0 + ((t1 - t0) * f + 2^(FRAC-1)) >>> FRAC, LO, HI)
        wire signed [TABLE_W:0] t0_s = $signed({t0[TABLE_W-1], t0});
        wire signed [TABLE_W:0] d = $signed({t1[TABLE_W-1], t1}) - t0_s;
        wire signed [P_W-1:0] d_w = {{(P_W-TABLE_W-1){d[TABLE_W]}}, d};
        wire signed [P_W-1:0] f_w = $signed({{(P_W-FRAC){1'b0}}, f});
        wire signed [P_W-1:0] p = d_w * f_w + $signed(HALF);
        /* verilator lint_off UNUSEDSIGNAL */
        wire signed [P_W-1:0] q = p >>> FRAC;  // between 0 and d: TABLE_W + 1 bits suffice
        /* verilator lint_on UNUSEDSIGNAL */
        wire signed [TABLE_W:0] s = t0_s + q[TABLE_W:0];  // between t0 and t1: no overflow
        reg [OUT_W-1:0] y;
        always @(posedge clk) begin
            if (ce) begin
                if (s < $signed(LOV))
                    y <= LOV[OUT_W-1:0];
                else if (s > $signed(HIV))
                    y <= HIV[OUT_W-1:0];
                else
                    y <= s[OUT_W-1:0];
            end
        end
        assign m_axis_tdata[g*OUT_W +: OUT_W] = y;
    end
endgenerate

always @(posedge clk) begin
    if (ce) begin
        v1 <= s_axis_tvalid;
        l1 <= s_axis_tlast;
        v2 <= v1;
        l2 <= l1;
    end
    if (rst) begin
        v1 <= 1'b0;
        v2 <= 1'b0;
    end
end

endmodule

`default_nettype wire
