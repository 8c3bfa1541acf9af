// dsg_mvu: matrix-vector unit (FINN-MVU style) with bias, per-channel requantization and
// fused activation clamp / LeakyReLU.  The compute core of dsg_conv and dsg_dense.
//
// Input : MVU words of SIMD*TAPS elements (DATA_W each) from dsg_vecbuf, which packs TAPS window
//         words (dsg_sliding_window order cf, kh, kw, SIMD channels each) into one and replays
//         every vector for the NF neuron folds (or straight from the window when NF = TAPS = 1).
//         tlast is ignored (N_PIX pixels per tensor).
// Output: one requantized element per beat, channel fastest, tlast on the tensor's last element.
//
// Standard / pointwise / grouped (DW = 0): per pixel, for each group g (a "vector" of
//   WPV = CIN_G/SIMD*KK window words = SF = WPV/TAPS MVU words): for each neuron fold nf in
//   0..NF-1 (NF = COUT_G/PE): SF cycles of PE x (SIMD*TAPS) multiply-accumulates, the input being
//   the vector replayed NF times.  TAPS > 1 folds the dot product over consecutive window words as
//   well as over channels, so a layer with few input channels (a first conv with C_IN = 1) can
//   use any divisor of its kh*kw*C_in dot product, not only output-channel lanes.
// Depthwise (DW = 1, GROUPS = C_IN, M = C_OUT/C_IN, PE must equal SIMD*M, TAPS must be 1): per
//   SIMD-channel fold, KK cycles; lane p = s*M + m multiplies input element s with the weight of
//   output channel (fold*SIMD + s)*M + m.  Multipliers: PE.  Every window word is used once
//   there, so the window's one word per cycle bounds it and more taps would idle.
//
// Pipeline: input -> zero-point subtract -> products -> adder tree -> accumulate (bias
// preloaded) -> 16-word accumulator FIFO -> PE:1 serializer -> dsg_requant.  A global clock enable
// stalls the compute pipeline only when the accumulator FIFO lacks room for the results in
// flight; one requantizer serves every lane (one element per output beat). RQ_SERIAL = 1 (chosen
// by the backend where the layer's outputs leave at most one per 17 cycles of the design's II)
// makes it multiply in fabric, so the engine's hard multipliers are all MACs.
//
// Cycle count per tensor (not starved, not output bound):
//   standard: N_PIX * C_OUT * KK * (C_IN/GROUPS) / (PE*SIMD*TAPS)
//   depthwise: N_PIX * C_IN * KK / SIMD            (= N_PIX * C_OUT * KK / PE)
// and never below N_PIX*C_OUT (output stream, 1 element/cycle) nor the input's window words
// (dsg_vecbuf); the PE:1 serializer keeps up when SF >= PE.  Multipliers busy every cycle in
// steady state.
//
// ROM files ($readmemh, one hex word per line; see dsgen/backends/rtl/sim.py mvu_memh()):
//   WEIGHT_FILE: NV*NF*SF words, lane (p, e) at bits [(p*SIMD*TAPS+e)*WGT_W +: WGT_W] where
//                element e = t*SIMD+s is lane s of window word sf*TAPS+t (DW: p*WGT_W);
//   BIAS_FILE  : NV*NF words of PE x ACC_W;
//   RQ_FILE    : C_OUT words {shift_neg[7:0], q_neg[31:0], shift[7:0], q[31:0]}.
`default_nettype none

module dsg_mvu #(
    parameter DATA_W  = 8,     // activation width (8, or 16 in 16x8 mode)
    parameter WGT_W   = 8,     // weight width
    parameter ACC_W   = 32,    // accumulator width
    parameter C_IN    = 8,     // input channels
    parameter C_OUT   = 8,     // output channels
    parameter KK      = 9,     // window positions (K_H*K_W)
    parameter GROUPS  = 1,     // conv groups (DW = 1: must equal C_IN)
    parameter DW      = 0,     // 1: depthwise (lanes over channels)
    parameter PE      = 2,     // output lanes (DW: SIMD*M)
    parameter SIMD    = 2,     // input channels per window word
    parameter TAPS    = 1,     // window words per input word (DW: 1; divides CIN_G/SIMD*KK)
    parameter N_PIX   = 16,    // output pixels per tensor
    parameter LEAKY   = 0,     // 1: negative accumulators use (q_neg, shift_neg)
    parameter RQ_SERIAL = 0,   // 1: dsg_requant SERIAL (no hard multiplier, 17 cycles/output)
    parameter integer Z_IN  = 0,    // input zero point (subtracted before multiplying)
    parameter integer Z_OUT = 0,    // output zero point
    parameter integer LO    = -128, // output clamp (fused ReLU/ReLU6/clip)
    parameter integer HI    = 127,
    parameter WEIGHT_FILE = "weights.memh",
    parameter BIAS_FILE   = "bias.memh",
    parameter RQ_FILE     = "rq.memh"
) (
    input  wire                    clk,
    input  wire                    rst,

    input  wire [SIMD*TAPS*DATA_W-1:0] s_axis_tdata,
    input  wire                    s_axis_tvalid,
    output wire                    s_axis_tready,

    output wire [DATA_W-1:0]       m_axis_tdata,
    output wire                    m_axis_tvalid,
    input  wire                    m_axis_tready,
    output wire                    m_axis_tlast
);

// Counter widths follow the parameters; zero-extensions in the counter arithmetic are intended.
/* verilator lint_off WIDTHEXPAND */
/* verilator lint_off WIDTHTRUNC */

localparam CIN_G  = C_IN / GROUPS;
localparam COUT_G = C_OUT / GROUPS;
localparam NV     = DW ? C_IN / SIMD : GROUPS;           // vectors per pixel
localparam SF     = (DW ? KK : (CIN_G / SIMD) * KK) / TAPS; // words per vector
localparam NF     = DW ? 1 : COUT_G / PE;                // neuron folds per vector
localparam M      = DW ? PE / SIMD : 1;                  // depth multiplier (DW)
localparam XN     = SIMD * TAPS;                         // elements per input word
localparam LPE    = DW ? 1 : XN;                         // products per lane
localparam WROM_N = NV * NF * SF;
localparam BROM_N = NV * NF;
localparam WROM_W = PE * LPE * WGT_W;
localparam XW     = DATA_W + 1;                          // x - z_in
localparam PW     = XW + WGT_W;                          // product width

// ------------------------------------------------------------------ ROMs
reg [WROM_W-1:0]     wrom [0:WROM_N-1];
reg [PE*ACC_W-1:0]   brom [0:BROM_N-1];
reg [79:0]           rqrom [0:C_OUT-1];

initial begin
    $readmemh(WEIGHT_FILE, wrom);
    $readmemh(BIAS_FILE, brom);
    $readmemh(RQ_FILE, rqrom);
end

// ------------------------------------------------------------------ sequencer
reg [$clog2(SF+1)-1:0]     sf;
reg [$clog2(NF+1)-1:0]     nf;
reg [$clog2(NV+1)-1:0]     vi;
/* verilator lint_off UNUSEDSIGNAL */
reg [$clog2(WROM_N+1)-1:0] widx, widx_n;   // ROM addresses and their successors: synthesis
reg [$clog2(BROM_N+1)-1:0] bidx, bidx_n;   // reads a ROM at the next address, a mux, not an add
/* verilator lint_on UNUSEDSIGNAL */

wire [4:0] acc_fifo_occ;
// room for every result in flight: the FIFO holds at most 8 when the pipeline advances (its 6
// stages then fit in the 16 words). Registered for timing (a global enable): from last cycle's
// occupancy, which grows by at most one a cycle, so ce = 1 still implies at most 8 now.
reg ce;
always @(posedge clk) ce <= !rst && (acc_fifo_occ < 5'd8);
// every fold's input arrives on the stream (dsg_vecbuf replays it), so a step is one beat
wire step = ce && s_axis_tvalid;
assign s_axis_tready = ce;

always @(posedge clk) begin
    if (step) begin
        widx <= widx_n;
        widx_n <= (widx_n == WROM_N-1) ? 0 : widx_n + 1'b1;
        if (sf == SF-1) begin
            sf <= 0;
            bidx <= bidx_n;
            bidx_n <= (bidx_n == BROM_N-1) ? 0 : bidx_n + 1'b1;
            if (nf == NF-1) begin
                nf <= 0;
                vi <= (vi == NV-1) ? 0 : vi + 1'b1;
            end else begin
                nf <= nf + 1'b1;
            end
        end else begin
            sf <= sf + 1'b1;
        end
    end
    if (rst) begin
        sf <= 0; nf <= 0; vi <= 0; widx <= 0; bidx <= 0;
        widx_n <= (WROM_N == 1) ? 0 : 1;
        bidx_n <= (BROM_N == 1) ? 0 : 1;
    end
end

// ------------------------------------------------------------------ pipeline
// P1: memory reads
reg                   v1, first1, last1;
reg [XN*DATA_W-1:0]   d1;
reg [WROM_W-1:0]      w1;
reg [PE*ACC_W-1:0]    b1;
// P1b: the reads again in fabric registers (a block-RAM ROM absorbs P1 as its read register, and
// an ECP5 DP16KD's data arrives ~6 ns into the cycle: too late for the x - z subtract and the
// multipliers' input registers at 150 MHz)
reg                   v1b, first1b, last1b;
reg [XN*DATA_W-1:0]   d1b;
reg [WROM_W-1:0]      w1b;
reg [PE*ACC_W-1:0]    b1b;
// P2: operands (in each multiplier's input registers, dsg_mul)
reg                   v2, first2, last2;
wire [XN*XW-1:0]      x1z;                   // x - z_in, registered into P2 by the multipliers
reg [PE*ACC_W-1:0]    b2;
// P3: products (each multiplier's output register)
reg                   v3, first3, last3;
wire [PE*LPE*PW-1:0]  p3;
reg [PE*ACC_W-1:0]    b3;
// P4: lane sums
reg                   v4, first4, last4;
reg [PE*ACC_W-1:0]    s4;
reg [PE*ACC_W-1:0]    b4;
// P5: accumulators
reg [PE*ACC_W-1:0]    acc5;
reg                   out5;

wire [PE*ACC_W-1:0] acc_next;

genvar gp, gs;
generate
    for (gs = 0; gs < XN; gs = gs + 1) begin : g_x
        wire signed [XW-1:0] xe = $signed({d1b[gs*DATA_W+DATA_W-1], d1b[gs*DATA_W +: DATA_W]}) - Z_IN;
        assign x1z[gs*XW +: XW] = xe;
    end
    for (gp = 0; gp < PE; gp = gp + 1) begin : g_pe
        wire signed [ACC_W-1:0] lane_sum;
        for (gs = 0; gs < LPE; gs = gs + 1) begin : g_mul
            wire signed [WGT_W-1:0] wv = w1b[(gp*LPE+gs)*WGT_W +: WGT_W];
            wire signed [XW-1:0] xv;
            if (DW != 0) begin : g_dw
                assign xv = x1z[(gp/M)*XW +: XW];
            end else begin : g_std
                assign xv = x1z[gs*XW +: XW];
            end
            dsg_mul #(.A_W(WGT_W), .B_W(XW), .P_W(PW)) u_mul (
                .clk(clk), .ce(ce), .a(wv), .b(xv), .p(p3[(gp*LPE+gs)*PW +: PW])
            );
        end
        // adder tree over the lane's products (combinational, one register stage)
        reg signed [ACC_W-1:0] tree;
        integer k;
        always @* begin
            tree = 0;
            for (k = 0; k < LPE; k = k + 1)
                tree = tree + {{(ACC_W-PW){p3[(gp*LPE+k)*PW+PW-1]}}, p3[(gp*LPE+k)*PW +: PW]};
        end
        assign lane_sum = tree;
        always @(posedge clk) if (ce) s4[gp*ACC_W +: ACC_W] <= lane_sum;
        wire [ACC_W-1:0] prev = first4 ? b4[gp*ACC_W +: ACC_W] : acc5[gp*ACC_W +: ACC_W];
        assign acc_next[gp*ACC_W +: ACC_W] = prev + s4[gp*ACC_W +: ACC_W];
    end
endgenerate

always @(posedge clk) begin
    if (ce) begin
        v1 <= step; first1 <= (sf == 0); last1 <= (sf == SF-1);
        d1 <= s_axis_tdata;
        w1 <= wrom[widx];
        b1 <= brom[bidx];

        v1b <= v1; first1b <= first1; last1b <= last1;
        d1b <= d1; w1b <= w1; b1b <= b1;

        v2 <= v1b; first2 <= first1b; last2 <= last1b;
        b2 <= b1b;

        v3 <= v2; first3 <= first2; last3 <= last2; b3 <= b2;

        v4 <= v3; first4 <= first3; last4 <= last3; b4 <= b3;

        if (v4)
            acc5 <= acc_next;
        out5 <= v4 && last4;
    end
    if (rst) begin
        v1 <= 1'b0; v1b <= 1'b0; v2 <= 1'b0; v3 <= 1'b0; v4 <= 1'b0; out5 <= 1'b0;
    end
end

// ------------------------------------------------------------------ accumulator FIFO
wire [PE*ACC_W-1:0] af_data;
wire af_valid, af_ready;
/* verilator lint_off PINCONNECTEMPTY */
dsg_fifo #(.DATA_W(PE*ACC_W), .DEPTH(16)) u_accfifo (
    .clk(clk), .rst(rst),
    .s_axis_tdata(acc5), .s_axis_tvalid(out5 && ce), .s_axis_tready(), .s_axis_tlast(1'b0),
    .m_axis_tdata(af_data), .m_axis_tvalid(af_valid), .m_axis_tready(af_ready), .m_axis_tlast(),
    .occupancy(acc_fifo_occ)
);
/* verilator lint_on PINCONNECTEMPTY */

// ------------------------------------------------------------------ serializer PE -> 1
reg [PE*ACC_W-1:0] sreg;
reg                svalid;
reg [$clog2(PE+1)-1:0] lane;
reg [$clog2(C_OUT+1)-1:0] oc;
reg [$clog2(N_PIX+1)-1:0] pix;
wire rq_ready;
wire ser_fire = svalid && rq_ready;
assign af_ready = !svalid || (rq_ready && lane == PE-1);

always @(posedge clk) begin
    if (af_valid && af_ready) begin
        sreg <= af_data;
        svalid <= 1'b1;
        lane <= 0;
    end else if (ser_fire) begin
        if (lane == PE-1)
            svalid <= 1'b0;
        lane <= lane + 1'b1;
        sreg <= sreg >> ACC_W;
    end
    if (ser_fire) begin
        if (oc == C_OUT-1) begin
            oc <= 0;
            pix <= (pix == N_PIX-1) ? 0 : pix + 1'b1;
        end else begin
            oc <= oc + 1'b1;
        end
    end
    if (rst) begin
        svalid <= 1'b0; lane <= 0; oc <= 0; pix <= 0;
    end
end

wire [79:0] rqw = rqrom[oc];
localparam [DATA_W-1:0] ZO = Z_OUT;
localparam [DATA_W-1:0] LOV = LO;
localparam [DATA_W-1:0] HIV = HI;

/* verilator lint_off PINCONNECTEMPTY */
dsg_requant #(.ACC_W(ACC_W), .OUT_W(DATA_W), .USER_W(1), .LEAKY(LEAKY),
             .SERIAL(RQ_SERIAL)) u_rq (
    .clk(clk), .rst(rst),
    .s_axis_tdata(sreg[ACC_W-1:0]),
    .s_axis_q(rqw[31:0]), .s_axis_shift(rqw[39:32]),
    .s_axis_q_neg(rqw[71:40]), .s_axis_shift_neg(rqw[79:72]),
    .s_axis_tuser(1'b0), .s_axis_tvalid(svalid), .s_axis_tready(rq_ready),
    .s_axis_tlast(oc == C_OUT-1 && pix == N_PIX-1),
    .zp(ZO), .lo(LOV), .hi(HIV),
    .m_axis_tdata(m_axis_tdata), .m_axis_tuser(), .m_axis_tvalid(m_axis_tvalid),
    .m_axis_tready(m_axis_tready), .m_axis_tlast(m_axis_tlast)
);
/* verilator lint_on PINCONNECTEMPTY */

/* verilator lint_on WIDTHTRUNC */
/* verilator lint_on WIDTHEXPAND */

endmodule

`default_nettype wire
