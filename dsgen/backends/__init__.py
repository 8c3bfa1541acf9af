"""Code generators: C (microcontrollers), HLS C++ and Verilog."""
