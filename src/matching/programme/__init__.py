"""A programme as a living record across plans: its roster and every dated change to it
(:mod:`~matching.programme.roster`), and the audit log of every act with who did it
(:mod:`~matching.programme.audit`)."""
