"""The cost model lives in dsgen.ir.cost (backends and verify need it, and they sit below
analysis); this name stays for scripts and reports that import it from here."""

from dsgen.ir.cost import BlockCost, CostReport, LayerCost, cost_report, layer_cost  # noqa: F401
