"""Small QONNX models (Quant / BipolarQuant nodes as Brevitas writes them), one per quantizer
variant, and the layer-by-layer comparison with qonnx's own execution."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

DOMAIN = "qonnx.custom_op.general"


@dataclass(frozen=True)
class Variant:
    name: str
    wbits: int = 4  # 1 = BipolarQuant (±1) weights
    wsigned: bool = True
    wnarrow: bool = True
    wround: str = "ROUND"
    per_channel: bool = True
    abits: int = 8  # the hidden activations
    asigned: bool = False
    anarrow: bool = False
    around: str = "ROUND"
    azp: int = 0
    out_quant: bool = True  # the logits quantized (8-bit) or left in float
    fcbits: int = 8  # the classifier's weights
    affine: str = ""  # "bn": BatchNormalization after the binary conv; "muladd": Mul + Add
    domain: str = DOMAIN


def _range(bits, signed, narrow):
    if signed:
        return -(1 << (bits - 1)) + int(narrow), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1 - int(narrow)


class QBuilder:
    def __init__(self, v: Variant, seed: int) -> None:
        self.v, self.rng = v, np.random.default_rng(seed)
        self.nodes, self.inits, self.n = [], [], 0

    def const(self, arr) -> str:
        self.n += 1
        name = f"c{self.n}"
        self.inits.append(numpy_helper.from_array(np.asarray(arr, np.float32), name))
        return name

    def node(self, op, inputs, domain="", **attrs) -> str:
        self.n += 1
        out = f"t{self.n}"
        self.nodes.append(
            helper.make_node(op, inputs, [out], name=f"n{self.n}_{op}", domain=domain, **attrs)
        )
        return out

    def quant(self, x, scale, zp, bits, signed, narrow, rounding) -> str:
        return self.node(
            "Quant",
            [x, self.const(scale), self.const(zp), self.const(float(bits))],
            domain=self.v.domain,
            signed=int(signed),
            narrow=int(narrow),
            rounding_mode=rounding,
        )

    def act_quant(self, x, span, bits, signed, narrow, rounding, zp=0) -> str:
        lo, hi = _range(bits, signed, narrow)
        return self.quant(
            x, np.float32(span / (hi - lo)), np.float32(zp), bits, signed, narrow, rounding
        )

    def hidden(self, y, span) -> str:
        """[ReLU ->] the variant's activation quantizer."""
        v = self.v
        if not v.asigned:
            y = self.node("Relu", [y])
        return self.act_quant(y, span, v.abits, v.asigned, v.anarrow, v.around, v.azp)

    def weight(self, shape) -> str:
        v = self.v
        w = (self.rng.standard_normal(shape) * 0.4).astype(np.float32)
        if v.wbits == 1:
            return self.node(
                "BipolarQuant", [self.const(w), self.const(np.float32(0.25))], domain=v.domain
            )
        if not v.wsigned:
            w = np.abs(w)
        lo, hi = _range(v.wbits, v.wsigned, v.wnarrow)
        amax = np.abs(w).reshape(shape[0], -1).max(axis=1)
        if not v.per_channel:
            amax = np.full_like(amax, amax.max())
        scale = (amax / max(hi, 1)).reshape((-1,) + (1,) * (len(shape) - 1)).astype(np.float32)
        if not v.per_channel:
            scale = np.float32(scale.reshape(-1)[0])
        return self.quant(
            self.const(w), scale, np.float32(0), v.wbits, v.wsigned, v.wnarrow, v.wround
        )

    def affine(self, x, c) -> str:
        mul = self.rng.uniform(0.5, 2.0, c) * self.rng.choice([-1.0, 1.0], c)
        add = self.rng.standard_normal(c) * 0.3
        if self.v.affine == "bn":
            var = self.rng.uniform(0.5, 2.0, c)
            mean = self.rng.standard_normal(c) * 0.2
            return self.node(
                "BatchNormalization",
                [x, self.const(mul), self.const(add), self.const(mean), self.const(var)],
                epsilon=1e-5,
            )
        y = self.node("Mul", [x, self.const(mul.reshape(1, c, 1, 1))])
        return self.node("Add", [y, self.const(add.reshape(1, c, 1, 1))])


