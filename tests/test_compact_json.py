"""The log's and the text frames' JSON (server/compact_json.py): the same text as the stock
compact encoder, byte for byte, in one C call (no Python frame per encoded value)."""
import json
import random
import sys

import pytest

from server.protocol import encode
from server.store import dumps

STOCK = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode

SAMPLES = [
    {"type": "chat", "text": "Grüße, ça va? 你好 \u2028 \"quoted\" \\ back", "to": "firm", "client_time": 1764496000.123},
    {"a": [1, -0.0, 1e300, 2.5e-7, 2**70, -(2**53), True, False, None], "b": {"": {}, "x": []}},
    {"decision": {"price": 12.5, "quantity": 0, "alliances": [{"id": "a1", "share": 1 / 3}]}},
    "a bare string \ud800 with a lone surrogate", 17, 0.1, None, [], {},
    {1: "int key", 2.5: "float key", True: "bool key", None: "none key"},
]


def _random_value(rng: random.Random, depth: int = 0):
    kind = rng.randrange(7 if depth < 4 else 4)
    if kind == 0:
        return "".join(chr(rng.choice((rng.randrange(32, 127), rng.randrange(0x80, 0x3000), 0x1F600, 10, 34, 92)))
                       for _ in range(rng.randrange(12)))
    if kind == 1:
        return rng.randrange(-2**60, 2**60)
    if kind == 2:
        return rng.uniform(-1e6, 1e6)
    if kind == 3:
        return rng.choice((None, True, False))
    if kind in (4, 5):
        return {f"k{rng.randrange(100)}é": _random_value(rng, depth + 1) for _ in range(rng.randrange(5))}
    return [_random_value(rng, depth + 1) for _ in range(rng.randrange(5))]


@pytest.mark.parametrize("value", SAMPLES + [_random_value(random.Random(s)) for s in range(300)])
def test_the_same_text_as_the_stock_compact_encoder(value):
    assert dumps(value) == STOCK(value)
    if isinstance(value, dict):
        assert encode(value, False) == STOCK(value)  # a text frame


@pytest.mark.parametrize("bad", [float("nan"), {"x": [float("inf")]}, -float("inf")])
def test_nan_and_infinities_are_still_refused(bad):
    with pytest.raises(ValueError, match="not JSON compliant"):
        dumps(bad)


def test_a_value_json_cannot_carry_is_refused():
    with pytest.raises(TypeError, match="not JSON serializable"):
        dumps({"when": object()})
    with pytest.raises(TypeError):
        dumps({(1, 2): "tuple key"})


def test_encoding_runs_no_python_function():
    """The stock `encode` runs `encode` and `iterencode` in Python and builds a new C
    encoder at every call; ours is one C call (three texts per command)."""
    calls = []

    def profile(frame, event, arg):
        if event == "call":
            calls.append(frame.f_code.co_name)
    value = SAMPLES[1]
    dumps(value)  # warm
    sys.setprofile(profile)
    try:
        dumps(value)
        dumps(SAMPLES[0])
    finally:
        sys.setprofile(None)
    assert [c for c in calls if c != "compact"] == []
