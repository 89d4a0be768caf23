"""Desktop UI (PySide6 + pyqtgraph): the only layer that imports Qt widgets."""
