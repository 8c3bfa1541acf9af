// dsg_mul: one hard multiplier with registered inputs and a registered output.
//
//   p <= a_r * b_r;  a_r <= a;  b_r <= b   (all three registers advance when ce = 1)
//
// Latency 2 from (a, b) to p; a and b are signed (callers sign- or zero-extend, so an unsigned
// operand is one bit wider).  Both operands at most 18 bits, so the product is one ECP5
// MULT18X18D or one DSP48 with its own input and output registers: the multiplier's delay is then
// all inside the block, between two of its registers, instead of a fabric flip-flop -> routing ->
// multiplier -> routing -> flip-flop path (9.4 ns routed on ECP5-85F speed 6, 3.9 ns of it the
// multiplier, the rest routing to and from the block).  yosys synth_ecp5 maps a product to MULT18X18D but leaves its registers unused,
// so with DSG_ECP5 defined (dsgen synth on an ECP5 device) the primitive is instantiated with
// them; with DSG_NEXUS (a Nexus device) it is a MULT18X18 with its registers; otherwise
// (simulation, other families) it is behavioural and synthesis infers it.
`default_nettype none

module dsg_mul #(
    parameter A_W = 18,  // operand widths (signed, <= 18)
    parameter B_W = 18,
    parameter P_W = 36   // product bits kept (<= A_W + B_W)
) (
    input  wire                  clk,
    input  wire                  ce,
    input  wire signed [A_W-1:0] a,
    input  wire signed [B_W-1:0] b,
    output wire signed [P_W-1:0] p
);

`ifdef DSG_ECP5
    wire [17:0] a18 = {{(18-A_W){a[A_W-1]}}, a};
    wire [17:0] b18 = {{(18-B_W){b[B_W-1]}}, b};
    wire [35:0] p36;
    MULT18X18D #(
        .REG_INPUTA_CLK("CLK0"), .REG_INPUTA_CE("CE0"), .REG_INPUTA_RST("RST0"),
        .REG_INPUTB_CLK("CLK0"), .REG_INPUTB_CE("CE0"), .REG_INPUTB_RST("RST0"),
        .REG_INPUTC_CLK("NONE"), .REG_PIPELINE_CLK("NONE"),
        .REG_OUTPUT_CLK("CLK0"), .REG_OUTPUT_CE("CE0"), .REG_OUTPUT_RST("RST0"),
        .GSR("DISABLED"), .RESETMODE("SYNC"), .SOURCEB_MODE("B_SHIFT"), .MULT_BYPASS("DISABLED")
    ) u_mult (
        .A0(a18[0]), .A1(a18[1]), .A2(a18[2]), .A3(a18[3]), .A4(a18[4]), .A5(a18[5]),
        .A6(a18[6]), .A7(a18[7]), .A8(a18[8]), .A9(a18[9]), .A10(a18[10]), .A11(a18[11]),
        .A12(a18[12]), .A13(a18[13]), .A14(a18[14]), .A15(a18[15]), .A16(a18[16]), .A17(a18[17]),
        .B0(b18[0]), .B1(b18[1]), .B2(b18[2]), .B3(b18[3]), .B4(b18[4]), .B5(b18[5]),
        .B6(b18[6]), .B7(b18[7]), .B8(b18[8]), .B9(b18[9]), .B10(b18[10]), .B11(b18[11]),
        .B12(b18[12]), .B13(b18[13]), .B14(b18[14]), .B15(b18[15]), .B16(b18[16]), .B17(b18[17]),
        .SIGNEDA(1'b1), .SIGNEDB(1'b1), .SOURCEA(1'b0), .SOURCEB(1'b0),
        .CLK0(clk), .CE0(ce), .RST0(1'b0),
        .P0(p36[0]), .P1(p36[1]), .P2(p36[2]), .P3(p36[3]), .P4(p36[4]), .P5(p36[5]),
        .P6(p36[6]), .P7(p36[7]), .P8(p36[8]), .P9(p36[9]), .P10(p36[10]), .P11(p36[11]),
        .P12(p36[12]), .P13(p36[13]), .P14(p36[14]), .P15(p36[15]), .P16(p36[16]), .P17(p36[17]),
        .P18(p36[18]), .P19(p36[19]), .P20(p36[20]), .P21(p36[21]), .P22(p36[22]), .P23(p36[23]),
        .P24(p36[24]), .P25(p36[25]), .P26(p36[26]), .P27(p36[27]), .P28(p36[28]), .P29(p36[29]),
        .P30(p36[30]), .P31(p36[31]), .P32(p36[32]), .P33(p36[33]), .P34(p36[34]), .P35(p36[35])
    );
    assign p = p36[P_W-1:0];
`elsif DSG_NEXUS
    // CrossLink-NX / Certus-NX: MULT18X18 with its A, B and output registers. yosys 0.70's
    // synth_nexus maps this module alone correctly by inference, but on the tiny zoo model's
    // whole tree it maps 19 of the 20 products and the netlist is not bit-exact; instantiated,
    // all 20 are there and it is.
    wire [17:0] a18 = {{(18-A_W){a[A_W-1]}}, a};
    wire [17:0] b18 = {{(18-B_W){b[B_W-1]}}, b};
    wire [35:0] p36;
    MULT18X18 #(
        .REGINPUTA("REGISTER"), .REGINPUTB("REGISTER"), .REGOUTPUT("REGISTER"),
        .GSR("DISABLED"), .RESETMODE("SYNC")
    ) u_mult (
        .A(a18), .B(b18), .SIGNEDA(1'b1), .SIGNEDB(1'b1),
        .CLK(clk), .CEA(ce), .CEB(ce), .CEOUT(ce), .RSTA(1'b0), .RSTB(1'b0), .RSTOUT(1'b0),
        .Z(p36)
    );
    assign p = p36[P_W-1:0];
`else
    reg signed [A_W-1:0] a_r;
    reg signed [B_W-1:0] b_r;
    reg signed [P_W-1:0] p_r;
    /* verilator lint_off UNUSEDSIGNAL */
    wire signed [A_W+B_W-1:0] prod = a_r * b_r;
    /* verilator lint_on UNUSEDSIGNAL */
    always @(posedge clk) begin
        if (ce) begin
            a_r <= a;
            b_r <= b;
            p_r <= prod[P_W-1:0];
        end
    end
    assign p = p_r;
`endif

endmodule

`default_nettype wire
