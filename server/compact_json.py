"""The compact JSON text of the log and of text frames, in one C call.

`json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode(v)` runs two Python
methods and builds a new C encoder (`c_make_encoder`) at every call, with a fresh dict for
its circular-reference check; three texts are encoded per command (the command's log row,
its fact's row, the ack kept for re-sends), so that set-up was a visible share of a
command's time (docs/benchmarks.md, "The command path and the collector"). Here the C
encoder is built once and called directly: **the same text** byte for byte (ASCII only,
no spaces, keys in insertion order, `float.__repr__`), NaN and infinities still refused
(ValueError).

What differs: no circular-reference check. Everything encoded here is a tree built from a
decoded frame or from the session's plain data (never a cycle); a cycle would raise
RecursionError instead of ValueError.
"""
from __future__ import annotations

import json
from json import encoder as _encoder
from typing import Any, Callable


def _default(o: Any) -> Any:
    raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")


def _make() -> Callable[[Any], str]:
    c = _encoder.c_make_encoder
    if c is None:  # a Python without the C accelerator: the stock encoder, same text
        return json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode
    # (markers, default, encoder, indent, key_separator, item_separator, sort_keys, skipkeys, allow_nan)
    encode_chunks = c(None, _default, _encoder.encode_basestring_ascii, None, ":", ",", False, False, False)
    join = "".join

    def compact(v: Any) -> str:
        return join(encode_chunks(v, 0))
    return compact


compact = _make()
