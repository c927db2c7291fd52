"""``python -m barrios``: the command line."""

import sys

from barrios.cli import main

sys.exit(main())
