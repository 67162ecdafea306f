"""matching.rules.pairing."""
