"""The desktop application (PySide6 widgets and VTK views). The only package allowed to import Qt or VTK.

Python 3.11 work-around, applied on import of this package (every Qt import of ours goes through it): PySide6
6.12 returns None from void methods without taking a reference, as if None were immortal (true from Python 3.12
on). On 3.11 every call like `painter.setPen(...)` or `widget.update()` then drops None's reference count by one,
and after some hundred thousand calls (a few minutes of scrolling) the interpreter aborts with "deallocating
None". Giving None a reference count no program can exhaust makes it immortal, which is exactly what Python 3.12
does; nothing else changes.
"""

from __future__ import annotations

import ctypes
import sys

if sys.version_info < (3, 12):
    # ob_refcnt is the first field of every CPython object: add 2**48 references to None, once.
    _refcount = ctypes.c_ssize_t.from_address(id(None))
    if _refcount.value < 1 << 47:
        _refcount.value += 1 << 48
