// dsg_shuffle: channel shuffle (groups G, C = G*N): output channel i*G + j is input channel j*N + i.
// A per-pixel permutation buffer: two C-element banks (ping-pong); the writer fills one bank in
// input order while the reader emits the other in permuted order through a registered read
// (block/distributed RAM).  1 element/cycle, latency ~C+2.  tlast of a pixel's last input element
// is kept with the bank and reproduced on its last output element.
`default_nettype none

module dsg_shuffle #(
    parameter DATA_W = 8,
    parameter C      = 8,   // channels
    parameter G      = 2    // groups (divides C)
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

/* verilator lint_off WIDTHEXPAND */
/* verilator lint_off WIDTHTRUNC */

localparam N  = C / G;

reg [DATA_W-1:0] mem [0:2*C-1];
reg [1:0] full;
reg [1:0] blast;                    // tlast seen at the end of the bank's pixel
reg wb, rb;
reg [$clog2(C+1)-1:0] wc;
reg [$clog2(C+1)-1:0] rc;           // output index
reg [$clog2(C+1)-1:0] raddr;        // j*N + i
reg [$clog2(G+1)-1:0] rj;
reg [$clog2(N+1)-1:0] ri;
reg [DATA_W-1:0] od;
reg ov, ol;

assign s_axis_tready = !full[wb];
wire wfire = s_axis_tvalid && s_axis_tready;
wire rd = full[rb] && (!ov || m_axis_tready);
wire rlast = rc == C-1;

always @(posedge clk) begin
    if (wfire)
        mem[wb * C + wc] <= s_axis_tdata;
    if (rd)
        od <= mem[rb * C + raddr];
end

always @(posedge clk) begin
    if (wfire) begin
        if (wc == C-1) begin
            wc <= 0;
            full[wb] <= 1'b1;
            blast[wb] <= s_axis_tlast;
            wb <= !wb;
        end else begin
            wc <= wc + 1'b1;
        end
    end
    if (rd) begin
        ov <= 1'b1;
        ol <= rlast && blast[rb];
        if (rlast) begin
            rc <= 0; rj <= 0; ri <= 0; raddr <= 0;
            full[rb] <= 1'b0;
            rb <= !rb;
        end else begin
            rc <= rc + 1'b1;
            if (rj == G-1) begin
                rj <= 0;
                ri <= ri + 1'b1;
                raddr <= ri + 1'b1;
            end else begin
                rj <= rj + 1'b1;
                raddr <= raddr + N;
            end
        end
    end else if (m_axis_tready) begin
        ov <= 1'b0;
    end
    if (rst) begin
        full <= 2'b00; wb <= 1'b0; rb <= 1'b0; wc <= 0;
        rc <= 0; rj <= 0; ri <= 0; raddr <= 0; ov <= 1'b0;
    end
end

assign m_axis_tdata = od;
assign m_axis_tvalid = ov;
assign m_axis_tlast = ol;

/* verilator lint_on WIDTHTRUNC */
/* verilator lint_on WIDTHEXPAND */

endmodule

`default_nettype wire
