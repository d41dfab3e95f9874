"""Which command groups make up the CLI (one line per group module).

Each group module ``branchmark.cli.<module>`` exposes ``register(app)``.  ``GROUPS`` names the
top-level commands each module adds, so the root command lists them without importing anything
and imports a module only when one of its commands runs (or ``--help`` describes them): e.g.
``branchmark eval coco`` never loads the store, the server or the SDK.  To add a group, add one
line ``"module": ("command", ...)`` here; ``tests/cli/test_commands.py`` checks the names.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer

GROUPS: dict[str, tuple[str, ...]] = {
    "projects": ("projects",),
    "data": ("data",),
    "demo": ("demo",),
    "imports": ("import",),
    "exports": ("export",),
    "serve": ("serve",),
    "eval": ("eval",),
    "analysis": ("analyse", "analyses", "compare", "report"),
    "branches": ("branches",),
    "warmup": ("warmup",),
}


def command_names() -> list[str]:
    """Every top-level command name, in registration order."""
    return [name for names in GROUPS.values() for name in names]


def module_of(name: str) -> str | None:
    """The group module that adds the top-level command ``name`` (``None``: no such command)."""
    return next((module for module, names in GROUPS.items() if name in names), None)


def load_commands(module: str) -> dict[str, Any]:
    """The click commands ``branchmark.cli.<module>`` registers, by top-level name."""
    holder = typer.Typer()
    importlib.import_module(f"branchmark.cli.{module}").register(holder)
    return dict(typer.main.get_group(holder).commands)


def register(app: typer.Typer) -> None:
    """Add every group's commands to ``app`` now (imports every group module)."""
    for module in GROUPS:
        importlib.import_module(f"branchmark.cli.{module}").register(app)
