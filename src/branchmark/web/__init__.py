"""The web UI: Jinja2 templates, static ES modules and CSS, and media helpers (thumbnails,
video frames) whose output is cached under the workspace."""

from __future__ import annotations

from pathlib import Path

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

__all__ = ["STATIC_DIR", "TEMPLATES_DIR"]
