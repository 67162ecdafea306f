"""What a run leaves behind: folders written whole or not at all (:mod:`.write`), pseudonymised
copies (:mod:`.privacy`), volunteers' rota pages and calendars (:mod:`.rota`), and a run read
back as typed tables (:mod:`.folder`)."""
