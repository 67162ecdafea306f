"""The pairing: who may serve whom (:mod:`.eligibility`), the problem as arrays
(:mod:`.problem`), its exact solution (:mod:`.solver`, with :mod:`.flow`, :mod:`.cuts`,
:mod:`.cpsat` and :mod:`.improve`), regions and Dask parts (:mod:`.regions`), re-plans
(:mod:`.replan`), and results that explain themselves (:mod:`.result`, :mod:`.reasons`)."""
