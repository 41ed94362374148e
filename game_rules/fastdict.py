"""`asdict` with the semantics of `dataclasses.asdict` for the plain data of this package,
several times faster: field names are cached per class, and str / int / float / bool /
None leaves are returned as they are instead of going through `copy.deepcopy` (which
returns them unchanged anyway). Exact `dict`, `list` and `tuple` containers are rebuilt
like `dataclasses.asdict` does; anything else goes through the standard library.
(Round results, views and snapshots convert thousands of small dataclasses: see
docs/benchmarks.md.)"""
from __future__ import annotations

import dataclasses

_NAMES: dict[type, tuple[str, ...]] = {}
_ATOMIC = frozenset({str, int, float, bool, type(None)})


def _names(cls: type) -> tuple[str, ...]:
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def asdict(obj) -> dict:
    """Like `dataclasses.asdict(obj)` (same result, including tuples kept as tuples)."""
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        raise TypeError("asdict() should be called on dataclass instances")
    return _fields(obj, _names(type(obj)))


def _fields(obj, names: tuple[str, ...]) -> dict:
    out = {}
    for n in names:
        v = getattr(obj, n)
        out[n] = v if type(v) in _ATOMIC else _conv(v)
    return out


def _conv(v):
    # atomic leaves are tested inline: most values are numbers and strings
    t = type(v)
    if t in _ATOMIC:
        return v
    if t is dict:
        return {(k if type(k) in _ATOMIC else _conv(k)): (x if type(x) in _ATOMIC else _conv(x))
                for k, x in v.items()}
    if t is list:
        return [x if type(x) in _ATOMIC else _conv(x) for x in v]
    if t is tuple:
        return tuple([x if type(x) in _ATOMIC else _conv(x) for x in v])
    if t in _NAMES or (dataclasses.is_dataclass(v) and not isinstance(v, type)):
        return _fields(v, _names(t))
    return dataclasses._asdict_inner(v, dict)  # namedtuples, subclasses, other objects
