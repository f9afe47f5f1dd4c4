"""Walking parsed YAML/JSON documents (manifests, workflows)."""

from __future__ import annotations

from collections.abc import Iterator


def strings_under(node: object, key: str) -> Iterator[str]:
    """Every string value of `key` anywhere in `node`, depth first."""
    if isinstance(node, dict):
        if isinstance(node.get(key), str):
            yield node[key]
        for value in node.values():
            yield from strings_under(value, key)
    elif isinstance(node, list):
        for value in node:
            yield from strings_under(value, key)
