"""numba kernels that are compiled, or loaded from numba's on-disk cache, on first call.

``@kernel(*arg_types)`` replaces ``@numba.njit(cache=True)``.  Two things change:

- **numba is imported on the first call of a kernel**, not when the module that defines it is
  imported: importing numba costs ~0.2 s and its first dispatch ~0.2 s more (numba loads its
  typing and lowering registries even to run cached machine code), which code paths that run no
  kernel (``--help``, the UI, the SDK) should not pay.
- **each kernel has one declared signature**, compiled once.  With lazy typing numba compiles a
  new specialisation for every new combination of argument types it sees (int32 vs int64,
  C-contiguous vs strided, read-only vs writable arrays: the COCO parameter arrays are
  read-only), each costing a full compile the first time.  A call with other types raises
  ``TypeError`` ("No matching definition") instead of compiling silently; wrappers convert their
  inputs.  Read-only array types in a signature accept writable arrays too.

The compiled code is cached by numba (``cache=True``): in ``NUMBA_CACHE_DIR`` when set, else in
``__pycache__`` next to the source when that is writable (an editable install writes into
``src/``), else in the user's cache directory (``~/.cache/numba``, e.g. for a read-only
site-packages).  When none is writable, numba's ``cache=True`` raises at decoration; here the
kernels are compiled in memory for the process instead and one warning says so.
:func:`compile_kernels` compiles every kernel registered so far (``branchmark warmup``).

A kernel may call another module-level kernel: it is compiled with the callee's numba
dispatcher in place of the :class:`Kernel` object (numba can only call its own dispatchers).
"""

from __future__ import annotations

import threading
import time
import types
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_REGISTRY: list[Kernel[Any, Any]] = []
# Reentrant: compiling a kernel compiles the kernels it calls first.
_LOCK = threading.RLock()
_WARNED = False  # about a missing cache directory, once per process


class Kernel(Generic[P, R]):
    """A function compiled by numba for one signature on its first call (see the module)."""

    def __init__(self, py_func: Callable[P, R], signature: str, options: dict[str, Any]) -> None:
        self.py_func = py_func
        self.signature = signature
        self.options = options
        self.name = f"{py_func.__module__}.{py_func.__qualname__}"
        self.__doc__ = py_func.__doc__
        self.__wrapped__ = py_func
        self._dispatcher: Any = None

    def __repr__(self) -> str:
        return f"<kernel {self.name}{self.signature}>"

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        dispatcher = self._dispatcher if self._dispatcher is not None else self.compile()
        return dispatcher(*args, **kwargs)  # type: ignore[no-any-return]

    @property
    def compiled(self) -> bool:
        """Whether this process has compiled (or loaded) the kernel."""
        return self._dispatcher is not None

    def compile(self) -> Any:
        """The numba dispatcher, compiled (or loaded from the cache) now if not yet."""
        with _LOCK:
            if self._dispatcher is None:
                self._dispatcher = _dispatcher(self._function(), self.signature, self.options)
        return self._dispatcher

    def _function(self) -> Callable[..., Any]:
        """``py_func``, or a copy that sees the dispatchers of the kernels it calls."""
        code, names = self.py_func.__code__, self.py_func.__globals__
        callees = {
            name: names[name].compile()
            for name in code.co_names
            if isinstance(names.get(name), Kernel)
        }
        if not callees:
            return self.py_func
        # Same code object (so the same numba cache entry), globals with the dispatchers.
        func = types.FunctionType(code, {**names, **callees}, code.co_name, None, None)
        func.__qualname__ = self.py_func.__qualname__
        func.__defaults__ = self.py_func.__defaults__
        func.__kwdefaults__ = self.py_func.__kwdefaults__
        return func


def _dispatcher(func: Callable[..., Any], signature: str, options: dict[str, Any]) -> Any:
    import numba

    try:
        return numba.njit(signature, cache=True, **options)(func)
    except RuntimeError as exc:  # numba found no writable cache directory
        if "no locator available" not in str(exc):
            raise
    global _WARNED
    if not _WARNED:
        _WARNED = True
        warnings.warn(
            "numba cannot write its cache for branchmark's kernels (no writable __pycache__ "
            "next to the sources nor user cache directory; set NUMBA_CACHE_DIR): they are "
            "compiled again in every process",
            RuntimeWarning,
            stacklevel=4,
        )
    return numba.njit(signature, cache=False, **options)(func)


def kernel(*arg_types: str, nogil: bool = False) -> Callable[[Callable[P, R]], Kernel[P, R]]:
    """Declare a numba kernel for one signature, compiled on its first call.

    Parameters
    ----------
    *arg_types
        numba type of each argument: ``"int64"``, ``"float64[:, ::1]"`` (a writable
        C-contiguous 2-d array; ``[:]`` any layout), :func:`input_array` for arrays the kernel
        only reads.  The return type is inferred.
    nogil
        Release the GIL while the kernel runs.

    Examples
    --------
    >>> @kernel("int64")
    ... def double(x):
    ...     return 2 * x
    >>> double(21)
    42
    """

    def decorate(py_func: Callable[P, R]) -> Kernel[P, R]:
        signature = f"({', '.join(arg_types)}{',' if len(arg_types) == 1 else ''})"
        k = Kernel(py_func, signature, {"nogil": nogil} if nogil else {})
        _REGISTRY.append(k)
        return k

    return decorate


def input_array(dtype: str, ndim: int = 1, layout: str = "C") -> str:
    """numba type of an array argument the kernel only reads; writable arrays fit it too.

    ``layout`` ``"C"`` (contiguous, the fast case) or ``"A"`` (any strides).

    Examples
    --------
    >>> input_array("float64", 2)
    "Array(float64, 2, 'C', readonly=True)"
    """
    return f"Array({dtype}, {ndim}, {layout!r}, readonly=True)"


@dataclass(frozen=True)
class CompiledKernel:
    """What :func:`compile_kernels` found or did for one kernel.

    ``seconds`` is the wall time of this kernel's compile or cache load (kernels it calls that
    were not yet compiled are included; next to nothing when this process had compiled it
    already); ``cached`` is True when numba loaded it from its on-disk cache.
    """

    name: str
    seconds: float
    cached: bool


def registered_kernels() -> list[Kernel[Any, Any]]:
    """Every kernel defined in the modules imported so far, in definition order."""
    return list(_REGISTRY)


def compile_kernels() -> list[CompiledKernel]:
    """Compile (or load from numba's cache) every kernel registered so far."""
    done = []
    for k in registered_kernels():
        start = time.perf_counter()
        stats = k.compile().stats
        cached = bool(stats.cache_hits) and not stats.cache_misses
        done.append(CompiledKernel(k.name, time.perf_counter() - start, cached))
    return done


__all__ = [
    "CompiledKernel",
    "Kernel",
    "compile_kernels",
    "input_array",
    "kernel",
    "registered_kernels",
]
