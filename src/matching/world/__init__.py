"""matching.world."""
