"""Feature, object and classification hashes in Encord's formats, and derived ``value`` names."""

from __future__ import annotations

import base64
import os
import re
import uuid

_WHITESPACE = re.compile(r"\s")


_POOL: list[str] = []
_POOL_SIZE = 1024


def generate_short_hash() -> str:
    """An 8-character base64 hash from 6 random bytes (may contain ``+`` and ``/``).

    This is the format of ``objectHash``, ``classificationHash`` and attribute/option hashes.
    Bulk imports create one per box, so hashes are drawn from a pool refilled with one
    ``os.urandom`` call: 6 bytes encode to exactly 8 base64 characters, so slicing the encoded
    block gives independent hashes.

    >>> len(generate_short_hash())
    8
    """
    try:
        return _POOL.pop()
    except IndexError:
        block = base64.b64encode(os.urandom(6 * _POOL_SIZE)).decode("ascii")
        _POOL.extend(block[i : i + 8] for i in range(8, len(block), 8))
        return block[:8]


def generate_feature_hash() -> str:
    """The first 8 characters of a random UUID4: the default object/classification hash.

    >>> len(generate_feature_hash())
    8
    """
    return str(uuid.uuid4())[:8]


def value_from_title(title: str) -> str:
    """Encord's ``value`` for a title: lower case, each whitespace character replaced by ``_``.

    Other punctuation is kept.

    >>> value_from_title("Blueberry or Cherry?")
    'blueberry_or_cherry?'
    """
    return _WHITESPACE.sub("_", title.lower())
