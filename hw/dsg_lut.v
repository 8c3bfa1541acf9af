// dsg_lut: table activation (HardSwish, HardSigmoid, Sigmoid, SiLU, Tanh as docs/fixed_point.md
// builds their tables):  y = T[x + 2^(IN_W-1)]  for every element x (signed IN_W bits).
//
// The table is a ROM read from TABLE_FILE ($readmemh, like dsg_mvu's weights; the generator writes
// the .memh): 2^IN_W words of OUT_W bits, word i = T[i] = f(i - 2^(IN_W-1)), i.e. the entry for
// x = -128 first (int8).  The index x + 2^(IN_W-1) is x with its sign bit inverted.
//
// LANES elements per beat, lane l at bits [l*W +: W] of tdata; each lane reads its own copy of the
// ROM (one block/distributed RAM read port per lane).  One register stage with a global clock
// enable (s_axis_tready = m_axis_tready || !m_axis_tvalid): the ROM read is synchronous into the
// output register (block-RAM inferrable), latency 1, 1 beat/cycle.  tlast passes through.
`default_nettype none

module dsg_lut #(
    parameter IN_W  = 8,              // input element width (table of 2^IN_W entries)
    parameter OUT_W = 8,              // output element width (table word)
    parameter LANES = 1,              // elements per beat
    parameter TABLE_FILE = "lut.memh" // $readmemh file: 2^IN_W words, entry for x at x + 2^(IN_W-1)
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

localparam N = 1 << IN_W;

reg v, l;
wire ce = m_axis_tready || !v;
assign s_axis_tready = ce;
assign m_axis_tvalid = v;
assign m_axis_tlast  = l;

genvar g;
generate
    for (g = 0; g < LANES; g = g + 1) begin : g_lane
        reg [OUT_W-1:0] rom [0:N-1];
        reg [OUT_W-1:0] y;
        initial $readmemh(TABLE_FILE, rom);
        wire [IN_W-1:0] x = s_axis_tdata[g*IN_W +: IN_W];
        wire [IN_W-1:0] idx = {~x[IN_W-1], x[IN_W-2:0]};
        always @(posedge clk) begin
            if (ce)
                y <= rom[idx];
        end
        assign m_axis_tdata[g*OUT_W +: OUT_W] = y;
    end
endgenerate

always @(posedge clk) begin
    if (ce) begin
        v <= s_axis_tvalid;
        l <= s_axis_tlast;
    end
    if (rst)
        v <= 1'b0;
end

endmodule

`default_nettype wire
