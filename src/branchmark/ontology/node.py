"""Title and hash lookups shared by every ontology node and by ``OntologyStructure``.

The rules are the Encord SDK's: a lookup by title raises ``OntologyError`` when nothing or more
than one node matches (a ``type_`` mismatch is filtered out first, so it ends as "not found");
a lookup by hash raises ``OntologyError`` when nothing matches and ``TypeError`` when the node
found is not an instance of ``type_``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from branchmark.errors import OntologyError

N = TypeVar("N")


class OntologyNode:
    """A node of the ontology tree: it has a ``title``, a ``feature_node_hash`` and children."""

    feature_node_hash: str

    @property
    def title(self) -> str:
        raise NotImplementedError

    def child_nodes(self) -> list[OntologyNode]:
        """The direct children (attributes of an object, options of an attribute, ...)."""
        return []

    def get_child_by_hash(self, feature_node_hash: str, type_: type[N] | None = None) -> N:
        """The node of this subtree with ``feature_node_hash``; see the module docstring."""
        found: N = find_child_by_hash(self.child_nodes(), feature_node_hash, type_)
        return found

    def get_child_by_title(self, title: str, type_: type[N] | None = None) -> N:
        """The single node of this subtree titled ``title`` (and of ``type_`` when given)."""
        found: N = find_child_by_title(self.child_nodes(), title, type_)
        return found

    def get_children_by_title(self, title: str, type_: type[N] | None = None) -> list[N]:
        """Every node of this subtree titled ``title`` (and of ``type_``); never raises."""
        return find_children_by_title(self.child_nodes(), title, type_)


def walk_nodes(roots: Iterable[OntologyNode]) -> Iterator[OntologyNode]:
    """Every node under ``roots`` (roots included), depth first, in ontology order."""
    stack = list(roots)[::-1]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.child_nodes()))


def find_children_by_title(
    roots: Iterable[OntologyNode], title: str, type_: type[Any] | None = None
) -> list[Any]:
    """Nodes under ``roots`` whose ``title`` equals ``title`` and that are ``type_`` instances."""
    return [
        node
        for node in walk_nodes(roots)
        if node.title == title and (type_ is None or isinstance(node, type_))
    ]


def find_child_by_title(
    roots: Iterable[OntologyNode], title: str, type_: type[Any] | None = None
) -> Any:
    """The single node titled ``title``; ``OntologyError`` if there is none or several."""
    found = find_children_by_title(roots, title, type_)
    if not found:
        raise OntologyError(
            f"No item was found in the ontology with the given title `{title}` and type `{type_}`"
        )
    if len(found) > 1:
        raise OntologyError(
            f"More than one item was found in the ontology with the given title `{title}` and "
            f"type `{type_}`. Use the `get_children_by_title` or `get_child_by_hash` function "
            f"instead. The found items are `{found}`."
        )
    return found[0]


def find_child_by_hash(
    roots: Iterable[OntologyNode], feature_node_hash: str, type_: type[Any] | None = None
) -> Any:
    """The node with ``feature_node_hash``; ``OntologyError`` if absent, ``TypeError`` if the
    node is not a ``type_``."""
    for node in walk_nodes(roots):
        if node.feature_node_hash == feature_node_hash:
            if type_ is not None and not isinstance(node, type_):
                raise TypeError(f"Expected {type_}, got {type(node)}")
            return node
    raise OntologyError(
        f"Item not found: can't find an item with a hash {feature_node_hash} in the ontology."
    )
