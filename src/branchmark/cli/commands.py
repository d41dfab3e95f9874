"""Which command groups make up the CLI (one line per group module)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add each group's commands to ``app``."""
    # Each module exposes ``register(app)``; add the import and the call here.
    from branchmark.cli import analysis, branches, data, demo, eval, exports, imports, projects, serve

    projects.register(app)
    data.register(app)
    demo.register(app)
    imports.register(app)
    exports.register(app)
    serve.register(app)
    eval.register(app)
    analysis.register(app)
    branches.register(app)
