"""The translatable texts in the UI's source, found with ``ast``: what the catalogue must cover.

A text is translatable when it is a literal in ``self.tr("…")`` (context: the enclosing class),
``QCoreApplication.translate("Context", "…")`` or ``QT_TRANSLATE_NOOP("Context", "…")``.
"""

from __future__ import annotations

import ast
from pathlib import Path

UI_DIR = Path(__file__).resolve().parents[2] / "desktop_app" / "ui"


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


class _Finder(ast.NodeVisitor):
    def __init__(self, where: str) -> None:
        self.where = where
        self.classes: list[str] = []
        self.found: set[tuple[str, str]] = set()
        self.dynamic: list[str] = []  # calls whose text is not a literal (the catalogue cannot cover them)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:  # noqa: N802
        self.classes.append(node.name)
        self.generic_visit(node)
        self.classes.pop()

    def visit_Call(self, node: ast.Call) -> None:  # noqa: N802
        f = node.func
        if isinstance(f, ast.Attribute) and f.attr == "tr" and isinstance(f.value, ast.Name) \
                and f.value.id == "self" and node.args:
            text = _literal(node.args[0])
            if text is None or not self.classes:
                self.dynamic.append(f"{self.where}:{node.lineno}")
            else:
                self.found.add((self.classes[-1], text))
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        if name in ("translate", "QT_TRANSLATE_NOOP") and len(node.args) >= 2 \
                and (name == "QT_TRANSLATE_NOOP" or (isinstance(f, ast.Attribute)
                                                     and getattr(f.value, "id", "") == "QCoreApplication")):
            context, text = _literal(node.args[0]), _literal(node.args[1])
            if context is not None and text is not None:
                self.found.add((context, text))
            elif name == "QT_TRANSLATE_NOOP" or context is None:
                self.dynamic.append(f"{self.where}:{node.lineno}")
        self.generic_visit(node)


def translatable_texts(root: Path = UI_DIR) -> tuple[set[tuple[str, str]], list[str]]:
    """Every ``(context, source text)`` under ``root``, and where a call's text is not a literal."""
    found: set[tuple[str, str]] = set()
    dynamic: list[str] = []
    for path in sorted(root.rglob("*.py")):
        finder = _Finder(str(path.relative_to(root)))
        finder.visit(ast.parse(path.read_text(encoding="utf-8")))
        found |= finder.found
        dynamic += finder.dynamic
    return found, dynamic
