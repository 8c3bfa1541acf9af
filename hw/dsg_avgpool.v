// dsg_avgpool: average pooling = dsg_sliding_window (SIMD channels/word) + SIMD summing lanes
// that also count the valid (non-padded) positions + SIMD:1 serializer + dsg_rdiv (exact rounding
// division, one reciprocal multiplier):  y = clamp(rdiv(sum, n), LO, HI)  (docs/fixed_point.md,
// input and output sharing scale and zero point).  COUNT_INCLUDE_PAD = 1: padded positions count
// and contribute Z_IN (n = K_H*K_W); 0: they are skipped and n is the number of valid positions.
//
// Cycles per tensor ~ max(H*W*C (input), OH*OW*C*K_H*K_W/SIMD (summing), OH*OW*C (output)).
`default_nettype none

module dsg_avgpool #(
    parameter DATA_W = 8,   // element width
    parameter C      = 4,   // channels (multiple of SIMD)
    parameter H      = 6,
    parameter W      = 6,
    parameter K_H    = 3,
    parameter K_W    = 3,
    parameter S_H    = 2,
    parameter S_W    = 2,
    parameter PAD_T  = 1,
    parameter PAD_B  = 1,
    parameter PAD_L  = 1,
    parameter PAD_R  = 1,
    parameter SIMD   = 1,
    parameter COUNT_INCLUDE_PAD = 0,
    parameter integer Z_IN = 0,     // pad value when COUNT_INCLUDE_PAD
    parameter integer LO   = -128,  // output clamp
    parameter integer HI   = 127
) (
    input  wire              clk,
    input  wire              rst,

    input  wire [DATA_W-1:0] s_axis_tdata,
    input  wire              s_axis_tvalid,
    output wire              s_axis_tready,
    input  wire              s_axis_tlast,

    output wire [DATA_W-1:0] m_axis_tdata,
    output wire              m_axis_tvalid,
    input  wire              m_axis_tready,
    output wire              m_axis_tlast
);

// counter arithmetic / sign extension: intended
/* verilator lint_off WIDTHEXPAND */
/* verilator lint_off WIDTHTRUNC */

localparam OH  = (H + PAD_T + PAD_B - K_H) / S_H + 1;
localparam OW  = (W + PAD_L + PAD_R - K_W) / S_W + 1;
localparam KK  = K_H * K_W;
localparam NOUT = OH * OW * C;
localparam SW  = DATA_W + $clog2(KK + 1) + 1;      // sum width
localparam NB  = $clog2(KK + 1);
localparam [DATA_W-1:0] ZI  = Z_IN;
localparam [DATA_W-1:0] LOV = LO;
localparam [DATA_W-1:0] HIV = HI;

wire [SIMD*DATA_W-1:0] wd;
wire wpad, wvalid, wready;

/* verilator lint_off PINCONNECTEMPTY */
dsg_sliding_window #(
    .DATA_W(DATA_W), .C(C), .H(H), .W(W), .K_H(K_H), .K_W(K_W), .S_H(S_H), .S_W(S_W),
    .D_H(1), .D_W(1), .PAD_T(PAD_T), .PAD_B(PAD_B), .PAD_L(PAD_L), .PAD_R(PAD_R), .SIMD(SIMD)
) u_win (
    .clk(clk), .rst(rst), .pad_value(ZI),
    .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready),
    .s_axis_tlast(s_axis_tlast),
    .m_axis_tdata(wd), .m_axis_tuser(wpad), .m_axis_tvalid(wvalid), .m_axis_tready(wready),
    .m_axis_tlast()
);
/* verilator lint_on PINCONNECTEMPTY */

reg [$clog2(KK+1)-1:0] k;
reg [SIMD*SW-1:0] acc, res;
reg [SIMD*SW-1:0] acc_next;
reg [NB-1:0] n, n_res;
reg rvalid;
reg [$clog2(SIMD+1)-1:0] lane;
reg [$clog2(NOUT+1)-1:0] oidx;
wire rd_ready;

wire use_w = !wpad || (COUNT_INCLUDE_PAD != 0);
wire [NB-1:0] n_next = (k == 0 ? 0 : n) + use_w;
wire last_k = (k == KK-1);
wire res_free = !rvalid || (rd_ready && lane == SIMD-1);
assign wready = !last_k || res_free;
wire wfire = wvalid && wready;
wire ofire = rvalid && rd_ready;

integer s;
always @* begin
    for (s = 0; s < SIMD; s = s + 1)
        acc_next[s*SW +: SW] = (k == 0 ? {SW{1'b0}} : acc[s*SW +: SW])
            + (use_w ? {{(SW-DATA_W){wd[s*DATA_W+DATA_W-1]}}, wd[s*DATA_W +: DATA_W]} : {SW{1'b0}});
end

always @(posedge clk) begin
    if (wfire) begin
        acc <= acc_next;
        n <= n_next;
        k <= last_k ? 0 : k + 1'b1;
    end
    if (wfire && last_k) begin
        res <= acc_next;
        n_res <= n_next;
        rvalid <= 1'b1;
        lane <= 0;
    end else if (ofire) begin
        res <= res >> SW;
        lane <= lane + 1'b1;
        if (lane == SIMD-1)
            rvalid <= 1'b0;
    end
    if (ofire)
        oidx <= (oidx == NOUT-1) ? 0 : oidx + 1'b1;
    if (rst) begin
        k <= 0;
        rvalid <= 1'b0;
        lane <= 0;
        oidx <= 0;
    end
end

dsg_rdiv #(.IN_W(SW), .OUT_W(DATA_W), .N_MAX(KK), .CONST_N(0)) u_div (
    .clk(clk), .rst(rst),
    .s_axis_tdata(res[SW-1:0]), .s_axis_n(n_res), .s_axis_tvalid(rvalid), .s_axis_tready(rd_ready),
    .s_axis_tlast(oidx == NOUT-1), .lo(LOV), .hi(HIV),
    .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready),
    .m_axis_tlast(m_axis_tlast)
);

/* verilator lint_on WIDTHTRUNC */
/* verilator lint_on WIDTHEXPAND */

endmodule

`default_nettype wire
