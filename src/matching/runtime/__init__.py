"""How a command runs: one clock and stop request passed down as values (:mod:`.budget`,
:mod:`.clock`), progress as events (:mod:`.progress`), and Dask for independent parts
(:mod:`.cluster`)."""
