// dsg_fifo: AXI-stream FIFO (tdata + tlast), BRAM/LUTRAM-inferrable.
//
// A simple dual-port memory of DEPTH words (DEPTH rounded up to a power of two) with registered
// read (read enable = output register empty or accepted), so it maps to block RAM (or distributed
// RAM for small depths).  Capacity is 2^ceil(log2(DEPTH)) + 1 (the output register).  Full
// throughput (1 beat/cycle), latency 2 cycles from s_axis to m_axis.  Used for skip connections
// (the generator computes DEPTH) and as an elastic buffer between engines.
`default_nettype none

module dsg_fifo #(
    parameter DATA_W = 8,   // element width
    parameter DEPTH  = 16   // storage words (rounded up to a power of two, >= 2)
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
    output wire              m_axis_tlast,

    output wire [$clog2(DEPTH < 2 ? 2 : DEPTH):0] occupancy  // words in the memory (not the output register)
);

localparam AW = $clog2(DEPTH < 2 ? 2 : DEPTH);

reg [DATA_W:0] mem [0:(1<<AW)-1];
reg [AW:0] wr_ptr, rd_ptr;
reg [DATA_W:0] out_reg;
reg out_valid;

wire empty = wr_ptr == rd_ptr;
wire full  = (wr_ptr[AW] != rd_ptr[AW]) && (wr_ptr[AW-1:0] == rd_ptr[AW-1:0]);
wire wr_en = s_axis_tvalid && !full;
wire rd_en = !empty && (!out_valid || m_axis_tready);

assign s_axis_tready = !full;
assign m_axis_tdata  = out_reg[DATA_W-1:0];
assign m_axis_tlast  = out_reg[DATA_W];
assign m_axis_tvalid = out_valid;
assign occupancy     = wr_ptr - rd_ptr;

always @(posedge clk) begin
    if (wr_en)
        mem[wr_ptr[AW-1:0]] <= {s_axis_tlast, s_axis_tdata};
end

always @(posedge clk) begin
    if (rd_en)
        out_reg <= mem[rd_ptr[AW-1:0]];
end

always @(posedge clk) begin
    if (wr_en)
        wr_ptr <= wr_ptr + 1'b1;
    if (rd_en) begin
        rd_ptr <= rd_ptr + 1'b1;
        out_valid <= 1'b1;
    end else if (m_axis_tready) begin
        out_valid <= 1'b0;
    end
    if (rst) begin
        wr_ptr <= 0;
        rd_ptr <= 0;
        out_valid <= 1'b0;
    end
end

endmodule

`default_nettype wire
