"""matching.runtime."""
