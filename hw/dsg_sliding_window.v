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
// Reader: 1 word/cycle (5-stage issue/row/address/RAM/FIFO pipeline into an 8-word output FIFO
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

// ---------------------------------------------------------------- storage
reg [WW-1:0] mem [0:NWORDS-1];

// ---------------------------------------------------------------- writer
/* verilator lint_off UNUSEDSIGNAL */
reg [WW-1:0]  pack;
/* verilator lint_on UNUSEDSIGNAL */
reg [$clog2(SIMD+1)-1:0] wsl;
reg [$clog2(CF+1)-1:0]   wcf;
reg [CW-1:0]  wx;           // pixels complete in the row being written
reg [CW-1:0]  wy;
reg [AW-1:0]  wr_addr;
reg [RCW-1:0] complete_rows; // complete rows held (not yet freed by the reader)

wire row_start = (wsl == 0) && (wcf == 0) && (wx == 0);
assign s_axis_tready = !row_start || (complete_rows < RR);
wire wr_fire   = s_axis_tvalid && s_axis_tready;
wire word_done = wr_fire && (wsl == SIMD-1);
wire pix_done  = word_done && (wcf == CF-1);
wire row_done  = pix_done && (wx == W-1);

wire [WW-1:0] pack_next;
generate
    if (SIMD == 1) begin : g_pack1
        assign pack_next = s_axis_tdata;
    end else begin : g_packn
        assign pack_next = {s_axis_tdata, pack[WW-1:DATA_W]};
    end
endgenerate

always @(posedge clk) begin
    if (wr_fire)
        pack <= pack_next;
    if (word_done)
        mem[wr_addr] <= pack_next;
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
reg          pix_started;                    // current pixel passed its readiness check
reg          tensor_end;                     // ST_FREE finishes a tensor

