"""Label and field selectors as the API server evaluates them.

Label selectors: ``k=v``, ``k==v``, ``k!=v``, ``k in (a,b)``, ``k notin (a)``,
``k``, ``!k``, comma-separated (AND).  Field selectors: ``path=value`` and
``path!=value`` on dotted paths (``spec.nodeName``, ``involvedObject.name``).
"""

from __future__ import annotations

import re
from typing import Any

_SET = re.compile(r"^\s*(!?)\s*([\w./-]+)\s*(?:(in|notin)\s*\(([^)]*)\))?\s*$")


class SelectorError(ValueError):
    """The selector text cannot be parsed (the server answers 400)."""


def _split(text: str) -> list[str]:
    """Split on commas outside parentheses."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p for p in (s.strip() for s in parts) if p]


def labels_match(selector: str | None, labels: dict[str, str]) -> bool:
    """Whether ``labels`` satisfy every requirement of ``selector``."""
    for req in _split(selector or ""):
        for op in ("!=", "==", "="):
            if op in req and " in " not in req and " notin " not in req:
                key, _, value = (s.strip() for s in req.partition(op))
                ok = labels.get(key) == value
                if (op == "!=") == ok:
                    return False
                break
        else:
            m = _SET.match(req)
            if not m:
                raise SelectorError(f"unable to parse requirement: {req!r}")
            neg, key, setop, values = m.groups()
            if setop:
                vals = {v.strip() for v in values.split(",")}
                inside = labels.get(key) in vals
                if (setop == "in") != inside:
                    return False
            elif bool(neg) == (key in labels):
                return False
    return True


def _lookup(obj: dict[str, Any], path: str) -> str:
    cur: Any = obj
    for part in path.split("."):
        cur = cur.get(part) if isinstance(cur, dict) else None
    return "" if cur is None else str(cur)


def fields_match(selector: str | None, obj: dict[str, Any]) -> bool:
    """Whether ``obj`` satisfies a field selector."""
    for req in _split(selector or ""):
        neg = "!=" in req
        path, _, value = req.partition("!=" if neg else "=")
        path, value = path.strip(), value.strip().lstrip("=")
        if not path:
            raise SelectorError(f"invalid field selector: {req!r}")
        if (_lookup(obj, path) == value) == neg:
            return False
    return True
