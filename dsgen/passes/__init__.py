"""The pass pipeline: one straight, ordered list of named graph rewrites."""

from __future__ import annotations

from collections.abc import Callable

from dsgen.ir.graph import Graph
from dsgen.passes.fold import fold_affine, fold_pad, fuse_activation, remove_identities
from dsgen.passes.nonlinear import recognize_gates, table_activations
from dsgen.passes.structure import fuse_channel_shuffle, mark_ds_blocks, whole_map_pool_to_global

Pass = Callable[[Graph], None]

PIPELINE: list[tuple[str, Pass]] = [
    ("remove_identities", remove_identities),
    ("fuse_channel_shuffle", fuse_channel_shuffle),
    ("recognize_gates", recognize_gates),
    ("fold_affine", fold_affine),
    ("fold_pad", fold_pad),
    ("fuse_activation", fuse_activation),
    ("table_activations", table_activations),
    ("whole_map_pool_to_global", whole_map_pool_to_global),
    ("mark_ds_blocks", mark_ds_blocks),
]


def run_pipeline(g: Graph, *, check: Callable[[Graph, str], None] | None = None) -> Graph:
    """Run every pass in order; `check(graph, pass_name)` runs after each (tests: the verifier)."""
    for name, fn in PIPELINE:
        fn(g)
        if check is not None:
            check(g, name)
    return g
