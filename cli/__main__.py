"""``python -m promptcache.cli``: the same as the ``promptcache`` command."""

import sys

from .main import main

sys.exit(main())
