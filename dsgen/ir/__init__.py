"""The depthwise/pointwise layer IR: typed layers over NHWC tensors (batch dimension dropped)."""

from dsgen.ir.graph import *  # noqa: F403
