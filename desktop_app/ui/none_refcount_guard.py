"""Keep PySide6 6.12 from crashing the app on Python 3.11: it drops references to ``None`` (one
per call of a void Qt method: ``update()``, ``setText()``, ``repaint()``…) and, more slowly, to
``True`` / ``False`` (seen as "bool_dealloc" aborts while painting pyqtgraph scenes).

Measured here (PySide6-Essentials 6.12.0, cp310-abi3 wheel, CPython 3.11.7): each such call lowers
``sys.getrefcount(None)`` by one, and once it reaches zero the interpreter aborts with "Fatal
Python error: none_dealloc" — after a few minutes of a live board and charts. CPython 3.12+ made
``None`` immortal (PEP 683), which is why the binding gets away with it there. Until the binding is
fixed (or the app requires Python 3.12), ``install()`` raises the reference counts of the objects
3.12 made immortal — ``None``, ``True``, ``False``, ``Ellipsis``, ``NotImplemented``, the cached
small ints and the empty tuple/string — by 2**40 once at start-up: extra references to objects
the interpreter never frees cost nothing, and no run makes 2**40 calls. On 3.12+ it does nothing.
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger(__name__)

_HEADROOM = 1 << 40
_installed = False
_SINGLETONS: tuple[object, ...] = (None, True, False, Ellipsis, NotImplemented, (), "", b"",
                                   *range(-5, 257))


def install() -> bool:
    """Idempotent; returns True when the headroom was added."""
    global _installed
    if _installed or sys.version_info >= (3, 12) or hasattr(sys, "gettotalrefcount"):
        return False  # immortal None, or a debug build whose object layout differs
    for obj in _SINGLETONS:
        refcnt = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is PyObject's first field
        refcnt.value += _HEADROOM
    _installed = True
    log.info("singleton reference headroom installed (PySide6 void-call refcount bug on Python < 3.12)")
    return True