def build(v: Variant, path, seed: int = 0, c_in: int = 3, c: int = 8, hw=(7, 6), classes=5):
    b = QBuilder(v, seed)
    x = b.act_quant("x", 8.11, 8, True, False, "ROUND")
    bias = v.affine == ""
    # conv 3x3 -> (affine) -> [ReLU] -> Quant(abits)
    w1 = b.weight((c, c_in, 3, 3))
    ins = [x, w1] + ([b.const(b.rng.standard_normal(c) * 0.2)] if bias else [])
    y = b.node("Conv", ins, kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    if v.affine:
        y = b.affine(y, c)
    y = b.hidden(y, 6.13)
    # depthwise 3x3 -> (affine) -> [ReLU] -> Quant(abits)
    w2 = b.weight((c, 1, 3, 3))
    ins = [y, w2] + ([b.const(b.rng.standard_normal(c) * 0.2)] if bias else [])
    y = b.node("Conv", ins, kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=c)
    if v.affine:
        y = b.affine(y, c)
    y = b.hidden(y, 5.37)
    # pointwise -> (affine) -> [ReLU] -> Quant(abits)
    w3 = b.weight((c, c, 1, 1))
    ins = [y, w3] + ([b.const(b.rng.standard_normal(c) * 0.2)] if bias else [])
    y = b.node("Conv", ins, kernel_shape=[1, 1])
    if v.affine:
        y = b.affine(y, c)
    y = b.hidden(y, 4.71)
    y = b.node("GlobalAveragePool", [y])
    y = b.act_quant(y, 2.13, 8, v.asigned, False, "ROUND")
    y = b.node("Flatten", [y])
    fc = (b.rng.standard_normal((classes, c)) * 0.5).astype(np.float32)
    fmax = (1 << (v.fcbits - 1)) - 1
    s_fc = (np.abs(fc).max(axis=1, keepdims=True) / fmax).astype(np.float32)
    wq = b.quant(b.const(fc), s_fc, np.float32(0), v.fcbits, True, True, "ROUND")
    y = b.node("Gemm", [y, wq, b.const(b.rng.standard_normal(classes) * 0.1)], transB=1)
    if v.out_quant:
        y = b.act_quant(y, 6.29, 8, True, False, "ROUND")
    b.nodes[-1].output[0] = "logits"
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c_in, *hw])]
    # Brevitas lists every initializer as a graph input too
    inputs += [
        helper.make_tensor_value_info(i.name, TensorProto.FLOAT, list(i.dims)) for i in b.inits
    ]
    graph = helper.make_graph(
        b.nodes,
        "qat",
        inputs,
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, None)],
        b.inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid(v.domain, 1)]
    )
    onnx.save(model, str(path))
    return path


def nhwc(a) -> np.ndarray:
    a = np.asarray(a)[0]
    return a.transpose(1, 2, 0) if a.ndim == 3 else a.reshape(-1)


def compare_layers(path, qg, xs_nchw) -> dict[str, tuple[int, int, float]]:
    """Feed every integer layer qonnx's own quantized input; per layer (mismatches, elements,
    max |difference| in output LSB) against qonnx's quantized output (its float output divided
    by the output scale where the model leaves it in float)."""
    from dsgen.ir import graph as ir
    from dsgen.quant import int_ref
    from dsgen.verify.qonnx_exec import QonnxSession

    g = qg.graph
    sess = QonnxSession(path)
    m = sess.model.model
    quant_of = {n.input[0]: n.output[0] for n in m.graph.node if n.op_type == "Quant"}
    stats: dict[str, list] = {}
    for x in xs_nchw:
        ctx = sess.run(None, {g.onnx_input_name: x}, everything=True)

        def ints(t, ctx=ctx):
            prod = g.producer(t)
            if isinstance(prod, ir.Flatten):
                v = ints(prod.inputs[0], ctx)
                return None if v is None else v.reshape(-1)
            name = g.onnx_input_name if t == g.input else t
            if name not in quant_of:
                return None
            q = g.tensors[t].quant
            return np.rint(nhwc(ctx[quant_of[name]]) / q.scale).astype(np.int64) + q.zero_point

        for layer in qg.int_layers:
            ins = [ints(t) for t in layer.inputs]
            if any(i is None for i in ins) or isinstance(layer, ir.Flatten):
                continue
            got = int_ref.run_layer(layer, qg.params[layer.name], ins)
            ref = ints(layer.output)
            if ref is None:  # a float output: qonnx's value in output steps
                q = g.tensors[layer.output].quant
                ref = nhwc(ctx[layer.output]) / q.scale + q.zero_point
            diff = np.abs(got - np.asarray(ref).reshape(got.shape))
            s = stats.setdefault(layer.name, [0, 0, 0.0])
            s[0] += int(np.count_nonzero(diff > 0.5 if ints(layer.output) is not None else 0))
            s[1] += diff.size
            s[2] = max(s[2], float(diff.max()))
    return {k: tuple(v) for k, v in stats.items()}


