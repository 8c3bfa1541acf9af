// dsg_sliding_window: line buffer + sliding-window (im2col) generator.
//
// Input : an H x W x C NHWC tensor, one DATA_W element per beat (channel fastest), tlast ignored
//         (the module counts; tensors follow each other back to back).
// Output: for every output pixel (oy, ox) (row-major), the window as SIMD-channel words in the
//         order   for cf in 0..C/SIMD-1: for kh in 0..K_H-1: for kw in 0..K_W-1: word
//         where word lane s (bits [s*DATA_W +: DATA_W]) is channel cf*SIMD+s of input pixel
//         (oy*S_H - PAD_T + kh*D_H, ox*S_W - PAD_L + kw*D_W).  Positions in the padding carry
//         pad_value in every lane and m_axis_tuser = 1 (pools ignore them, convs use z_in).
//         m_axis_tlast marks the last word of a tensor.
//
// Architecture: a circular buffer of R rows x W pixels x C/SIMD words (one simple dual-port RAM,
// SIMD*DATA_W wide, depth R*W*C/SIMD).  The writer packs SIMD elements and writes one word per
// SIMD input beats; it may start a new row only while fewer than R complete rows are held.  The
// reader walks the windows; it starts an output pixel as soon as its last input pixel has been
// written (pixel granular, so latency is about (K_H-1-PAD_T)*W*C beats), and frees the rows the
// next output row no longer needs.  With R = K_H_eff + S_H (default) the writer fills the next
// output row's rows while the reader works on the current one, so neither side waits on the other
// unless it is the bottleneck.  Next tensors continue seamlessly (rows are recycled in order).
// Reader: 1 word/cycle (6-stage issue/row/address/RAM/register/FIFO pipeline into an 8-word FIFO
// with credit). For timing, the read address has no multiplier and no long carry chain: the column
// part ix*CF comes from counters stepped by S_W*CF and D_W*CF, the physical row is reduced modulo R
// one stage later, and row*W*CF is a mux of R constants; coordinates are clog2 of the padded size
// wide, not 16 bits.
//
// Cycle count per tensor: max(H*W*C  (input beats),  OH*OW*(C/SIMD)*K_H*K_W  (output words)).
`default_nettype none

module dsg_sliding_window #(
    parameter DATA_W = 8,   // element width
    parameter C      = 4,   // channels (multiple of SIMD)
    parameter H      = 8,   // input height
    parameter W      = 8,   // input width
    parameter K_H    = 3,   // kernel height
    parameter K_W    = 3,   // kernel width
    parameter S_H    = 1,   // stride
    parameter S_W    = 1,
    parameter D_H    = 1,   // dilation
    parameter D_W    = 1,
    parameter PAD_T  = 1,   // padding (asymmetric allowed)
    parameter PAD_B  = 1,
    parameter PAD_L  = 1,
    parameter PAD_R  = 1,
    parameter SIMD   = 1,   // channels per output word
    parameter R      = 0    // rows buffered; 0 = (K_H-1)*D_H+1 + S_H
) (
    input  wire                     clk,
    input  wire                     rst,

    input  wire [DATA_W-1:0]        pad_value,

    input  wire [DATA_W-1:0]        s_axis_tdata,
    input  wire                     s_axis_tvalid,
    output wire                     s_axis_tready,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire                     s_axis_tlast,
    /* verilator lint_on UNUSEDSIGNAL */

    output wire [SIMD*DATA_W-1:0]   m_axis_tdata,
    output wire                     m_axis_tuser,   // 1: padded position
    output wire                     m_axis_tvalid,
    input  wire                     m_axis_tready,
    output wire                     m_axis_tlast
);

// Counter widths follow the parameters; the zero-extensions/truncations in the index arithmetic
// are intentional (all values are range-checked by construction).
/* verilator lint_off WIDTHEXPAND */
/* verilator lint_off WIDTHTRUNC */

localparam KEH = (K_H-1)*D_H + 1;
localparam KEW = (K_W-1)*D_W + 1;
localparam OH  = (H + PAD_T + PAD_B - KEH) / S_H + 1;
localparam OW  = (W + PAD_L + PAD_R - KEW) / S_W + 1;
localparam CF  = C / SIMD;
localparam RR  = (R > 0) ? R : KEH + S_H;
localparam NWORDS = RR * W * CF;
localparam AW  = $clog2(NWORDS < 2 ? 2 : NWORDS);
localparam WW  = SIMD * DATA_W;
localparam HP  = H + PAD_T + PAD_B;
localparam WP  = W + PAD_L + PAD_R;
localparam CW  = $clog2((HP > WP ? HP : WP) + RR + 2) + 2;  // coordinate width (signed, margin)
localparam PW  = $clog2(RR + 1);                             // physical row index width
localparam XW  = AW + 2;                                     // ix*CF (signed)
localparam RCW = $clog2(RR + 1) + 1;
localparam KW  = $clog2(W + 1);                              // a column count + 1: 0..W

// ---------------------------------------------------------------- storage
reg [WW-1:0] mem [0:NWORDS-1];

// ---------------------------------------------------------------- writer
/* verilator lint_off UNUSEDSIGNAL */
reg [WW-1:0]  pack;
/* verilator lint_on UNUSEDSIGNAL */
reg [$clog2(SIMD+1)-1:0] wsl;
reg [$clog2(CF+1)-1:0]   wcf;
reg [KW-1:0]  wx1;          // pixels complete in the row being written, + 1 (1..W)
reg [CW-1:0]  wy;
reg [AW-1:0]  wr_addr;
reg [RCW-1:0] complete_rows; // complete rows held (not yet freed by the reader)
reg           row_start;     // wsl, wcf and wx1-1 are all 0: the next beat starts a row
reg           wsl_last, wcf_last, wx_last;  // wsl == SIMD-1, wcf == CF-1, wx1 == W (registered)

// complete_rows never exceeds RR (a row starts only below it), so "< RR" is "!= RR"
assign s_axis_tready = !row_start || (complete_rows != RR);
wire wr_fire   = s_axis_tvalid && s_axis_tready;
wire word_done = wr_fire && wsl_last;
wire pix_done  = word_done && wcf_last;
wire row_done  = pix_done && wx_last;

wire [WW-1:0] pack_next;
generate
    if (SIMD == 1) begin : g_pack1
        assign pack_next = s_axis_tdata;
    end else begin : g_packn
        assign pack_next = {s_axis_tdata, pack[WW-1:DATA_W]};
    end
endgenerate

// the RAM write is registered (a cycle after the word completes).  Reads after writes: the reader
// reads a word at the earliest five cycles after its pixel completed (readiness register, then
// the 4-stage read pipeline).  Writes after reads: an issue at cycle i reads the RAM at the end
// of i+3; the row is freed at i+1 at the earliest, the writer's first beat into it comes at i+2
// and its write at the end of i+3, the same edge, which the read takes the old word from.  (An
// unregistered write came one edge before that read: with one-word rows, e.g. a 1x1x1 tensor,
// the window returned the next tensor's word.)
reg              wr_en;
reg [AW-1:0]     wr_addr_q;
reg [WW-1:0]     wr_data;
always @(posedge clk) begin
    if (wr_fire)
        pack <= pack_next;
    wr_en <= word_done && !rst;
    wr_addr_q <= wr_addr;
    wr_data <= pack_next;
    if (wr_en)
        mem[wr_addr_q] <= wr_data;
end

// ---------------------------------------------------------------- reader
localparam [1:0] ST_RUN = 2'd0, ST_FREE = 2'd1;
reg [1:0] state;
reg signed [CW-1:0] oy_base, ox_base;       // oy*S_H - PAD_T, ox*S_W - PAD_L
reg [CW-1:0] oy, ox;
reg [$clog2(CF+1)-1:0]  rcf;
reg [$clog2(K_H+1)-1:0] kh;
reg [$clog2(K_W+1)-1:0] kw;
reg signed [CW-1:0] ky_off, kx_off;          // kh*D_H, kw*D_W
reg signed [XW-1:0] ox_cf, kx_cf;            // ox_base*CF, kx_off*CF (strength-reduced)
reg [CW-1:0] base_row;                       // oldest held row (logical, this tensor)
reg [$clog2(RR+1)-1:0] base_prow;            // its physical row
reg [CW-1:0] free_n;
reg signed [CW-1:0] next_min;                // oy_base + S_H: the next output row's first row
reg signed [CW-1:0] next_min2;               // oy_base + 2*S_H
reg [CW-1:0] free_mid;                       // what a row other than the last frees (below)
reg          last_oy;                        // oy == OH-1
reg [CW-1:0] rows_left;                      // H - base_row
reg          pix_started;                    // current pixel passed its readiness check
reg          tensor_end;                     // ST_FREE finishes a tensor

// readiness.  An output pixel may start once its last input pixel (row rmax, column cmax) is
// written: rmax < rows_have, or rmax == rows_have and wx > cmax (wx = wx1-1 pixels of the row
// being written), where rows_have counts complete rows since the start of the tensor (a
// continuous count: the next tensor's rows follow at H.., so the count only grows until the
// reader moves to the next tensor, and a readiness computed from last cycle's counts is never
// wrong, at most one cycle late).  With the column clamped to -1..W-1 (which changes no answer,
// 0 <= wx < W) and both sides + 1, that is one signed compare {rows_have, wx1} > {rmax, c1}
// with c1 = clamp(cmax, -1, W-1) + 1 in 0..W: one carry chain.  The operands are registers:
// rmax (clamped to H-1: bottom padding needs no row) and c1 of the current pixel, of the next
// pixel in the row (nc1) and of the next row's first pixel (nrmax, in the current tensor's
// count; at the last row that is the next tensor's first pixel, + H; its column is CMAX0).
// The compares end in registers: each cycle the readiness of all three candidate pixels (this
// one, the next in the row, the next row's first) is registered (rdy_c, rdy_n, rdy_r) together
// with which of them the reader moved to (mv_n: next pixel, mv_r: next row); rdy selects among
// the registered flags, and is what a register computed from last cycle's counts for the
// current pixel would hold.
localparam signed [CW-1:0] RMAX0 = (KEH - 1 - PAD_T > H - 1) ? H - 1 : KEH - 1 - PAD_T;
localparam signed [CW-1:0] CMAX0 = KEW - 1 - PAD_L;
localparam signed [CW:0]   CMAX1 = CMAX0 + S_W;
localparam signed [CW:0]   CMAX2 = CMAX0 + 2 * S_W;
localparam [KW-1:0] C1_0 = (CMAX0 < -1) ? 0 : (CMAX0 > W - 1) ? W : CMAX0 + 1;
localparam [KW-1:0] C1_1 = (CMAX1 < -1) ? 0 : (CMAX1 > W - 1) ? W : CMAX1 + 1;
reg signed [CW-1:0] rmax, nrmax;
reg signed [CW-1:0] nrmax_raw;               // oy_base + KEH-1 + S_H (not clamped)
reg signed [CW-1:0] nncmax;                  // ox_base + KEW-1 + 2*S_W: the pixel after next's
reg        [KW-1:0] c1, nc1;                 // clamp(column, -1, W-1) + 1: this, next pixel
reg signed [CW-1:0] rows_have;               // complete rows of this tensor (and beyond)
reg                 rdy_c, rdy_n, rdy_r;     // readiness of the candidates, last cycle's counts
reg                 mv_n, mv_r;              // last cycle moved to the next pixel / next row
wire signed [CW+KW-1:0] have = $signed({rows_have, wx1});
// each compare is the sign of one subtraction (a single carry chain into the flag register)
wire signed [CW+KW:0] need_cur = $signed({rmax, c1}) - have;
wire signed [CW+KW:0] need_nxt = $signed({rmax, nc1}) - have;
wire signed [CW+KW:0] need_row = $signed({nrmax, C1_0}) - have;
wire rdy_cur  = need_cur[CW+KW];
wire rdy_nxt  = need_nxt[CW+KW];
wire rdy_row  = need_row[CW+KW];
wire rdy      = mv_r ? rdy_r : mv_n ? rdy_n : rdy_c;  // the current pixel's last input is written
wire        [KW-1:0] nc1_nxt = (nncmax < -1) ? 0 : (nncmax > W - 1) ? W : nncmax + 1;

// current word
wire signed [CW-1:0] iy = oy_base + ky_off;
wire signed [CW-1:0] ix = ox_base + kx_off;
wire pad = (iy < 0) || (iy >= H) || (ix < 0) || (ix >= W);
/* verilator lint_off UNUSEDSIGNAL */
wire [CW-1:0] rel_row = iy - base_row;       // 0..RR-1 unless padded (high bits unused)
wire signed [XW-1:0] ix_cf = ox_cf + kx_cf;  // 0..W*CF-1 unless padded (sign bits unused)
/* verilator lint_on UNUSEDSIGNAL */

// row * W*CF as a mux of constants (no multiplier)
function [AW-1:0] row_base(input [PW:0] r);
    integer i;
    begin
        row_base = 0;
        for (i = 0; i < RR; i = i + 1)
            if (r == i) row_base = i * (W * CF);
    end
endfunction

wire last_kw  = kw == K_W-1;
wire last_kh  = kh == K_H-1;
wire last_cf  = rcf == CF-1;
wire last_ox  = ox == OW-1;
wire last_word_pix = last_kw && last_kh && last_cf;

// output FIFO with credit
reg  [3:0] inflight;                         // issued, not yet accepted at m_axis (<= 9)
reg        credit;                           // inflight <= 7 last cycle: room for one more
reg v0, va, v1, v2, v3, pad0, pada, pad1, pad2, pad3, last0, lasta, last1, last2, last3;
reg [PW:0]   rel0;                           // stage 0: row relative to the oldest held row
reg [AW-1:0] col0, cola;                     // ix*CF + rcf
reg [PW:0]   prowa;                          // stage a: physical row
reg [AW-1:0] addr1;
reg [WW-1:0] rdata2, rdata3;  // the RAM read (a block RAM absorbs it), then a fabric register
wire [PW+1:0] prow_sum = {1'b0, base_prow} + rel0;
wire issue = (state == ST_RUN) && credit && (pix_started || rdy);
// free_go = ST_FREE and complete_rows >= free_n, from flags registered the cycle before: in
// ST_FREE the previous cycle had no free_go (it leaves ST_FREE), so complete_rows is last
// cycle's + its row_done, and free_n is what last cycle registered (free_n_d)
reg free_ge0, free_ge1;                      // complete_rows (+ 1) >= free_n_d, last cycle
reg row_done_q;                              // row_done, last cycle
wire free_go = (state == ST_FREE) && (row_done_q ? free_ge1 : free_ge0);
// the sums are of registers only; row_done and free_go (late) just select among them
wire [RCW-1:0] complete_rows_inc    = complete_rows + 1'b1;
wire [RCW-1:0] complete_rows_freed0 = complete_rows - free_n[RCW-1:0];
wire [RCW-1:0] complete_rows_freed1 = complete_rows + 1'b1 - free_n[RCW-1:0];
wire signed [CW-1:0] rows_have_inc     = rows_have + 1'b1;
wire signed [CW-1:0] rows_have_wrapped0 = rows_have - H;
wire signed [CW-1:0] rows_have_wrapped1 = rows_have + 1 - H;

// rows the next output row no longer needs
// max(next_min, 0) - base_row, where base_row = max(oy_base, 0): no adder.  free_mid, last_oy
// and rows_left (H - base_row) are registers loaded with the next row's values when the reader
// moves to it (free_go), from registers stepped with the rows (next_min is the next oy_base)
localparam signed [CW-1:0] NM1_0 = S_H - PAD_T;
localparam signed [CW-1:0] NM2_0 = 2 * S_H - PAD_T;
localparam [CW-1:0] FREE_MID0 = (PAD_T <= 0) ? S_H : (NM1_0 <= 0) ? 0 : NM1_0;
wire [CW-1:0] free_mid_nxt = !next_min[CW-1] ? S_H
                           : (next_min2[CW-1] || next_min2 == 0) ? 0 : next_min2;
wire [CW-1:0] free_n_d = (state == ST_RUN) ? (last_oy ? rows_left : free_mid) : free_n;
wire [CW-1:0] prow_free_sum = {{(CW-$clog2(RR+1)){1'b0}}, base_prow} + free_n;
/* verilator lint_off UNUSEDSIGNAL */
wire [CW-1:0] prow_free = (prow_free_sum >= RR) ? prow_free_sum - RR : prow_free_sum;
/* verilator lint_on UNUSEDSIGNAL */

always @(posedge clk) begin
    // ---- writer
    if (wr_fire) begin
        row_start <= row_done;
        wsl <= wsl_last ? 0 : wsl + 1'b1;
        wsl_last <= (SIMD == 1) || (!wsl_last && wsl == SIMD-2);
        if (word_done) begin
            wr_addr <= (wr_addr == NWORDS-1) ? 0 : wr_addr + 1'b1;
            wcf <= wcf_last ? 0 : wcf + 1'b1;
            wcf_last <= (CF == 1) || (!wcf_last && wcf == CF-2);
            if (pix_done) begin
                wx1 <= wx_last ? 1 : wx1 + 1'b1;
                wx_last <= (W == 1) || (!wx_last && wx1 == W-1);
                if (row_done)
                    wy <= (wy == H-1) ? 0 : wy + 1'b1;
            end
        end
    end

    // ---- reader: issue -> 0 -> a -> 1 (address) -> 2 (RAM) -> 3 -> FIFO
    v0 <= issue;
    rel0 <= rel_row[PW:0];
    col0 <= ix_cf[AW-1:0] + rcf;
    pad0 <= pad;
    last0 <= issue && last_word_pix && last_ox && last_oy;
    va <= v0;
    prowa <= (prow_sum >= RR) ? prow_sum - RR : prow_sum;  // base_prow is stable here (ST_FREE
    cola <= col0;                                            // never ends the cycle after issue)
    pada <= pad0;
    lasta <= last0;
    v1 <= va;
    addr1 <= row_base(prowa) + cola;
    pad1 <= pada;
    last1 <= lasta;
    v2 <= v1;
    pad2 <= pad1;
    last2 <= last1;
    rdata2 <= mem[addr1];
    v3 <= v2;          // 3: a block RAM's data arrives ~6 ns into the cycle on ECP5; the pad
    pad3 <= pad2;      // mux and the FIFO's LUT-RAM write start from a fabric register
    last3 <= last2;
    rdata3 <= rdata2;

    if (issue) begin
        pix_started <= !last_word_pix;
        kw <= last_kw ? 0 : kw + 1'b1;
        kx_off <= last_kw ? 0 : kx_off + D_W;
        kx_cf <= last_kw ? 0 : kx_cf + D_W * CF;
        if (last_kw) begin
            kh <= last_kh ? 0 : kh + 1'b1;
            ky_off <= last_kh ? 0 : ky_off + D_H;
            if (last_kh) begin
                rcf <= last_cf ? 0 : rcf + 1'b1;
                if (last_cf) begin
                    // pixel done
                    if (!last_ox) begin
                        ox <= ox + 1'b1;
                        ox_base <= ox_base + S_W;
                        ox_cf <= ox_cf + S_W * CF;
                        c1 <= nc1;
                        nc1 <= nc1_nxt;
                        nncmax <= nncmax + S_W;
                    end else begin
                        ox <= 0;
                        ox_base <= -PAD_L;
                        ox_cf <= -PAD_L * CF;
                        c1 <= C1_0;
                        nc1 <= C1_1;
                        nncmax <= CMAX2;
                        state <= ST_FREE;
                    end
                end
            end
        end
    end

    // what the end of this output row frees, precomputed while the row runs (a row takes at
    // least one cycle, so these are up to date by the first ST_FREE cycle)
    if (state == ST_RUN) begin
        tensor_end <= last_oy;
        free_n <= free_n_d;
        nrmax <= last_oy ? RMAX0 + H : (nrmax_raw > H - 1) ? H - 1 : nrmax_raw;
    end

    if (free_go) begin
        state <= ST_RUN;
        base_prow <= prow_free[$clog2(RR+1)-1:0];
        rmax <= tensor_end ? RMAX0 : nrmax;
        if (tensor_end) begin
            base_row <= 0;
            rows_left <= H;
            oy <= 0;
            oy_base <= -PAD_T;
            next_min <= NM1_0;
            next_min2 <= NM2_0;
            free_mid <= FREE_MID0;
            last_oy <= OH == 1;
            nrmax_raw <= KEH - 1 - PAD_T + S_H;
        end else begin
            base_row <= base_row + free_n;
            rows_left <= rows_left - free_n;
            oy <= oy + 1'b1;
            oy_base <= oy_base + S_H;
            next_min <= next_min2;
            next_min2 <= next_min2 + S_H;
            free_mid <= free_mid_nxt;
            last_oy <= oy == OH-2;
            nrmax_raw <= nrmax_raw + S_H;
        end
    end

    // the sums precomputed, free_go and row_done only select
    complete_rows <= free_go ? (row_done ? complete_rows_freed1 : complete_rows_freed0)
                             : (row_done ? complete_rows_inc : complete_rows);
    rows_have <= (free_go && tensor_end) ? (row_done ? rows_have_wrapped1 : rows_have_wrapped0)
                                         : (row_done ? rows_have_inc : rows_have);
    rdy_c <= rdy_cur;
    rdy_n <= rdy_nxt;
    rdy_r <= rdy_row;
    mv_n <= issue && last_word_pix;
    mv_r <= free_go;
    free_ge0 <= {{(CW-RCW){1'b0}}, complete_rows} >= free_n_d;
    free_ge1 <= {{(CW-RCW){1'b0}}, complete_rows_inc} >= free_n_d;
    row_done_q <= row_done;
    inflight <= inflight + issue - (m_axis_tvalid && m_axis_tready);
    credit <= inflight <= 7;  // after one more issue at most 9: the FIFO's 8 words + its register

    if (rst) begin
        wsl <= 0; wcf <= 0; wx1 <= 1; wy <= 0; wr_addr <= 0; row_start <= 1'b1;
        wsl_last <= SIMD == 1; wcf_last <= CF == 1; wx_last <= W == 1;
        complete_rows <= 0;
        state <= ST_RUN;
        oy <= 0; ox <= 0; rcf <= 0; kh <= 0; kw <= 0;
        oy_base <= -PAD_T; ox_base <= -PAD_L;
        ky_off <= 0; kx_off <= 0;
        ox_cf <= -PAD_L * CF; kx_cf <= 0;
        base_row <= 0; base_prow <= 0; free_n <= 0;
        rows_left <= H; next_min <= NM1_0; next_min2 <= NM2_0;
        free_mid <= FREE_MID0; last_oy <= OH == 1;
        pix_started <= 1'b0; tensor_end <= 1'b0;
        rmax <= RMAX0; nrmax_raw <= KEH - 1 - PAD_T + S_H; nrmax <= RMAX0;
        c1 <= C1_0; nc1 <= C1_1; nncmax <= CMAX2;
        rows_have <= 0; inflight <= 0; credit <= 1'b0;
        rdy_c <= 1'b0; rdy_n <= 1'b0; rdy_r <= 1'b0; mv_n <= 1'b0; mv_r <= 1'b0;
        v0 <= 1'b0; va <= 1'b0; v1 <= 1'b0; v2 <= 1'b0; v3 <= 1'b0;
    end
end

wire [WW-1:0] fifo_in = pad3 ? {SIMD{pad_value}} : rdata3;
/* verilator lint_off PINCONNECTEMPTY */
dsg_fifo #(.DATA_W(WW + 1), .DEPTH(8)) u_out (
    .clk(clk), .rst(rst),
    .s_axis_tdata({pad3, fifo_in}), .s_axis_tvalid(v3), .s_axis_tready(), .s_axis_tlast(last3),
    .m_axis_tdata({m_axis_tuser, m_axis_tdata}), .m_axis_tvalid(m_axis_tvalid),
    .m_axis_tready(m_axis_tready), .m_axis_tlast(m_axis_tlast),
    .occupancy()
);
/* verilator lint_on PINCONNECTEMPTY */

/* verilator lint_on WIDTHTRUNC */
/* verilator lint_on WIDTHEXPAND */

endmodule

`default_nettype wire
