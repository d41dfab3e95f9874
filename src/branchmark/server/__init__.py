"""The FastAPI server: app factory, routers, services shared by pages and JSON, error mapping.

``create_app(workspace, *, token=None)`` builds the app; ``branchmark serve`` runs it.
"""

from __future__ import annotations

from branchmark.server.factory import create_app

__all__ = ["create_app"]
