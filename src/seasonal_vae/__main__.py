"""``python -m seasonal_vae``: see :mod:`seasonal_vae.cli`."""

import sys

from seasonal_vae.cli import main

sys.exit(main())
