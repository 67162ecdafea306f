"""matching.workflows."""
