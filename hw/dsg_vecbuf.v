// dsg_vecbuf: vector buffer in front of dsg_mvu.  Packs TAPS input words into one output word and
// replays every vector (WPV input words) REPEAT times, from two banks, so the next vector is
// written while the current one is replayed.
//
// Input : words of SIMD elements (DATA_W each), one per beat; WPV consecutive words are a vector
//         (a dsg_sliding_window pixel's words for one conv group or channel fold).
// Output: per vector, REPEAT times its SF = WPV/TAPS packed words; word e carries input words
//         e*TAPS .. e*TAPS+TAPS-1, input word t at bits [t*SIMD*DATA_W +: SIMD*DATA_W].
//
// Why two banks: an MVU with NF neuron folds uses each vector NF times.  Held in one buffer, the
// first pass could only run as fast as the input arrives (one word per cycle, TAPS per output
// word) and the next vector could not arrive before the last pass; with TAPS > 1 that stalls the
// multipliers for WPV - SF cycles per vector.  With two banks, writing the next vector overlaps
// replaying the current one: per vector max(WPV input beats, REPEAT*SF output beats).
// The first pass also chases the write side word by word, so the buffer adds only its two
// register stages of latency, not a vector.
//
// Storage: TAPS simple dual-port RAMs of 2*SF x SIMD*DATA_W (bank-major), one per packed slot,
// so one output word is one read of each.
`default_nettype none

module dsg_vecbuf #(
    parameter DATA_W = 8,   // element width
    parameter SIMD   = 2,   // elements per input word
    parameter TAPS   = 1,   // input words per output word
    parameter WPV    = 4,   // input words per vector (multiple of TAPS)
    parameter REPEAT = 1    // times each vector is output (the MVU's neuron folds)
) (
    input  wire                          clk,
    input  wire                          rst,

    input  wire [SIMD*DATA_W-1:0]        s_axis_tdata,
    input  wire                          s_axis_tvalid,
    output wire                          s_axis_tready,

    output wire [TAPS*SIMD*DATA_W-1:0]   m_axis_tdata,
    output wire                          m_axis_tvalid,
    input  wire                          m_axis_tready
);

// Counter widths follow the parameters; zero-extensions in the counter arithmetic are intended.
/* verilator lint_off WIDTHEXPAND */
/* verilator lint_off WIDTHTRUNC */

localparam SF  = WPV / TAPS;                 // output words per vector
localparam WW  = SIMD * DATA_W;
localparam IBA = $clog2(2 * SF);             // (bank, word) address

reg [1:0]                  full;     // bank holds a complete vector
reg                        fb;       // bank being written
reg [$clog2(SF+1)-1:0]     fe;       // output word being written
reg [$clog2(TAPS+1)-1:0]   ft;       // its input word
reg                        cb;       // bank being read
reg [$clog2(SF+1)-1:0]     oe;       // output word being read
reg [$clog2(REPEAT+1)-1:0] rep;      // pass over the vector
reg                        ovalid;

// ---------------------------------------------------------------- write side
assign s_axis_tready = !full[fb];
wire in_fire = s_axis_tvalid && !full[fb];
wire in_vec  = in_fire && ft == TAPS-1 && fe == SF-1;     // a vector's last input word

// ---------------------------------------------------------------- read side
// A bank that is not full is the one being written (the write side moves on to the other bank
// only once this one is full), so its output words below fe are complete.
wire avail = full[cb] || fe > oe;
wire load  = !ovalid || m_axis_tready;                     // the output register frees
wire adv   = load && avail;
wire done  = adv && oe == SF-1 && rep == REPEAT-1;         // the bank's last read
assign m_axis_tvalid = ovalid;

wire [IBA-1:0] waddr = fb ? SF + fe : fe;
wire [IBA-1:0] raddr = cb ? SF + oe : oe;

genvar gt;
generate
    for (gt = 0; gt < TAPS; gt = gt + 1) begin : g_slot
        reg [WW-1:0] mem [0:2*SF-1];
        reg [WW-1:0] rd;
        always @(posedge clk) begin
            if (in_fire && ft == gt)
                mem[waddr] <= s_axis_tdata;
            if (adv)
                rd <= mem[raddr];
        end
        assign m_axis_tdata[gt*WW +: WW] = rd;
    end
endgenerate

always @(posedge clk) begin
    if (in_fire) begin
        ft <= (ft == TAPS-1) ? 0 : ft + 1'b1;
        if (ft == TAPS-1) begin
            fe <= (fe == SF-1) ? 0 : fe + 1'b1;
            if (fe == SF-1)
                fb <= !fb;
        end
    end
    // set and clear never hit the same bank in one cycle: the write side completes only a bank
    // that is not full, the read side releases only a full one
    if (in_vec)
        full[fb] <= 1'b1;
    if (done) begin
        full[cb] <= 1'b0;
        cb <= !cb;
    end
    if (load)
        ovalid <= avail;
    if (adv) begin
        oe <= (oe == SF-1) ? 0 : oe + 1'b1;
        if (oe == SF-1)
            rep <= (rep == REPEAT-1) ? 0 : rep + 1'b1;
    end
    if (rst) begin
        full <= 2'b00; fb <= 1'b0; fe <= 0; ft <= 0;
        cb <= 1'b0; oe <= 0; rep <= 0; ovalid <= 1'b0;
    end
end

/* verilator lint_on WIDTHTRUNC */
/* verilator lint_on WIDTHEXPAND */

endmodule

`default_nettype wire
