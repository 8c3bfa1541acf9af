"""The folding planner's predicted cycles per inference and multiplier use at several budgets, for
the DS-CNN keyword spotter, MobileNetV1-0.25-96 (the architecture both HLS and RTL build) and the
small MobileNetV3 / EfficientNet-B0 / ShuffleNetV2 zoo models, or the zoo models named.
Cycles only: a clock comes from place and route (bench/fpga_bench.py), not from the planner.

    .venv/bin/python bench/folding_plans.py [zoo model ...]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from dsgen import zoo
from dsgen.backends.folding import plan_folding
from dsgen.compiler import load_ir
from dsgen.quant.api import QuantOptions, quantize_graph

BUDGETS = [16, 32, 64, 128, 256, 512]
MODELS = ["ds_cnn_kws", "mobilenet_v1_025_96", "mobilenet_v3_small_64", "efficientnet_b0_32",
          "shufflenet_v2_x0_5_64"]  # fmt: skip


def main(names: list[str]) -> int:
    print(
        "| model | multipliers (budget) | used | II cycles/inference | bottleneck "
        "| MAC utilization |"
    )
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as td:
        for name in names or MODELS:
            p = Path(td) / f"{name}.onnx"
            p.write_bytes(zoo.build(name).SerializeToString())
            qg = quantize_graph(load_ir(p), QuantOptions(), warn=lambda m: None)
            macs = sum(f.macs for f in plan_folding(qg, None).layers)
            for budget in BUDGETS:
                try:
                    plan = plan_folding(qg, budget)
                except Exception as exc:  # a budget below the minimum
                    print(f"| {name} | {budget} | – | – | {exc} | – |")
                    continue
                util = macs / (plan.used_multipliers * plan.ii_cycles)
                print(
                    f"| {name} | {budget} | {plan.used_multipliers} | {plan.ii_cycles:,} | "
                    f"{plan.bottleneck} | {util:.2f} |"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
