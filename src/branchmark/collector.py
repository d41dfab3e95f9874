"""Pausing Python's cyclic garbage collector around bulk label-row work.

A save makes several container objects per box (entries, geometry dicts, row tuples) that live
until the transaction ends and form no reference cycles.  Their allocation count triggers the
collector, and its full passes walk every live object, which after a build of 500,000 SDK
instances is millions of objects: 30-40 % of a bulk save's CPU time went there (measured with
``gc.disable()`` on ``benchmarks/sdk_save.py``).  Reference counting still frees everything at
once; only the cycle search waits until the work is done.

Nested and concurrent pauses are counted: the collector is re-enabled when the last one ends,
and only if it was enabled when the first began.

>>> with paused_collector():
...     pass
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextlib.contextmanager
def paused_collector() -> Iterator[None]:
    """Disable the cyclic collector for the ``with`` block (see the module docstring)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
