"""Analyses of the IR: cost (MACs, parameters, memory)."""
