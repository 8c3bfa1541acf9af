// dsg_channel_slice: channel split / slice of an NHWC stream (ONNX Split or Slice on the channel
// axis; ShuffleNetV2's torch.chunk).  Per pixel of C channels (one element per beat, channels in
// order, as dsg_concat / dsg_shuffle take them), output 0 gets channels [START0, START0+COUNT0)
// and output 1 gets channels [START1, START1+COUNT1), both in channel order.  The ranges may
// overlap (an element in both goes to both) or leave channels out (dropped); COUNT1 = 0 leaves
// output 1 unused (it never becomes valid).
//
// Each output has its own register; an element is accepted when every output it goes to can take
// it (its register is empty or being read), so either consumer may stall independently and an
// element for one output is never held up by the other output's stall.  1 element/cycle.
// tlast: on each output's last element of the last pixel of a tensor (N_PIX pixels); input
// tlasts are ignored, as dsg_concat does.
//
// In a network the two branches usually meet again (ShuffleNetV2: split -> branch -> concat): the
// shorter branch needs a dsg_fifo deep enough to cover the other branch's latency in elements, as
// for a residual add, or the split stalls behind the concat's order.
`default_nettype none

module dsg_channel_slice #(
    parameter DATA_W = 8,   // element width
    parameter C      = 8,   // input channels per pixel
    parameter N_PIX  = 4,   // pixels per tensor (H*W), for tlast
    parameter START0 = 0,   // output 0: first channel
    parameter COUNT0 = 4,   //           channel count (>= 1)
    parameter START1 = 4,   // output 1: first channel
    parameter COUNT1 = 4    //           channel count (0: output 1 unused)
) (
    input  wire              clk,
    input  wire              rst,

    input  wire [DATA_W-1:0] s_axis_tdata,
    input  wire              s_axis_tvalid,
    output wire              s_axis_tready,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire              s_axis_tlast,
    /* verilator lint_on UNUSEDSIGNAL */

    output wire [DATA_W-1:0] m0_axis_tdata,
    output wire              m0_axis_tvalid,
    input  wire              m0_axis_tready,
    output wire              m0_axis_tlast,

    output wire [DATA_W-1:0] m1_axis_tdata,
    output wire              m1_axis_tvalid,
    input  wire              m1_axis_tready,
    output wire              m1_axis_tlast
);

/* verilator lint_off WIDTHEXPAND */
/* verilator lint_off WIDTHTRUNC */

reg [$clog2(C+1)-1:0] ch;
reg [$clog2(N_PIX+1)-1:0] pix;

wire last_pix = pix == N_PIX-1;
// a range starting at channel 0 makes its lower comparison constant
/* verilator lint_off UNSIGNED */
wire sel0 = (ch >= START0) && (ch < START0 + COUNT0);
wire sel1 = (COUNT1 > 0) && (ch >= START1) && (ch < START1 + COUNT1);
wire end0 = last_pix && (ch == START0 + COUNT0 - 1);
wire end1 = last_pix && (ch == START1 + COUNT1 - 1);
/* verilator lint_on UNSIGNED */

reg [DATA_W-1:0] d0, d1;
reg v0, v1, l0, l1;
wire free0 = !v0 || m0_axis_tready;
wire free1 = !v1 || m1_axis_tready;
assign s_axis_tready = (!sel0 || free0) && (!sel1 || free1);
wire fire = s_axis_tvalid && s_axis_tready;

always @(posedge clk) begin
    if (m0_axis_tready)
        v0 <= 1'b0;
    if (m1_axis_tready)
        v1 <= 1'b0;
    if (fire && sel0) begin
        d0 <= s_axis_tdata;
        l0 <= end0;
        v0 <= 1'b1;
    end
    if (fire && sel1) begin
        d1 <= s_axis_tdata;
        l1 <= end1;
        v1 <= 1'b1;
    end
    if (fire) begin
        if (ch == C-1) begin
            ch <= 0;
            pix <= last_pix ? 0 : pix + 1'b1;
        end else begin
            ch <= ch + 1'b1;
        end
    end
    if (rst) begin
        ch <= 0;
        pix <= 0;
        v0 <= 1'b0;
        v1 <= 1'b0;
    end
end

assign m0_axis_tdata  = d0;
assign m0_axis_tvalid = v0;
assign m0_axis_tlast  = l0;
assign m1_axis_tdata  = d1;
assign m1_axis_tvalid = v1;
assign m1_axis_tlast  = l1;

/* verilator lint_on WIDTHTRUNC */
/* verilator lint_on WIDTHEXPAND */

endmodule

`default_nettype wire
