"""The one error handler: every failure becomes ``{"ok": false, "error", "code", "status"}``
for the JSON API, or the error page with the same words for a browser.

Deliberate errors are :class:`~branchmark.errors.BranchmarkError` (their class carries the
status and code); FastAPI's parameter validation and Starlette's HTTP errors (404 for an
unknown path, 405) are mapped onto the same shape; anything else is a 500 whose message does
not leak internals (the traceback goes to the log).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from branchmark.errors import BranchmarkError

log = logging.getLogger("branchmark.server")

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
}


def wants_json(request: Request) -> bool:
    """JSON for ``/api/...`` and the spec; HTML for pages unless the client asks for JSON."""
    path = request.url.path
    if path.startswith("/api/") or path == "/api" or path.endswith(".json"):
        return True
    if path.startswith(("/media/", "/static/")):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("query", "path", "body"))
        parts.append(f"{where or 'request'}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def error_payload(exc: Exception) -> dict[str, Any]:
    """The error shape for any exception (see the module docstring)."""
    if isinstance(exc, BranchmarkError):
        return exc.to_dict()
    if isinstance(exc, RequestValidationError):
        return {"ok": False, "error": _describe_validation(exc), "code": "invalid", "status": 422}
    if isinstance(exc, HTTPException):
        status = exc.status_code
        detail = exc.detail if isinstance(exc.detail, str) else "request failed"
        return {
            "ok": False,
            "error": detail,
            "code": HTTP_CODES.get(status, "error"),
            "status": status,
        }
    return {"ok": False, "error": "internal server error", "code": "internal", "status": 500}


async def handle_error(request: Request, exc: Exception) -> Response:
    """Render ``exc`` as JSON or as the HTML error page, with its status."""
    payload = error_payload(exc)
    if payload["status"] >= 500:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    headers = getattr(exc, "headers", None) if isinstance(exc, HTTPException) else None
    if wants_json(request):
        return JSONResponse(payload, status_code=payload["status"], headers=headers)
    from branchmark.server.rendering import render_page

    return render_page(request, "error.html", {"error": payload}, status_code=payload["status"])


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception type through :func:`handle_error`."""
    for kind in (BranchmarkError, RequestValidationError, HTTPException, Exception):
        app.add_exception_handler(kind, handle_error)
