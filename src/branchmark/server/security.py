"""Safe by default: loopback binding unless a token is set, token checks, security headers.

With a token, every request except ``/static`` must present it: ``Authorization: Bearer
<token>``, the ``branchmark_token`` cookie, or ``?token=<token>`` once (the server then sets the
cookie, so links and the page's own fetches keep working).
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from starlette.exceptions import HTTPException

from branchmark.errors import ValidationError

TOKEN_ENV = "BRANCHMARK_TOKEN"
TOKEN_COOKIE = "branchmark_token"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and addresses in 127.0.0.0/8 or ``::1``.

    >>> is_loopback("127.0.0.1"), is_loopback("0.0.0.0"), is_loopback("localhost")
    (True, False, True)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to bind a non-loopback address without a token (``ValidationError``)."""
    if not is_loopback(host) and not token:
        raise ValidationError(
            f"binding {host} exposes the workspace to the network: give --token (or set "
            f"${TOKEN_ENV}) or bind 127.0.0.1"
        )


def _presented(request: Request) -> tuple[str | None, bool]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip(), False
    query = request.query_params.get("token")
    if query:
        return query, True
    return request.cookies.get(TOKEN_COOKIE), False


def token_middleware(
    token: str | None,
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    """HTTP middleware: check the token (when set) and add the security headers."""

    async def middleware(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        from_query = False
        if token and not request.url.path.startswith("/static/"):
            given, from_query = _presented(request)
            if not given or not hmac.compare_digest(given.encode(), token.encode()):
                from branchmark.server.handlers import handle_error

                return await handle_error(
                    request, HTTPException(401, "a valid token is required (Authorization: Bearer)")
                )
        response = await call_next(request)
        if from_query:
            response.set_cookie(TOKEN_COOKIE, token or "", httponly=True, samesite="strict")
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    return middleware
