"""matching.outputs."""
