"""``python -m matching.cli``: the command line."""

import sys

from matching.cli import main

sys.exit(main())
