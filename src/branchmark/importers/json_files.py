"""Reading a JSON file for an importer: empty files, bad UTF-8, NaN and truncation named clearly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson

from branchmark.errors import ImportFormatError

_NON_JSON_NUMBERS = (b"NaN", b"Infinity", b"-Infinity", b"nan", b"inf", b"-inf")


def parse_json(data: bytes, *, source: str) -> Any:
    """Parse JSON bytes with orjson; ``ImportFormatError`` names ``source``, line and column.

    NaN and Infinity are not JSON numbers and are refused (orjson rejects them; a number too large
    for a double is refused too).

    >>> parse_json(b'{"a": [1, 2]}', source="x.json")
    {'a': [1, 2]}
    """
    if not data.strip():
        raise ImportFormatError(f"{source}: file is empty, expected JSON")
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        hint = ""
        rest = data[exc.pos : exc.pos + 9]
        if any(rest.startswith(token) for token in _NON_JSON_NUMBERS):
            hint = " (NaN and Infinity are not valid JSON numbers)"
        elif "UTF-8" in exc.msg:
            hint = " (the file is not UTF-8 text)"
        raise ImportFormatError(
            f"{source}: not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}{hint}"
        ) from None


def read_json_file(path: str | Path) -> Any:
    """Read and parse ``path`` (see :func:`parse_json`); a missing file: ``ImportFormatError``."""
    file = Path(path)
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise ImportFormatError(f"{file}: no such file") from None
    except IsADirectoryError:
        raise ImportFormatError(f"{file}: is a folder, expected a JSON file") from None
    return parse_json(data, source=str(path))


def show_value(value: Any, limit: int = 60) -> str:
    """A record value as JSON text for an error message, shortened to ``limit`` characters.

    >>> show_value([1, 2, "x", 4])
    '[1, 2, "x", 4]'
    """
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
