"""One handler per ONNX op (attribute names as in the ONNX spec).  Importing registers them."""

from dsgen.frontend.ops import (  # noqa: F401
    channels,
    conv,
    elementwise,
    pool,
    qdq,
    qonnx,
    shape,
)
from dsgen.frontend.ops.registry import HANDLERS  # noqa: F401
