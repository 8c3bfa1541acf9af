// dsg_maxpool: max pooling = dsg_sliding_window (SIMD channels/word, pad flag in tuser) + SIMD
// max-reduction lanes + SIMD:1 serializer.  Padded positions never win (they are skipped).
// Input and output share scale/zero point: no requantization (docs/fixed_point.md).  LO/HI: a
// fused ReLU clamp (PoolQ lo/hi) on the output; the defaults (type range) make it a no-op.  A global
// max pool is this module with K_H = H, K_W = W, no padding.
//
// Cycles per tensor ~ max(H*W*C (input), OH*OW*C*K_H*K_W/SIMD (reduction), OH*OW*C (output)).
`default_nettype none

module dsg_maxpool #(
    parameter DATA_W = 8,   // element width
    parameter C      = 4,   // channels (multiple of SIMD)
    parameter H      = 6,
    parameter W      = 6,
    parameter K_H    = 2,   // window
    parameter K_W    = 2,
    parameter S_H    = 2,   // stride
    parameter S_W    = 2,
    parameter D_H    = 1,   // dilation
    parameter D_W    = 1,
    parameter PAD_T  = 0,   // padding (ignored positions)
    parameter PAD_B  = 0,
    parameter PAD_L  = 0,
    parameter PAD_R  = 0,
    parameter SIMD   = 1,   // channels reduced in parallel
    parameter integer LO = -(1 << (DATA_W-1)),  // output clamp (fused ReLU)
    parameter integer HI = (1 << (DATA_W-1)) - 1
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

// counter arithmetic: intended zero-extension
/* verilator lint_off WIDTHEXPAND */
/* verilator lint_off WIDTHTRUNC */

localparam KEH = (K_H-1)*D_H + 1;
localparam KEW = (K_W-1)*D_W + 1;
localparam OH  = (H + PAD_T + PAD_B - KEH) / S_H + 1;
localparam OW  = (W + PAD_L + PAD_R - KEW) / S_W + 1;
localparam KK  = K_H * K_W;
localparam NOUT = OH * OW * C;

wire [SIMD*DATA_W-1:0] wd;
wire wpad, wvalid, wready;

/* verilator lint_off PINCONNECTEMPTY */
dsg_sliding_window #(
    .DATA_W(DATA_W), .C(C), .H(H), .W(W), .K_H(K_H), .K_W(K_W), .S_H(S_H), .S_W(S_W),
    .D_H(D_H), .D_W(D_W), .PAD_T(PAD_T), .PAD_B(PAD_B), .PAD_L(PAD_L), .PAD_R(PAD_R), .SIMD(SIMD)
) u_win (
    .clk(clk), .rst(rst), .pad_value({DATA_W{1'b0}}),
    .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready),
    .s_axis_tlast(s_axis_tlast),
    .m_axis_tdata(wd), .m_axis_tuser(wpad), .m_axis_tvalid(wvalid), .m_axis_tready(wready),
    .m_axis_tlast()
);
/* verilator lint_on PINCONNECTEMPTY */

reg [$clog2(KK+1)-1:0] k;
reg [SIMD*DATA_W-1:0] acc, res;
reg [SIMD*DATA_W-1:0] acc_next;
reg rvalid;
reg [$clog2(SIMD+1)-1:0] lane;
reg [$clog2(NOUT+1)-1:0] oidx;

wire last_k = (k == KK-1);
wire res_free = !rvalid || (m_axis_tready && lane == SIMD-1);
assign wready = !last_k || res_free;
wire wfire = wvalid && wready;

integer s;
always @* begin
    for (s = 0; s < SIMD; s = s + 1) begin
        if (k == 0)
            acc_next[s*DATA_W +: DATA_W] = wpad ? {1'b1, {(DATA_W-1){1'b0}}} : wd[s*DATA_W +: DATA_W];
        else if (!wpad && ($signed(wd[s*DATA_W +: DATA_W]) > $signed(acc[s*DATA_W +: DATA_W])))
            acc_next[s*DATA_W +: DATA_W] = wd[s*DATA_W +: DATA_W];
        else
            acc_next[s*DATA_W +: DATA_W] = acc[s*DATA_W +: DATA_W];
    end
end

wire ofire = rvalid && m_axis_tready;

always @(posedge clk) begin
    if (wfire) begin
        acc <= acc_next;
        k <= last_k ? 0 : k + 1'b1;
    end
    if (wfire && last_k) begin
        res <= acc_next;
        rvalid <= 1'b1;
        lane <= 0;
    end else if (ofire) begin
        res <= res >> DATA_W;
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

localparam [DATA_W-1:0] LOV = LO;
localparam [DATA_W-1:0] HIV = HI;
wire signed [DATA_W-1:0] rlo = res[DATA_W-1:0];
assign m_axis_tdata  = rlo < $signed(LOV) ? LOV : rlo > $signed(HIV) ? HIV : rlo;
assign m_axis_tvalid = rvalid;
assign m_axis_tlast  = oidx == NOUT-1;

/* verilator lint_on WIDTHTRUNC */
/* verilator lint_on WIDTHEXPAND */

endmodule

`default_nettype wire
