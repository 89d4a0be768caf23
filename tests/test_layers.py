"""The dependency rule, checked on the imports themselves: ``ui`` → ``services`` →
``processing``/``feeds``/``database`` → domain-level modules. Nothing below ``ui`` imports Qt, only
``database`` (and its Alembic env) speaks SQL through asyncpg/SQLAlchemy, and the UI reaches the
database only through services."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "desktop_app"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(*parts: str) -> list[Path]:
    return sorted((PACKAGE.joinpath(*parts)).rglob("*.py"))


def _offenders(paths: list[Path], banned: tuple[str, ...]) -> list[str]:
    return [f"{p.relative_to(PACKAGE)} imports {name}" for p in paths for name in sorted(_imports(p))
            if name.startswith(banned)]


def test_nothing_below_ui_imports_qt() -> None:
    below_ui = [p for p in PACKAGE.rglob("*.py")
                if p.relative_to(PACKAGE).parts[0] not in ("ui", "bench")]  # bench ui drives the window
    assert _offenders(below_ui, ("PySide6", "pyqtgraph", "qasync")) == []


def test_the_ui_reaches_the_database_only_through_services() -> None:
    assert _offenders(_modules("ui"), ("desktop_app.database", "asyncpg", "sqlalchemy")) == []


def test_only_database_speaks_sql() -> None:
    outside = [p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] not in ("database",)]
    assert _offenders(outside, ("sqlalchemy",)) == []


def test_lower_layers_never_import_upper_ones() -> None:
    for layer, upper in (("processing", ("desktop_app.services", "desktop_app.ui", "desktop_app.api")),
                         ("feeds", ("desktop_app.services", "desktop_app.ui", "desktop_app.api")),
                         ("database", ("desktop_app.services", "desktop_app.ui", "desktop_app.api")),
                         ("services", ("desktop_app.ui",))):
        assert _offenders(_modules(layer), upper) == [], layer
