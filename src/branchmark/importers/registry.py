"""The importer and exporter registry: format name -> a described callable.

Built-in formats register through :func:`register_importer` / :func:`register_exporter` exactly as
a third-party package would (from its own module, or through the ``branchmark.importers`` /
``branchmark.exporters`` entry-point groups, loaded on first lookup).  The CLI lists and dispatches
through this registry, so a plugin format appears in ``branchmark import --help`` untouched.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from branchmark.errors import NotFoundError

ENTRY_POINT_GROUPS = {"import": "branchmark.importers", "export": "branchmark.exporters"}


@dataclasses.dataclass(frozen=True)
class FormatSpec:
    """One registered format.

    ``name`` is the CLI word (``coco-results``); ``run`` takes ``(store, source_or_target,
    **options)`` and returns an :class:`~branchmark.importers.report.ImportReport` (importers) or a
    plain summary dict (exporters).
    """

    name: str
    direction: str
    summary: str
    run: Callable[..., Any]


_REGISTRY: dict[tuple[str, str], FormatSpec] = {}
_loaded_entry_points: set[str] = set()


def _register(direction: str, name: str, summary: str, run: Callable[..., Any]) -> FormatSpec:
    key = (direction, name)
    existing = _REGISTRY.get(key)
    if existing is not None and existing.run is not run:
        raise ValueError(
            f"an {direction}er named {name!r} is already registered ({existing.run!r})"
        )
    spec = FormatSpec(name=name, direction=direction, summary=summary, run=run)
    _REGISTRY[key] = spec
    return spec


def register_importer(name: str, *, summary: str, run: Callable[..., Any]) -> FormatSpec:
    """Register an importer under ``name``; ``ValueError`` if another callable has that name.

    >>> spec = register_importer("doctest-format", summary="example", run=print)
    >>> get_format("import", "doctest-format").summary
    'example'
    """
    return _register("import", name, summary, run)


def register_exporter(name: str, *, summary: str, run: Callable[..., Any]) -> FormatSpec:
    """Register an exporter under ``name`` (same rules as :func:`register_importer`)."""
    return _register("export", name, summary, run)


def _load_entry_points(direction: str) -> None:
    group = ENTRY_POINT_GROUPS[direction]
    if group in _loaded_entry_points:
        return
    _loaded_entry_points.add(group)
    for point in entry_points(group=group):
        register = point.load()
        register()


def get_format(direction: str, name: str) -> FormatSpec:
    """The spec registered for ``name`` (``direction`` is ``"import"`` or ``"export"``).

    Raises ``NotFoundError`` naming the formats that exist.
    """
    _load_entry_points(direction)
    spec = _REGISTRY.get((direction, name))
    if spec is None:
        known = ", ".join(sorted(n for d, n in _REGISTRY if d == direction))
        raise NotFoundError(f"no {direction} format {name!r}; known: {known}")
    return spec


def list_formats(direction: str) -> list[FormatSpec]:
    """Every registered format of one direction, by name."""
    _load_entry_points(direction)
    return sorted((s for (d, _), s in _REGISTRY.items() if d == direction), key=lambda s: s.name)
