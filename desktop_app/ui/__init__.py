"""Desktop UI (PySide6 + pyqtgraph): the only layer that imports Qt widgets.

Importing the package installs ``none_refcount_guard`` first: PySide6 6.12 on Python 3.11 drops a
reference to ``None`` on every void Qt call and would abort a long-running session (see there).
"""

from desktop_app.ui import none_refcount_guard as _none_refcount_guard

_none_refcount_guard.install()
