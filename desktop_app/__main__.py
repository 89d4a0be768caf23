"""``python -m desktop_app`` is the same as ``stock-tracker``."""

import sys

from desktop_app.cli import main

sys.exit(main())
