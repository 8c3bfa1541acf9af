"""dsgen: depthwise-separable CNNs from ONNX to bit-exact C, HLS C++ and Verilog."""

__version__ = "0.1.0"
