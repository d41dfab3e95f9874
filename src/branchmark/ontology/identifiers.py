"""Feature, object and classification hashes in Encord's formats, and derived ``value`` names."""

from __future__ import annotations

import base64
import os
import re
import uuid
from collections.abc import Sequence
from typing import Protocol

_WHITESPACE = re.compile(r"\s")


class _Identified(Protocol):
    uid: list[int]
    feature_node_hash: str


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


def claim_child_ids(
    parent_uid: list[int],
    siblings: Sequence[_Identified],
    local_uid: int | None,
    feature_node_hash: str | None,
) -> tuple[list[int], str]:
    """The ``uid`` and ``feature_node_hash`` of a new child added next to ``siblings``.

    The uid is ``parent_uid`` plus ``local_uid``, or one more than the largest local uid of the
    siblings when ``local_uid`` is None; the hash is ``feature_node_hash`` or a new short hash.
    Serves attributes added to objects, classifications and radio options, and options added to
    attributes.

    Raises
    ------
    ValueError
        When a sibling already has ``local_uid`` or ``feature_node_hash``.

    >>> claim_child_ids([3], [], None, "abcd1234")
    ([3, 1], 'abcd1234')
    """
    uid = parent_uid + [next_local_uid([s.uid[-1] for s in siblings], local_uid)]
    check_unique_hash([s.feature_node_hash for s in siblings], feature_node_hash)
    return uid, feature_node_hash or generate_short_hash()


def next_local_uid(existing: list[int], requested: int | None) -> int:
    """``requested`` if free (``ValueError`` if taken), else one more than the largest used."""
    if requested is None:
        return max(existing, default=0) + 1
    if requested in existing:
        raise ValueError(f"Duplicate uid '{requested}'")
    return requested


def check_unique_hash(existing: list[str], requested: str | None) -> None:
    """``ValueError`` when ``requested`` is already one of ``existing``."""
    if requested is not None and requested in existing:
        raise ValueError(f"Duplicate feature_node_hash '{requested}'")
