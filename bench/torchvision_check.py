"""torchvision's MobileNetV3, ShuffleNetV2 and EfficientNet-B0, exported with both PyTorch
exporters, through `dsgen verify` on every target: the check a new user would make.

    python bench/torchvision_check.py OUT/ [--size 64] [--targets float,int,c,mcu,hls,rtl]
        [--dsgen .venv/bin/dsgen] [--pretrained] [--models mobilenet_v3_small,...]

Run it with a Python that has torch, torchvision and onnxscript (the dynamo exporter needs it);
dsgen itself runs from --dsgen (its own venv), as a user's shell would.  Without --pretrained the
weights are torchvision's initialization with BatchNorm statistics drawn at random (so folding is
not the identity); --pretrained downloads torchvision's ImageNet weights.  Prints one markdown row
per model, exporter and target: dsgen's verdict (bit-exact, mismatches, or SNR against
onnxruntime for float/int), and the first error line if dsgen refused the model.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

MODELS = ["mobilenet_v3_small", "shufflenet_v2_x0_5", "efficientnet_b0"]


def export(name: str, out: Path, size: int, pretrained: bool) -> list[Path]:
    import torch
    import torchvision

    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(weights="DEFAULT" if pretrained else None).eval()
    if not pretrained:  # untrained BN is the identity: give folding something to do
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
    x = torch.randn(1, 3, size, size)
    paths = []
    for dynamo in (False, True):
        p = out / f"{name}_{'dynamo' if dynamo else 'legacy'}.onnx"
        torch.onnx.export(model, (x,), str(p), dynamo=dynamo, opset_version=18 if dynamo else 17,
                          input_names=["x"], output_names=["y"])  # fmt: skip
        paths.append(p)
    return paths


def verify(dsgen: str, model: Path, target: str) -> str:
    samples = {"rtl": "1", "mcu": "1"}.get(target, "2")
    r = subprocess.run([dsgen, "verify", str(model), "--target", target, "--samples", samples,
                        "--json"], capture_output=True, text=True)  # fmt: skip
    if r.returncode == 2 or not r.stdout.strip():
        err = [line for line in r.stderr.splitlines() if line.startswith("dsgen: error")]
        return f"refused: {err[0] if err else r.stderr.strip()[-200:]}"
    d = json.loads(r.stdout)
    if d.get("bit_exact") is not None:
        return "bit-exact" if d["bit_exact"] else f"MISMATCH ({d['mismatches']})"
    return f"{'ok' if d['ok'] else 'FAIL'}: SNR {d['snr_db']} dB, top-1 {d['top1_agreement']}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--targets", default="float,int,c,mcu,hls,rtl")
    ap.add_argument("--dsgen", default=".venv/bin/dsgen")
    ap.add_argument("--pretrained", action="store_true")
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated subset")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    print("| model | exporter | " + " | ".join(args.targets.split(",")) + " |")
    print("|---|---|" + "---|" * len(args.targets.split(",")))
    for name in args.models.split(","):
        for p in export(name, args.out, args.size, args.pretrained):
            cells = [verify(args.dsgen, p, t) for t in args.targets.split(",")]
            exporter = p.stem.rsplit("_", 1)[1]
            print(f"| {name} | {exporter} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
