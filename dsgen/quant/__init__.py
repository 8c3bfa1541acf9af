"""Fixed-point quantization: the arithmetic contract (docs/fixed_point.md), integer reference."""
