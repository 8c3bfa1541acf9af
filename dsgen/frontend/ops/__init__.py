"""One handler per ONNX op (attribute names as in the ONNX spec).  Importing registers them."""

from dsgen.frontend.ops import conv, elementwise, pool, qdq, qonnx, shape  # noqa: F401
from dsgen.frontend.ops.registry import HANDLERS  # noqa: F401
