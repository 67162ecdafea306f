"""The world a plan is made for (:mod:`.model`): read from an office's files (:mod:`.read`,
:mod:`.parse`, :mod:`.columns`), placed on the map (:mod:`.coords`, :mod:`.geo`), or generated
(:mod:`.generate`)."""