def build_qcdq(path, seed: int = 0, c_in: int = 3, c: int = 8, hw=(7, 6), classes=5):
    """A QCDQ model as Brevitas exports it, in opset 21: int4 per-channel weights (QuantizeLinear
    of the float weight), int8 weights clipped to 4 bits, uint4 and Clip-narrowed uint8
    activations, float logits."""
    rng = np.random.default_rng(seed)
    nodes, inits, n = [], [], [0]

    def const(a, dtype=None):
        n[0] += 1
        t = numpy_helper.from_array(np.asarray(a, dtype or np.float32), f"k{n[0]}")
        inits.append(t)
        return t.name

    def zp(kind, value=0, shape=()):
        n[0] += 1
        name = f"z{n[0]}"
        inits.append(helper.make_tensor(name, kind, list(shape), [value] * int(np.prod(shape))))
        return name

    def node(op, ins, **attrs):
        n[0] += 1
        out = f"v{n[0]}"
        nodes.append(helper.make_node(op, ins, [out], name=f"q{n[0]}_{op}", **attrs))
        return out

    def qdq(x, scale, z, lo=None, hi=None, kind=TensorProto.INT8, axis=None):
        kw = {} if axis is None else {"axis": axis}
        s = const(scale)
        q = node("QuantizeLinear", [x, s, z], **kw)
        if lo is not None:
            q = node("Clip", [q, zp(kind, lo), zp(kind, hi)])
        return node("DequantizeLinear", [q, s, z], **kw)

    x = qdq("x", np.float32(8.0 / 255), zp(TensorProto.INT8))
    w1 = (rng.standard_normal((c, c_in, 3, 3)) * 0.4).astype(np.float32)
    s1 = (np.abs(w1).reshape(c, -1).max(axis=1) / 7).astype(np.float32)
    wq1 = qdq(const(w1), s1, zp(TensorProto.INT4, 0, (c,)), kind=TensorProto.INT4, axis=0)
    y = node("Conv", [x, wq1, const(rng.standard_normal(c) * 0.2)], pads=[1, 1, 1, 1])
    y = node("Relu", [y])
    y = qdq(y, np.float32(6.13 / 15), zp(TensorProto.UINT4), kind=TensorProto.UINT4)
    w2 = (rng.standard_normal((c, 1, 3, 3)) * 0.4).astype(np.float32)
    s2 = (np.abs(w2).reshape(c, -1).max(axis=1) / 7).astype(np.float32)
    wq2 = qdq(const(w2), s2, zp(TensorProto.INT8, 0, (c,)), -7, 7, axis=0)
    y = node("Conv", [y, wq2, const(rng.standard_normal(c) * 0.2)], pads=[1, 1, 1, 1], group=c)
    y = node("Relu", [y])
    y = qdq(y, np.float32(5.37 / 255), zp(TensorProto.UINT8), 0, 100, kind=TensorProto.UINT8)
    y = node("GlobalAveragePool", [y])
    y = qdq(y, np.float32(2.13 / 255), zp(TensorProto.UINT8), kind=TensorProto.UINT8)
    y = node("Flatten", [y])
    fc = (rng.standard_normal((classes, c)) * 0.5).astype(np.float32)
    sf = (np.abs(fc).max(axis=1) / 127).astype(np.float32)
    wf = qdq(const(fc), sf, zp(TensorProto.INT8, 0, (classes,)), -127, 127, axis=0)
    y = node("Gemm", [y, wf, const(rng.standard_normal(classes) * 0.1)], transB=1)
    nodes[-1].output[0] = "logits"
    graph = helper.make_graph(
        nodes,
        "qcdq",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c_in, *hw])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, None)],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    onnx.save(model, str(path))
    return path
