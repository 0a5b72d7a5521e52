"""``python -m loyalty`` — see :mod:`loyalty.cli`."""

import sys

from loyalty.cli import main

sys.exit(main())
