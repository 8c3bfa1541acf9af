"""The C kernel library (templates/c/) by family, CMSIS-NN style: which files a model needs.

One source per kernel family plus its private includes; `dsg_kernels.h` is the public header
(every function's contract) and `dsg_support.{h,c}` the shared helpers every family uses.  A
generated tree gets the support files and the families whose kernels its calls name, nothing
else, and its Makefile lists exactly those sources.

Adding a family is one `Family(...)` line in FAMILIES: its sources, its private includes and the
kernel names (without the `_s8`/`_s16` type suffix) it defines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Family:
    name: str
    sources: tuple[str, ...]  # compiled: .c
    includes: tuple[str, ...]  # private .inc/.h the sources include
    kernels: tuple[str, ...]  # kernel names it defines, without the type suffix


CONFIG = "dsg_config.h"  # scratch sizes: library defaults here, the model's in a tree
HEADERS = ("dsg_kernels.h", "dsg_support.h", "dsg_lowbit.h", CONFIG)  # every tree
SUPPORT = Family("support", ("dsg_support.c",), (), ())

FAMILIES: tuple[Family, ...] = (
    Family(
        "conv",
        ("dsg_conv.c",),
        ("dsg_conv_typed.inc",),
        (
            "dsg_conv",
            "dsg_grouped_conv",
            "dsg_pointwise_conv",
            "dsg_pointwise_pair",
            "dsg_conv_pair",
        ),
    ),
    Family(
        "depthwise",
        ("dsg_depthwise.c",),
        ("dsg_depthwise_typed.inc",),
        ("dsg_depthwise_conv", "dsg_depthwise_conv_3x3", "dsg_depthwise_conv_3x3_hwc"),
    ),
    Family(
        "pool",
        ("dsg_pool.c",),
        ("dsg_pool_typed.inc",),
        ("dsg_max_pool", "dsg_avg_pool", "dsg_global_avg_pool"),
    ),
    Family(
        "elementwise",
        ("dsg_elementwise.c",),
        ("dsg_elementwise_typed.inc",),
        ("dsg_add", "dsg_act", "dsg_concat", "dsg_channel_shuffle"),
    ),
    Family("fc", ("dsg_fc.c",), (), ("dsg_dense",)),
    Family(
        "nonlinear",
        ("dsg_nonlinear.c",),
        (),
        ("dsg_lut", "dsg_lut_interp", "dsg_channel_scale", "dsg_channel_slice"),
    ),
    Family("lowbit", ("dsg_lowbit.c",), ("dsg_lowbit_typed.inc",), ("dsg_conv_lowbit",)),
)

_SUFFIX = re.compile(r"_s(8|16)$")


def family_of(kernel: str) -> Family:
    """The family defining kernel function `kernel` (e.g. dsg_pointwise_conv_s8)."""
    stem = _SUFFIX.sub("", kernel)
    for fam in FAMILIES:
        if stem in fam.kernels:
            return fam
    raise KeyError(f"no kernel family defines {kernel} (dsgen/backends/c/library.py FAMILIES)")


def families_for(kernels: Iterable[str]) -> list[Family]:
    """Support plus the families of `kernels`, in table order."""
    used = {family_of(k).name for k in kernels}
    return [SUPPORT, *(f for f in FAMILIES if f.name in used)]


def sources(families: Iterable[Family]) -> list[str]:
    return [s for f in families for s in f.sources]


def files(families: Iterable[Family]) -> list[str]:
    """Every library file a tree with these families needs: headers, sources, includes."""
    fams = list(families)
    return [*HEADERS, *sources(fams), *(i for f in fams for i in f.includes)]


def all_families() -> list[Family]:
    return [SUPPORT, *FAMILIES]


def every_file() -> list[str]:
    """The whole library (kernel tests compile all of it)."""
    return files(all_families())


def tree_sources(c_dir: Path) -> list[Path]:
    """The library sources a generated tree holds: the families compile_c copied there."""
    return sorted(p for p in c_dir.glob("dsg_*.c") if p.name in sources(all_families()))


def templates_c() -> Path:
    from dsgen.resources import templates_dir

    return templates_dir() / "c"
