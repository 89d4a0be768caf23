"""Build hook: compile the feed parser and the processing hot path with mypyc, when it can.

Everything else about the package lives in pyproject.toml; this file only adds the compiled
extension modules (see ``desktop_app/compiled_modules.py`` for which modules and why).

* ``STOCK_TRACKER_PURE=1`` builds a pure-Python package (no compiler needed); so does an
  editable install (``pip install -e .``), whose sources must stay the code that runs.
* Without a working C compiler the build warns and falls back to pure Python: the compiled
  modules are a speed-up of the very same source, never a requirement.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from desktop_app.compiled_modules import COMPILED_MODULES, module_path  # noqa: E402

sys.path.pop(0)


class OptionalBuildExt(build_ext):
    """``build_ext`` that leaves the package pure when the C toolchain fails."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # noqa: BLE001 - any toolchain failure means "stay pure"
            self._fall_back(exc)

    def _fall_back(self, exc: BaseException) -> None:
        # All or nothing: the modules share one runtime library, so a partial build would not load.
        for ext in self.extensions:
            Path(self.get_ext_fullpath(ext.name)).unlink(missing_ok=True)
        self.extensions = []
        sys.stderr.write(
            f"WARNING: the compiled modules were not built ({type(exc).__name__}: {exc}); "
            "the package stays pure Python (same behaviour, slower parsing)\n"
        )


# An editable install (editable_wheel, develop) stays pure on purpose: extension modules built in
# place would shadow the very sources a developer is editing.
BUILD_COMMANDS = {"build", "build_ext", "bdist_wheel", "install"}


def compiled_extensions() -> list:
    if os.environ.get("STOCK_TRACKER_PURE") == "1" or not BUILD_COMMANDS & set(sys.argv[1:]):
        return []  # pure, or a metadata step (egg_info...) that builds nothing
    try:
        from mypyc.build import mypycify
    except ImportError as exc:
        sys.stderr.write(f"WARNING: mypyc is not available ({exc}); building pure Python\n")
        return []
    # The build environment holds only the build requirements: third-party modules type as Any.
    options = ["--ignore-missing-imports"]
    paths = [module_path(name) for name in COMPILED_MODULES]
    return mypycify(options + paths, opt_level="3", debug_level="0", group_name="desktop_app_compiled")


setup(ext_modules=compiled_extensions(), cmdclass={"build_ext": OptionalBuildExt})
