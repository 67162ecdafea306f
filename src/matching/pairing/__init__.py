"""matching.pairing.solver."""
