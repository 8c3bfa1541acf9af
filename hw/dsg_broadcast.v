// dsg_broadcast: fan one AXI stream out to two consumers (residual branches).
//
// Each output has its own register; the input is accepted when neither output holds a beat its
// consumer has not taken (s_axis_tready = !(m0 stuck || m1 stuck)), so both consumers see every
// beat exactly once and either may stall independently.  1 beat/cycle when both are ready.
`default_nettype none

module dsg_broadcast #(
    parameter DATA_W = 8    // element width
) (
    input  wire              clk,
    input  wire              rst,

    input  wire [DATA_W-1:0] s_axis_tdata,
    input  wire              s_axis_tvalid,
    output wire              s_axis_tready,
    input  wire              s_axis_tlast,

    output wire [DATA_W-1:0] m0_axis_tdata,
    output wire              m0_axis_tvalid,
    input  wire              m0_axis_tready,
    output wire              m0_axis_tlast,

    output wire [DATA_W-1:0] m1_axis_tdata,
    output wire              m1_axis_tvalid,
    input  wire              m1_axis_tready,
    output wire              m1_axis_tlast
);

reg [DATA_W-1:0] data_reg;
reg last_reg;
reg v0, v1;

assign s_axis_tready = !((v0 && !m0_axis_tready) || (v1 && !m1_axis_tready));
assign m0_axis_tdata = data_reg;
assign m1_axis_tdata = data_reg;
assign m0_axis_tlast = last_reg;
assign m1_axis_tlast = last_reg;
assign m0_axis_tvalid = v0;
assign m1_axis_tvalid = v1;

always @(posedge clk) begin
    if (s_axis_tready) begin
        data_reg <= s_axis_tdata;
        last_reg <= s_axis_tlast;
        v0 <= s_axis_tvalid;
        v1 <= s_axis_tvalid;
    end else begin
        if (m0_axis_tready) v0 <= 1'b0;
        if (m1_axis_tready) v1 <= 1'b0;
    end
    if (rst) begin
        v0 <= 1'b0;
        v1 <= 1'b0;
    end
end

endmodule

`default_nettype wire
