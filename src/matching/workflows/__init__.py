"""The one way to plan, which the command line, scenario runs and the console all call:
pairing, re-planning and scheduling a world and writing its run (:mod:`.plan`), scenario
files (:mod:`.scenario`), their runs (:mod:`.run`) and what-if edits (:mod:`.whatif`)."""
