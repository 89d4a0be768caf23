"""Print the app's version for the packaging scripts: ``desktop_app.__version__`` is the one place it
is written (pyproject reads it too), read here as text so no dependency needs to be installed."""

from __future__ import annotations

import re
import sys
from pathlib import Path

INIT = Path(__file__).resolve().parents[1] / "desktop_app" / "__init__.py"


def app_version() -> str:
    match = re.search(r'^__version__\s*=\s*["\']([^"\']+)["\']', INIT.read_text(encoding="utf-8"), re.M)
    if match is None:
        raise SystemExit(f"no __version__ in {INIT}")
    return match.group(1)


if __name__ == "__main__":
    sys.stdout.write(app_version() + "\n")
