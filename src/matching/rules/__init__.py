"""The rules, each in one place: the pairing's numbers (:mod:`.pairing`), the six ones'
(:mod:`.schedule`), the time bank's (:mod:`.timebank`), what an id may be (:mod:`.ids`), how
large an input may be (:mod:`.limits`), and how bad input is reported (:mod:`.errors`)."""