// readiness, computed one cycle ahead into a register (rdy) so the issue decision is a few gates
// of flip-flops.  An output pixel may start once its last input pixel (row rmax, column cmax) is
// written: rmax < rows_have, or rmax == rows_have and wx > cmax, where rows_have counts complete
// rows since the start of the tensor (a continuous count: the next tensor's rows follow at H..,
// so the count only grows until the reader moves to the next tensor, and a readiness computed
// from last cycle's counts is never wrong, at most one cycle late).  The operands are registers:
// rmax (clamped to H-1: bottom padding needs no row) and cmax (no clamp needed, wx < W) of the
// current pixel, of the next pixel in the row (ncmax) and of the next row's first pixel (nrmax,
// in the current tensor's count; at the last row that is the next tensor's first pixel, + H).
localparam signed [CW-1:0] RMAX0 = (KEH - 1 - PAD_T > H - 1) ? H - 1 : KEH - 1 - PAD_T;
localparam signed [CW-1:0] CMAX0 = KEW - 1 - PAD_L;
reg signed [CW-1:0] rmax, rmax_raw, nrmax;   // rmax_raw = oy_base + KEH-1 (not clamped)
reg signed [CW-1:0] cmax, ncmax;             // ox_base + KEW-1, and that + S_W
reg signed [CW-1:0] rows_have;               // complete rows of this tensor (and beyond)
reg                 rdy;                     // the current pixel's last input pixel is written
wire signed [CW-1:0] wx_s = {1'b0, wx[CW-2:0]};
wire rdy_cur  = (rmax < rows_have) || ((rmax == rows_have) && (wx_s > cmax));
wire rdy_nxt  = (rmax < rows_have) || ((rmax == rows_have) && (wx_s > ncmax));
wire rdy_row  = (nrmax < rows_have) || ((nrmax == rows_have) && (wx_s > CMAX0));
wire signed [CW-1:0] nrmax_raw = rmax_raw + S_H;
wire signed [CW-1:0] ncmax_nxt = ncmax + S_W;

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
wire last_oy  = oy == OH-1;
wire last_word_pix = last_kw && last_kh && last_cf;

// output FIFO with credit
reg  [3:0] inflight;                         // issued, not yet accepted at m_axis (<= 9)
reg        credit;                           // inflight <= 7 last cycle: room for one more
reg v0, va, v1, v2, pad0, pada, pad1, pad2, last0, lasta, last1, last2;
reg [PW:0]   rel0;                           // stage 0: row relative to the oldest held row
reg [AW-1:0] col0, cola;                     // ix*CF + rcf
reg [PW:0]   prowa;                          // stage a: physical row
reg [AW-1:0] addr1;
reg [WW-1:0] rdata2;
wire [PW+1:0] prow_sum = {1'b0, base_prow} + rel0;
wire issue = (state == ST_RUN) && credit && (pix_started || rdy);
wire free_go = (state == ST_FREE) && ({{(CW-RCW){1'b0}}, complete_rows} >= free_n);
wire [RCW-1:0] complete_rows_kept  = complete_rows + row_done;
wire [RCW-1:0] complete_rows_freed = complete_rows + row_done - free_n[RCW-1:0];
wire signed [CW-1:0] rows_have_kept    = rows_have + row_done;
wire signed [CW-1:0] rows_have_wrapped = rows_have + row_done - H;

// rows the next output row no longer needs
wire signed [CW-1:0] next_min = oy_base + S_H;
wire [CW-1:0] next_min_c = (next_min < 0) ? 0 : next_min;
wire [CW-1:0] prow_free_sum = {{(CW-$clog2(RR+1)){1'b0}}, base_prow} + free_n;
/* verilator lint_off UNUSEDSIGNAL */
wire [CW-1:0] prow_free = (prow_free_sum >= RR) ? prow_free_sum - RR : prow_free_sum;
/* verilator lint_on UNUSEDSIGNAL */

always @(posedge clk) begin
    // ---- writer
    if (wr_fire) begin
        wsl <= (wsl == SIMD-1) ? 0 : wsl + 1'b1;
        if (word_done) begin
            wr_addr <= (wr_addr == NWORDS-1) ? 0 : wr_addr + 1'b1;
            wcf <= (wcf == CF-1) ? 0 : wcf + 1'b1;
            if (pix_done) begin
                wx <= (wx == W-1) ? 0 : wx + 1'b1;
                if (row_done)
                    wy <= (wy == H-1) ? 0 : wy + 1'b1;
            end
        end
    end

    // ---- reader: issue -> 0 -> a -> 1 (address) -> 2 (RAM) -> FIFO
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
                        cmax <= ncmax;
                        ncmax <= ncmax_nxt;
                    end else begin
                        ox <= 0;
                        ox_base <= -PAD_L;
                        ox_cf <= -PAD_L * CF;
                        cmax <= CMAX0;
                        ncmax <= CMAX0 + S_W;
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
        free_n <= last_oy ? H - base_row : next_min_c - base_row;
        nrmax <= last_oy ? RMAX0 + H : (nrmax_raw > H - 1) ? H - 1 : nrmax_raw;
    end

    if (free_go) begin
        state <= ST_RUN;
        base_prow <= prow_free[$clog2(RR+1)-1:0];
        rmax <= tensor_end ? RMAX0 : nrmax;
        if (tensor_end) begin
            base_row <= 0;
            oy <= 0;
            oy_base <= -PAD_T;
            rmax_raw <= KEH - 1 - PAD_T;
        end else begin
            base_row <= base_row + free_n;
            oy <= oy + 1'b1;
            oy_base <= oy_base + S_H;
            rmax_raw <= nrmax_raw;
        end
    end

    // both sums precomputed, free_go only selects (it ends a compare: no adder after it)
    complete_rows <= free_go ? complete_rows_freed : complete_rows_kept;
    rows_have <= (free_go && tensor_end) ? rows_have_wrapped : rows_have_kept;
    rdy <= free_go ? rdy_row : (issue && last_word_pix) ? rdy_nxt : rdy_cur;
    inflight <= inflight + issue - (m_axis_tvalid && m_axis_tready);
    credit <= inflight <= 7;  // after one more issue at most 9: the FIFO's 8 words + its register

    if (rst) begin
        wsl <= 0; wcf <= 0; wx <= 0; wy <= 0; wr_addr <= 0;
        complete_rows <= 0;
        state <= ST_RUN;
        oy <= 0; ox <= 0; rcf <= 0; kh <= 0; kw <= 0;
        oy_base <= -PAD_T; ox_base <= -PAD_L;
        ky_off <= 0; kx_off <= 0;
        ox_cf <= -PAD_L * CF; kx_cf <= 0;
        base_row <= 0; base_prow <= 0; free_n <= 0;
        pix_started <= 1'b0; tensor_end <= 1'b0;
        rmax <= RMAX0; rmax_raw <= KEH - 1 - PAD_T; nrmax <= RMAX0;
        cmax <= CMAX0; ncmax <= CMAX0 + S_W;
        rows_have <= 0; rdy <= 1'b0; inflight <= 0; credit <= 1'b0;
        v0 <= 1'b0; va <= 1'b0; v1 <= 1'b0; v2 <= 1'b0;
    end
end

wire [WW-1:0] fifo_in = pad2 ? {SIMD{pad_value}} : rdata2;
/* verilator lint_off PINCONNECTEMPTY */
dsg_fifo #(.DATA_W(WW + 1), .DEPTH(8)) u_out (
    .clk(clk), .rst(rst),
    .s_axis_tdata({pad2, fifo_in}), .s_axis_tvalid(v2), .s_axis_tready(), .s_axis_tlast(last2),
    .m_axis_tdata({m_axis_tuser, m_axis_tdata}), .m_axis_tvalid(m_axis_tvalid),
    .m_axis_tready(m_axis_tready), .m_axis_tlast(m_axis_tlast),
    .occupancy()
);
/* verilator lint_on PINCONNECTEMPTY */

/* verilator lint_on WIDTHTRUNC */
/* verilator lint_on WIDTHEXPAND */

endmodule

`default_nettype wire
