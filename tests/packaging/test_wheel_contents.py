"""``pip install .`` ships every Python package of the app: a package missing from pyproject's
explicit list imports fine from the source tree (tests, CI) but breaks the installed app."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _source_packages() -> set[str]:
    found = set()
    for top in ("desktop_app", "migrations"):
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT)
            if "__pycache__" not in rel.parts:
                found.add(".".join(rel.parts))
    return found


def test_every_source_package_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    missing = sorted(_source_packages() - listed)
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {missing}"


def test_the_packaging_version_is_the_apps_version() -> None:
    """The .deb is named and versioned from ``desktop_app.__version__`` (pyproject reads it too)."""
    import subprocess
    import sys

    import desktop_app

    out = subprocess.run([sys.executable, str(ROOT / "packaging" / "version.py")], capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == desktop_app.__version__
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "desktop_app.__version__"}
