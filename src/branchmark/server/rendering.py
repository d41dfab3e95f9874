"""HTML rendering: one Jinja2 environment (autoescaping on) over ``branchmark/web/templates``."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from branchmark import __version__
from branchmark.web import TEMPLATES_DIR


def _number(value: Any, digits: int = 3) -> str:
    """A metric for display: ``—`` for None/NaN, else rounded."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _json_script(value: Any) -> Markup:
    """JSON safe inside ``<script type="application/json">``: ``<``, ``>``, ``&`` escaped."""
    text = orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY).decode()
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 - escaped above; parsed as JSON, never as HTML


def _querystring(mapping: dict[str, Any], **overrides: Any) -> str:
    """``mapping`` updated with ``overrides`` as a URL query (None values dropped)."""
    merged = {**mapping, **overrides}
    return urlencode({k: v for k, v in merged.items() if v is not None and v != ""})


environment = Environment(
    loader=FileSystemLoader(str(TEMPLATES_DIR)),
    autoescape=select_autoescape(["html"], default_for_string=True, default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters["number"] = _number
environment.filters["json_script"] = _json_script
environment.globals["version"] = __version__
environment.globals["querystring"] = _querystring


def render_page(
    request: Request, template: str, data: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """Render ``template`` with the service's ``data`` (as ``data``) and the request."""
    html = environment.get_template(template).render(data=data, request=request, **data)
    return HTMLResponse(html, status_code=status_code)


class FastJSON(Response):
    """JSON through orjson (numpy scalars and arrays allowed; NaN must already be None)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)
