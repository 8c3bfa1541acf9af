// dsg_channel_scale: run-time per-channel scale (squeeze-and-excitation's Mul broadcasting the
// excitation vector over the feature map; TFLite quantized MUL, docs/fixed_point.md):
//
//   y[p, c] = clamp(Z_OUT + RQ((x[p, c] - Z_X) * (s[c] - Z_S), Q, S), LO, HI)
//
// Inputs: the map on s_axis (N_PIX pixels of C channels, one element per beat, channel fastest)
// and, per tensor, the scale vector on s_scale_axis (C elements).  Input tlasts are ignored;
// m_axis_tlast marks a tensor's last element.
//
// Why a frame buffer: SE computes s from a global average of the same map, so s arrives only
// after the whole map has gone by.  The map is held in a circular buffer of exactly N_PIX*C
// elements (one simple dual-port RAM, block-RAM inferred); since the output order is the input
// order, the buffer is a FIFO: tensor k+1's map is written into the slots tensor k's read frees,
// so the next map streams in while the current one drains without a second frame of memory.
// SLACK more slots let the next map start entering while the current one still waits for its
// vector (the SE branch's own latency), so the producer does not stall for it every frame; the
// compiler sizes it from that latency (dsgen/backends/rtl/dataflow.py, se_slack).
// The scale vector has two banks (2*C elements, distributed RAM), so vector k+1 is taken while
// tensor k still drains.  An element is read only when its tensor's vector is complete.
//
// Deadlock freedom in the network: the map is forked (dsg_broadcast) to the pooling branch that
// computes s and to this module.  This module accepts a whole map without its vector (the buffer
// holds N_PIX*C elements once the previous tensor has been read out, and reading the previous
// tensor needs only its vector, already delivered), so the fork never waits on s: the map-fork
// path needs no FIFO beyond this module (required depth 0).  Any FIFO there only adds slack.
//
// Datapath: RAM read register -> product register ((DATA_W+1) x (S_W+1) bits signed: one
// 18x18 multiplier for 8-bit operands; (DATA_W+1)+(S_W+1) <= 32 so the product is an int32
// accumulator) -> dsg_requant (its LATENCY stages, bit-exact SRDHM + RDBPOT).  1 element/cycle in and out;
// latency from a readable element to m_axis 10 cycles.
`default_nettype none

module dsg_channel_scale #(
    parameter DATA_W = 8,    // map / output element width
    parameter S_W    = 8,    // scale element width
    parameter C      = 4,    // channels
    parameter N_PIX  = 4,    // pixels per tensor (H*W); the buffer holds N_PIX*C + SLACK elements
    parameter SLACK  = 0,    // extra buffer slots: next-map elements taken while a map waits
    parameter integer Z_X   = 0,    // map zero point
    parameter integer Z_S   = 0,    // scale zero point
    parameter integer Z_OUT = 0,    // output zero point
    parameter integer Q     = 1073741824,  // requantization multiplier (one per layer)
    parameter integer S     = 0,           //   and shift
    parameter integer LO    = -(1 << (DATA_W-1)),  // output clamp (fused activation)
    parameter integer HI    = (1 << (DATA_W-1)) - 1
) (
    input  wire              clk,
    input  wire              rst,

    input  wire [DATA_W-1:0] s_axis_tdata,          // feature map
    input  wire              s_axis_tvalid,
    output wire              s_axis_tready,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire              s_axis_tlast,
    /* verilator lint_on UNUSEDSIGNAL */

    input  wire [S_W-1:0]    s_scale_axis_tdata,    // per-channel scale vector
    input  wire              s_scale_axis_tvalid,
    output wire              s_scale_axis_tready,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire              s_scale_axis_tlast,
    /* verilator lint_on UNUSEDSIGNAL */

    output wire [DATA_W-1:0] m_axis_tdata,
    output wire              m_axis_tvalid,
    input  wire              m_axis_tready,
    output wire              m_axis_tlast
);

/* verilator lint_off WIDTHEXPAND */
/* verilator lint_off WIDTHTRUNC */

localparam DEPTH = N_PIX * C + SLACK;
localparam AW    = $clog2(DEPTH);
localparam PW    = DATA_W + S_W + 2;                // product width
localparam [DATA_W:0]   ZXV = Z_X;
localparam [S_W:0]      ZSV = Z_S;
localparam [31:0]       QV  = Q;
localparam [7:0]        SV  = S;
localparam [DATA_W-1:0] ZOV = Z_OUT, LOV = LO, HIV = HI;

// ---------------------------------------------------------------- map buffer (circular FIFO)
reg [DATA_W-1:0] mem [0:DEPTH-1];
reg [AW-1:0] wa, ra;
reg [$clog2(DEPTH+1)-1:0] occ;
// a write never meets an unread slot: it needs occ < DEPTH (registered), so wa != ra unless empty
assign s_axis_tready = occ != DEPTH;
wire wfire = s_axis_tvalid && s_axis_tready;

// ---------------------------------------------------------------- scale vector, two banks
reg [S_W-1:0] smem [0:2*C-1];
reg [1:0] sfull;
reg swb, rb;                                        // bank being written / read
reg [$clog2(C+1)-1:0] swc;
assign s_scale_axis_tready = !sfull[swb];
wire sfire = s_scale_axis_tvalid && s_scale_axis_tready;

// ---------------------------------------------------------------- read side
reg [$clog2(C+1)-1:0] rc;
reg [$clog2(N_PIX+1)-1:0] rpix;
wire rlast = (rc == C-1) && (rpix == N_PIX-1);

wire rq_ready;
reg va, vb, la, lb;
wire ce_b = rq_ready || !vb;                        // product register may load
wire ce_a = ce_b || !va;                            // read register may load
wire rd = ce_a && occ != 0 && sfull[rb];            // next element and its vector are there

reg [DATA_W-1:0] xa;
reg [S_W-1:0] sa;
reg signed [PW-1:0] pb;
wire signed [DATA_W:0] xd = $signed({xa[DATA_W-1], xa}) - $signed(ZXV);
wire signed [S_W:0]    sd = $signed({sa[S_W-1], sa}) - $signed(ZSV);

always @(posedge clk) begin
    if (wfire)
        mem[wa] <= s_axis_tdata;
    if (rd)
        xa <= mem[ra];
end

always @(posedge clk) begin
    if (sfire)
        smem[swb * C + swc] <= s_scale_axis_tdata;
    if (rd)
        sa <= smem[rb * C + rc];
end

always @(posedge clk) begin
    if (wfire)
        wa <= (wa == DEPTH-1) ? 0 : wa + 1'b1;
    occ <= occ + wfire - rd;
    if (sfire) begin
        if (swc == C-1) begin
            swc <= 0;
            sfull[swb] <= 1'b1;
            swb <= !swb;
        end else begin
            swc <= swc + 1'b1;
        end
    end
    if (rd) begin
        ra <= (ra == DEPTH-1) ? 0 : ra + 1'b1;
        if (rc == C-1) begin
            rc <= 0;
            rpix <= (rpix == N_PIX-1) ? 0 : rpix + 1'b1;
        end else begin
            rc <= rc + 1'b1;
        end
        if (rlast) begin                            // the tensor's vector is no longer needed
            sfull[rb] <= 1'b0;
            rb <= !rb;
        end
    end
    if (ce_a) begin
        va <= rd;
        la <= rlast;
    end
    if (ce_b) begin
        vb <= va;
        lb <= la;
        pb <= xd * sd;
    end
    if (rst) begin
        wa <= 0; ra <= 0; occ <= 0;
        sfull <= 2'b00; swb <= 1'b0; swc <= 0; rb <= 1'b0;
        rc <= 0; rpix <= 0;
        va <= 1'b0; vb <= 1'b0;
    end
end

wire signed [31:0] acc = pb;                        // sign-extended

/* verilator lint_off PINCONNECTEMPTY */
dsg_requant #(.ACC_W(32), .OUT_W(DATA_W), .USER_W(1), .LEAKY(0)) u_rq (
    .clk(clk), .rst(rst),
    .s_axis_tdata(acc), .s_axis_q(QV), .s_axis_shift(SV), .s_axis_q_neg(QV),
    .s_axis_shift_neg(SV), .s_axis_tuser(1'b0),
    .s_axis_tvalid(vb), .s_axis_tready(rq_ready), .s_axis_tlast(lb),
    .zp(ZOV), .lo(LOV), .hi(HIV),
    .m_axis_tdata(m_axis_tdata), .m_axis_tuser(), .m_axis_tvalid(m_axis_tvalid),
    .m_axis_tready(m_axis_tready), .m_axis_tlast(m_axis_tlast)
);
/* verilator lint_on PINCONNECTEMPTY */

/* verilator lint_on WIDTHTRUNC */
/* verilator lint_on WIDTHEXPAND */

endmodule

`default_nettype wire
