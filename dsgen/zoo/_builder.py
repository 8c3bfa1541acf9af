"""A small ONNX graph builder for the example zoo.

``GraphBuilder`` adds PyTorch/Keras-style nodes (Conv, BatchNormalization, activations, pools, ...)
with readable names and seeded random weights, and tracks two things per tensor:

* its static shape (needed for Reshape constants, pooling windows and the graph output), and
* an estimate of the per-channel mean and variance of its values when the network input is
  i.i.d. N(0, 1).

The statistics make the BatchNormalization nodes *realistic*: as in a trained network, a BN's
running mean/variance match the real statistics of the conv output it normalizes (up to the
random perturbations given in :meth:`GraphBuilder.bn`), so activations keep a sane scale through
any depth, residual additions included.
"""

from __future__ import annotations

import math

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from ._stats import clip_moments, conv_moments, fn_moments, max_of_normals, tap_patterns, tap_usage

OPSET = 13
IR_VERSION = 7  # the IR version that introduced opset 13
BN_EPS = 1e-3


class GraphBuilder:
    """Builds one NCHW float32 model; each layer method returns the name of its output tensor."""

    def __init__(
        self, name: str, input_shape, seed: int, input_name: str = "input", opset: int = OPSET
    ):
        self.name = name
        self.opset = opset
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self._init_names: set[str] = set()
        self.input_name = input_name
        self.input_shape = tuple(int(d) for d in input_shape)
        self.shapes: dict[str, tuple[int, ...]] = {input_name: self.input_shape}
        c = self.input_shape[1]
        self.stats: dict[str, tuple[np.ndarray, np.ndarray]] = {
            input_name: (np.zeros(c), np.ones(c))
        }
        self._zero_pads: dict[str, tuple[str, tuple[int, int]]] = {}

    # -- plumbing ---------------------------------------------------------------------------
    def init(self, name: str, arr: np.ndarray, dtype=np.float32) -> str:
        if name not in self._init_names:
            self._init_names.add(name)
            self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr, dtype=dtype), name))
        return name

    def node(self, op: str, inputs, name: str, out: str | None = None, **attrs) -> str:
        out = out or name
        if out in self.shapes:
            raise ValueError(f"tensor name {out!r} used twice")
        self.nodes.append(helper.make_node(op, list(inputs), [out], name=name, **attrs))
        return out

    def _set(self, out: str, shape, mean, var) -> str:
        self.shapes[out] = tuple(int(d) for d in shape)
        self.stats[out] = (np.asarray(mean, np.float64), np.asarray(var, np.float64))
        return out

    def channels(self, x: str) -> int:
        return self.shapes[x][1]

    # -- convolution and normalization ---------------------------------------------------------
    def conv(
        self, x, name, cout, k, stride=1, pads=None, group=1, bias=False, out=None, in_scale=None
    ) -> str:
        """Conv with He-normal weights (std sqrt(2/fan_in)); ``pads`` defaults to symmetric k//2.

        ``in_scale`` (group 1 only) multiplies the weights of each input channel, e.g. to make a
        layer nearly ignore channels that a trained network has learnt to be unimportant.
        """
        kh, kw = (k, k) if isinstance(k, int) else k
        sh, sw = (stride, stride) if isinstance(stride, int) else stride
        if pads is None:
            pads = [kh // 2, kw // 2, kh // 2, kw // 2]
        n, cin, h, w = self.shapes[x]
        assert cin % group == 0 and cout % group == 0, (name, cin, cout, group)
        ho = (h + pads[0] + pads[2] - kh) // sh + 1
        wo = (w + pads[1] + pads[3] - kw) // sw + 1
        src, (p0, p1) = x, (pads[0], pads[1])
        if x in self._zero_pads:  # an explicit Pad node: its zeros are padding too
            src, (q0, q1) = self._zero_pads[x]
            p0, p1 = p0 + q0, p1 + q1
        _, _, hs, ws = self.shapes[src]
        rows = tap_patterns(hs, kh, sh, p0, ho)
        cols = tap_patterns(ws, kw, sw, p1, wo)
        cin_g = cin // group
        fan_in = cin_g * kh * kw
        wt = self.rng.standard_normal((cout, cin_g, kh, kw), dtype=np.float32)
        wt *= np.float32(math.sqrt(2.0 / fan_in))
        # Taps that only ever see padding (e.g. a 3x3 on a 1x1 map) are dead and, as weight
        # decay does in training, shrunk: each tap is scaled by the fraction of outputs using it.
        usage = np.outer(tap_usage(rows, kh), tap_usage(cols, kw)).astype(np.float32)
        if (usage < 1).any():
            wt *= usage
        if in_scale is not None:
            assert group == 1 and len(in_scale) == cin, name
            wt *= np.asarray(in_scale, np.float32)[None, :, None, None]
        inputs = [x, self.init(f"{name}.weight", wt)]
        b = np.zeros(cout)
        if bias:
            b = self.rng.uniform(-1, 1, cout).astype(np.float32) / math.sqrt(fan_in)
            inputs.append(self.init(f"{name}.bias", b))
        out = self.node(
            "Conv",
            inputs,
            name,
            out,
            kernel_shape=[kh, kw],
            strides=[sh, sw],
            pads=list(pads),
            dilations=[1, 1],
            group=group,
        )
        mean, var = conv_moments(*self.stats[src], wt, group, rows, cols)
        return self._set(out, (n, cout, ho, wo), mean + b, var)

    def _bn_params(self, x, spread: bool, active: bool = False):
        """gamma, beta, running mean, running var for a BN after tensor ``x``.

        gamma ~ U(0.5, 1.5) (``spread``: 10**U(-2.5, 0.5), over three orders of magnitude),
        beta ~ N(0, 0.1) (``active``, i.e. an activation follows: gamma + N(0, 0.1)), running
        var = (true var) * U(0.5, 1.5), running mean = (true mean) + N(0, 0.1) * sqrt(running var).
        "True" is the tracked estimate for an N(0, 1) input, so as in a trained network the BN
        normalizes what it sees. The positive beta before activations keeps units active ~84 %
        of the time; with beta centred on 0, a random ReLU + BN network is chaotic (a small
        relative perturbation grows ~1.2x per layer), which would make quantization error on
        the deeper models meaningless.
        """
        m, v = self.stats[x]
        c = len(m)
        v = np.maximum(v, 1e-2 * max(float(v.mean()), 1e-12))
        if spread:
            gamma = 10.0 ** self.rng.uniform(-2.5, 0.5, c)
        else:
            gamma = self.rng.uniform(0.5, 1.5, c)
        rvar = v * self.rng.uniform(0.5, 1.5, c)
        beta = self.rng.normal(0.0, 0.1, c)
        if active:  # a BN feeding an activation: normalized pre-activation mean ~ +1
            beta += gamma
        rmean = m + self.rng.normal(0.0, 0.1, c) * np.sqrt(rvar)
        f32 = [a.astype(np.float32) for a in (gamma, beta, rmean, rvar)]
        gamma, beta, rmean, rvar = (a.astype(np.float64) for a in f32)
        scale = gamma / np.sqrt(rvar + BN_EPS)
        return f32, scale, beta - rmean * scale

    def bn(self, x, name=None, spread=False, active=False, out=None) -> str:
        """BatchNormalization (inference form, epsilon 1e-3) with PyTorch-style parameter names."""
        name = name or f"{x}_bn"
        (g, b, rm, rv), scale, shift = self._bn_params(x, spread, active)
        params = zip(("weight", "bias", "running_mean", "running_var"), (g, b, rm, rv), strict=True)
        inputs = [x] + [self.init(f"{name}.{p}", a) for p, a in params]
        out = self.node("BatchNormalization", inputs, name, out, epsilon=BN_EPS, momentum=0.9)
        m, v = self.stats[x]
        return self._set(out, self.shapes[x], m * scale + shift, v * scale * scale)

    def affine_bn(self, x, name=None, active=False, out=None) -> str:
        """Unfolded BN as tf2onnx writes it: ``x * scale + shift`` with [C,1,1] constants."""
        name = name or f"{x}_bn"
        _, scale, shift = self._bn_params(x, False, active)
        c = len(scale)
        s = self.init(f"{name}.scale", scale.reshape(c, 1, 1))
        t = self.init(f"{name}.shift", shift.reshape(c, 1, 1))
        mul = self.node("Mul", [x, s], f"{name}_mul")
        out = self.node("Add", [mul, t], f"{name}_add", out or name)
        m, v = self.stats[x]
        self._set(mul, self.shapes[x], m * scale, v * scale * scale)
        return self._set(out, self.shapes[x], m * scale + shift, v * scale * scale)

    # -- activations --------------------------------------------------------------------------
    def relu(self, x, name=None, out=None) -> str:
        out = self.node("Relu", [x], name or f"{x}_relu", out)
        return self._set(out, self.shapes[x], *clip_moments(*self.stats[x], 0.0))

    def relu6(self, x, name=None, out=None) -> str:
        """ReLU6 as PyTorch exports it at opset >= 11: Clip with scalar min/max inputs."""
        lo = self.init("relu6.min", np.array(0.0))
        hi = self.init("relu6.max", np.array(6.0))
        out = self.node("Clip", [x, lo, hi], name or f"{x}_relu6", out)
        return self._set(out, self.shapes[x], *clip_moments(*self.stats[x], 0.0, 6.0))

    def leaky_relu(self, x, alpha=0.1, name=None, out=None) -> str:
        out = self.node("LeakyRelu", [x], name or f"{x}_lrelu", out, alpha=alpha)
        m, v = self.stats[x]
        pm, pv = clip_moments(m, v, 0.0)
        nm, nv = clip_moments(-m, v, 0.0)  # relu(-x); relu(x) * relu(-x) == 0
        mean = pm - alpha * nm
        second = pv + pm * pm + alpha * alpha * (nv + nm * nm)
        return self._set(out, self.shapes[x], mean, np.maximum(second - mean * mean, 0.0))

    def _fn(self, x, out, f) -> str:
        return self._set(out, self.shapes[x], *fn_moments(*self.stats[x], f))

    def hardswish(self, x, name=None, decomposed=False) -> str:
        """HardSwish (opset 14), or as Keras/tf2onnx write it: x * Relu6(x + 3) / 6."""
        name = name or f"{x}_hswish"
        f = lambda t: t * np.clip(t + 3.0, 0.0, 6.0) / 6.0  # noqa: E731
        if not decomposed:
            return self._fn(x, self.node("HardSwish", [x], name), f)
        three, six = (
            self.init("hswish.three", np.array(3.0)),
            self.init("hswish.six", np.array(6.0)),
        )
        t = self.node("Add", [x, three], f"{name}_add")
        self._fn(x, t, lambda t: t + 3.0)
        r = self.relu6(t, name=f"{name}_relu6")
        m = self.node("Mul", [x, r], f"{name}_mul")
        self._fn(x, m, lambda t: t * np.clip(t + 3.0, 0.0, 6.0))
        return self._fn(x, self.node("Div", [m, six], name), f)

    def hardsigmoid(self, x, name=None, decomposed=False) -> str:
        """HardSigmoid(alpha 1/6, beta 0.5) as PyTorch writes it, or Clip(x / 6 + 0.5, 0, 1)."""
        name = name or f"{x}_hsig"
        f = lambda t: np.clip(t / 6.0 + 0.5, 0.0, 1.0)  # noqa: E731
        if not decomposed:
            out = self.node("HardSigmoid", [x], name, alpha=1.0 / 6.0, beta=0.5)
            return self._fn(x, out, f)
        six, half = self.init("hsig.six", np.array(6.0)), self.init("hsig.half", np.array(0.5))
        zero, one = self.init("hsig.zero", np.array(0.0)), self.init("hsig.one", np.array(1.0))
        d = self._fn(x, self.node("Div", [x, six], f"{name}_div"), lambda t: t / 6.0)
        a = self._fn(x, self.node("Add", [d, half], f"{name}_add"), lambda t: t / 6.0 + 0.5)
        return self._fn(x, self.node("Clip", [a, zero, one], name), f)

    def sigmoid(self, x, name=None) -> str:
        name = name or f"{x}_sigmoid"
        return self._fn(x, self.node("Sigmoid", [x], name), lambda t: 1.0 / (1.0 + np.exp(-t)))

    def silu(self, x, name=None) -> str:
        """SiLU as PyTorch exports it: x * Sigmoid(x)."""
        name = name or f"{x}_silu"
        s = self.sigmoid(x, name=f"{name}_sigmoid")
        out = self.node("Mul", [x, s], name)
        return self._fn(x, out, lambda t: t / (1.0 + np.exp(-t)))

    def scale_channels(self, x, s, name) -> str:
        """Squeeze-and-excitation's Mul: map [1,C,H,W] times per-channel vector [1,C,1,1]."""
        out = self.node("Mul", [x, s], name)
        (mx, vx), (ms, vs) = self.stats[x], self.stats[s]
        return self._set(out, self.shapes[x], mx * ms, vx * (ms * ms + vs) + vs * mx * mx)

    def split_channels(self, x, name, sizes, use_slice=False) -> list[str]:
        """Channel split as the dynamo exporter writes it (Split with a sizes input) or as the
        legacy exporter writes `torch.chunk` (one Slice per part)."""
        n, c, h, w = self.shapes[x]
        m, v = self.stats[x]
        outs, start = [], 0
        if not use_slice:
            outs = [f"{name}_{i}" for i in range(len(sizes))]
            sz = self.init(f"{name}.split", np.array(sizes), np.int64)
            self.nodes.append(helper.make_node("Split", [x, sz], outs, name=name, axis=1))
        for i, k in enumerate(sizes):
            if use_slice:
                ins = [
                    x,
                    self.init(f"{name}_{i}.starts", np.array([start]), np.int64),
                    self.init(f"{name}_{i}.ends", np.array([start + k]), np.int64),
                    self.init(f"{name}_{i}.axes", np.array([1]), np.int64),
                ]
                outs.append(self.node("Slice", ins, f"{name}_{i}"))
            self._set(outs[i], (n, k, h, w), m[start : start + k], v[start : start + k])
            start += k
        return outs

    def act(self, x, kind, name=None) -> str:
        if kind is None:
            return x
        fn = {
            "relu": self.relu,
            "relu6": self.relu6,
            "leaky": self.leaky_relu,
            "hswish": self.hardswish,
            "hswish_dec": lambda x, name: self.hardswish(x, name, decomposed=True),
            "silu": self.silu,
        }[kind]
        return fn(x, name=name)

    def conv_bn(
        self,
        x,
        name,
        cout,
        k,
        stride=1,
        pads=None,
        group=1,
        act="relu",
        spread=False,
        in_scale=None,
    ):
        """Conv (no bias) -> BatchNormalization -> optional activation, named name/_bn/_<act>."""
        y = self.conv(x, name, cout, k, stride, pads, group, in_scale=in_scale)
        y = self.bn(y, f"{name}_bn", spread=spread, active=act is not None)
        suffix = {
            "relu": "relu",
            "relu6": "relu6",
            "leaky": "lrelu",
            "hswish": "hswish",
            "hswish_dec": "hswish",
            "silu": "silu",
            None: "",
        }[act]
        return self.act(y, act, f"{name}_{suffix}")

    # -- shape / pooling / merge ops -----------------------------------------------------------
    def pad(self, x, name, pads) -> str:
        """Explicit constant-zero Pad node (``pads`` in ONNX order, all 8 axes begin/end)."""
        p = self.init(f"{name}.pads", np.array(pads), np.int64)
        out = self.node("Pad", [x, p], name, mode="constant")
        shape = [d + pads[i] + pads[i + 4] for i, d in enumerate(self.shapes[x])]
        self._zero_pads[out] = (x, (pads[2], pads[3]))
        return self._set(out, shape, *self.stats[x])

    def _pool_shape(self, x, k, s, p):
        n, c, h, w = self.shapes[x]
        return n, c, (h + p[0] + p[2] - k[0]) // s[0] + 1, (w + p[1] + p[3] - k[1]) // s[1] + 1

    def maxpool(self, x, name, k=3, s=2, p=1) -> str:
        kk, ss, pp = [k, k], [s, s], [p] * 4
        out = self.node("MaxPool", [x], name, kernel_shape=kk, strides=ss, pads=pp)
        em, ev = max_of_normals(k * k)
        m, v = self.stats[x]
        return self._set(out, self._pool_shape(x, kk, ss, pp), m + em * np.sqrt(v), v * ev)

    def avgpool(self, x, name, k, s=None, p=0, count_include_pad=0) -> str:
        kk = [k, k] if isinstance(k, int) else list(k)
        ss = kk if s is None else [s, s]
        pp = [p] * 4
        out = self.node(
            "AveragePool",
            [x],
            name,
            kernel_shape=kk,
            strides=ss,
            pads=pp,
            count_include_pad=count_include_pad,
        )
        m, v = self.stats[x]
        return self._set(out, self._pool_shape(x, kk, ss, pp), m, v / (kk[0] * kk[1]))

    def global_avgpool(self, x, name="pool") -> str:
        out = self.node("GlobalAveragePool", [x], name)
        n, c, h, w = self.shapes[x]
        m, v = self.stats[x]
        return self._set(out, (n, c, 1, 1), m, v / (h * w))

    def reduce_mean(self, x, name="pool") -> str:
        """Global average pooling the way tf2onnx writes it: ReduceMean axes [2,3], keepdims=1."""
        out = self.node("ReduceMean", [x], name, axes=[2, 3], keepdims=1)
        n, c, h, w = self.shapes[x]
        m, v = self.stats[x]
        return self._set(out, (n, c, 1, 1), m, v / (h * w))

    def reduce_mean_flat(self, x, name="pool") -> str:
        """`x.mean([2, 3])` as PyTorch exports it: ReduceMean axes [2,3], keepdims=0 → [1, C]."""
        out = self.node("ReduceMean", [x], name, axes=[2, 3], keepdims=0)
        n, c, h, w = self.shapes[x]
        m, v = self.stats[x]
        return self._set(out, (n, c), m, v / (h * w))

    def flatten(self, x, name="flatten") -> str:
        out = self.node("Flatten", [x], name, axis=1)
        return self._set(out, (1, int(np.prod(self.shapes[x][1:]))), *self.stats[x])

    def reshape_flat(self, x, name="flatten") -> str:
        """Flatten as ``x.view(1, -1)`` exports: Reshape with an int64 [1, -1] constant."""
        shape = self.init(f"{name}.shape", np.array([1, -1]), np.int64)
        out = self.node("Reshape", [x, shape], name)
        return self._set(out, (1, int(np.prod(self.shapes[x][1:]))), *self.stats[x])

    def channel_shuffle(self, x, name, groups) -> str:
        """PyTorch's channel shuffle: Reshape [1,g,C/g,H,W], Transpose [0,2,1,3,4], Reshape back."""
        n, c, h, w = self.shapes[x]
        s1 = self.init(f"{name}.shape_split", np.array([n, groups, c // groups, h, w]), np.int64)
        s2 = self.init(f"{name}.shape_merge", np.array([n, c, h, w]), np.int64)
        r1 = self.node("Reshape", [x, s1], f"{name}_split")
        t = self.node("Transpose", [r1], f"{name}_transpose", perm=[0, 2, 1, 3, 4])
        out = self.node("Reshape", [t, s2], f"{name}_merge", name)
        perm = np.arange(c).reshape(groups, c // groups).T.ravel()
        m, v = self.stats[x]
        self.shapes[r1] = (n, groups, c // groups, h, w)
        self.shapes[t] = (n, c // groups, groups, h, w)
        return self._set(out, (n, c, h, w), m[perm], v[perm])

    def add(self, a, b, name) -> str:
        assert self.shapes[a] == self.shapes[b], (name, self.shapes[a], self.shapes[b])
        out = self.node("Add", [a, b], name)
        (ma, va), (mb, vb) = self.stats[a], self.stats[b]
        return self._set(out, self.shapes[a], ma + mb, va + vb)

    def concat(self, xs, name) -> str:
        out = self.node("Concat", list(xs), name, axis=1)
        shape = list(self.shapes[xs[0]])
        shape[1] = sum(self.shapes[x][1] for x in xs)
        m = np.concatenate([self.stats[x][0] for x in xs])
        v = np.concatenate([self.stats[x][1] for x in xs])
        return self._set(out, shape, m, v)

    def passthrough(self, op, x, name) -> str:
        """Dropout / Identity (no-ops at inference)."""
        out = self.node(op, [x], name)
        return self._set(out, self.shapes[x], *self.stats[x])

    def gemm(self, x, name, nout, out=None) -> str:
        """Linear layer as PyTorch exports it (Gemm, transB=1, weight [out, in], bias [out]).

        Like a trained classifier it responds to how the features vary across inputs: the
        weights are scaled for logits of std ~1 across inputs and the bias cancels the features'
        mean (plus U(-0.1, 0.1)), so the logits are not dominated by an input-independent part.
        """
        _, nin = self.shapes[x]
        m, v = self.stats[x]
        std = 1.0 / math.sqrt(max(float(v.sum()), 1e-12))
        wt = (self.rng.standard_normal((nout, nin)) * std).astype(np.float32)
        b = (self.rng.uniform(-0.1, 0.1, nout) - wt.astype(np.float64) @ m).astype(np.float32)
        out = self.node(
            "Gemm",
            [x, self.init(f"{name}.weight", wt), self.init(f"{name}.bias", b)],
            name,
            out,
            alpha=1.0,
            beta=1.0,
            transB=1,
        )
        return self._set(out, (1, nout), wt @ m + b, (wt * wt) @ v)

    def softmax(self, x, name="softmax", out="output") -> str:
        out = self.node("Softmax", [x], name, out, axis=1)
        return self._set(out, self.shapes[x], *self.stats[x])

    def classifier(self, x, num_classes, pool="gap", flatten="flatten", softmax=True) -> str:
        """Head: global pool -> flatten -> Gemm ("fc", output "logits") -> Softmax ("output")."""
        x = self.global_avgpool(x) if pool == "gap" else self.reduce_mean(x)
        x = self.flatten(x) if flatten == "flatten" else self.reshape_flat(x)
        logits = self.gemm(x, "fc", num_classes, out="logits")
        return self.softmax(logits) if softmax else logits

    # -- model -------------------------------------------------------------------------------
    def model(self, output: str, doc: str = "", more_outputs=()) -> onnx.ModelProto:
        """The model with graph output ``output`` (then ``more_outputs``, for multi-head models)."""
        inp = helper.make_tensor_value_info(self.input_name, TensorProto.FLOAT, self.input_shape)
        outs = [
            helper.make_tensor_value_info(o, TensorProto.FLOAT, self.shapes[o])
            for o in (output, *more_outputs)
        ]
        graph = helper.make_graph(
            self.nodes, self.name, [inp], outs, initializer=self.inits, doc_string=doc
        )
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", self.opset)],
            producer_name="dsgen.zoo",
            producer_version="0.1.0",
            doc_string=doc,
        )
        model.ir_version = IR_VERSION if self.opset == OPSET else 8
        return model
