"""The mypyc build of the parser and processing passes the same tests as their pure source.

The rest of the suite imports ``desktop_app`` from this checkout (pure Python). Here the parser,
processing, pipeline and speed-trick tests run once more in a separate pytest process that
imports the *installed* package, the one ``pip install .`` compiled (``desktop_app/compiled_modules.py``).

Skipped when the installed package is pure Python (no C compiler, or ``STOCK_TRACKER_PURE=1``)
unless ``STOCK_TRACKER_REQUIRE_COMPILED=1`` (CI sets it), which turns that into a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from desktop_app.compiled_modules import COMPILED_MODULES, module_path

ROOT = Path(__file__).resolve().parent.parent
SUITES = ("tests/feeds", "tests/processing", "tests/services", "tests/test_speedups.py",
          "--ignore=tests/services/test_runtime.py")  # that one reads the checkout's source layout
REQUIRE = os.environ.get("STOCK_TRACKER_REQUIRE_COMPILED") == "1"

_PROBE = """
import json, pathlib
from desktop_app.compiled_modules import COMPILED_MODULES, compiled_status, module_path
import desktop_app
base = pathlib.Path(desktop_app.__file__).parent.parent
print(json.dumps({
    "status": compiled_status(),
    "sources": {name: (base / module_path(name)).read_text(encoding="utf-8") if (base / module_path(name)).exists() else None
                for name in COMPILED_MODULES},
}))
"""


def _outside_env() -> dict[str, str]:
    """This environment without the checkout on the path: ``desktop_app`` is the installed one."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return env


def _not_here(reason: str) -> None:
    if REQUIRE:
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def installed_compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("outside")
    probe = subprocess.run([sys.executable, "-c", _PROBE], cwd=where, env=_outside_env(),
                           capture_output=True, text=True, timeout=120)
    if probe.returncode != 0:
        _not_here(f"the package is not installed in this environment: {probe.stderr.strip()[-300:]}")
    found = json.loads(probe.stdout)
    compiled = [name for name, yes in found["status"].items() if yes]
    if not compiled:
        _not_here("the installed package is pure Python (built without a C compiler or with STOCK_TRACKER_PURE=1)")
    assert compiled == list(COMPILED_MODULES), f"a partial build does not load; compiled: {compiled}"
    stale = [name for name in COMPILED_MODULES
             if found["sources"][name] != (ROOT / module_path(name)).read_text(encoding="utf-8")]
    if stale:
        _not_here(f"the installed package was built from other sources ({', '.join(stale)}): pip install . again")
    return where


def _pytest_ini() -> str:
    """The checkout's pytest settings, without ``pythonpath = .`` (which would shadow the install)."""
    options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    options.pop("pythonpath", None)
    lines = ["[pytest]"]
    for key, value in options.items():
        if isinstance(value, list):
            lines += [f"{key} ="] + [f"    {item}" for item in value]
        else:
            lines.append(f"{key} = {value}")
    return "\n".join(lines) + "\n"


@pytest.mark.slow
def test_the_compiled_build_passes_the_parser_processing_and_pipeline_tests(installed_compiled: Path) -> None:
    where = installed_compiled
    shutil.copytree(ROOT / "tests", where / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "resources", where / "resources")  # tests read the sample replay and README
    shutil.copy(ROOT / "README.md", where / "README.md")
    (where / "pytest.ini").write_text(_pytest_ini(), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SUITES],
        cwd=where, env=_outside_env(), capture_output=True, text=True, timeout=1200,
    )
    tail = "\n".join(run.stdout.splitlines()[-25:])
    assert run.returncode == 0, f"the compiled build fails tests the pure source passes:\n{tail}"
    assert " passed" in tail and "error" not in tail.splitlines()[-1], tail
