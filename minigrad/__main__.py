"""``python -m minigrad ...`` runs the ``minigrad`` command line."""

import sys

from minigrad.cli import main

sys.exit(main())
