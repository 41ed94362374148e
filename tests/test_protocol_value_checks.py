"""The walk over every decoded frame (`server/protocol/codecs.py` `_check_values`): each kind
of value it refuses, with the place named in the message, in msgpack and JSON alike. The
walk was made leaner (places spelt out only for an error); these hold what it says."""
from __future__ import annotations

import json
import math

import msgpack
import pytest

from server.protocol import ProtocolError, decode_frame

CASES = [
    ({"type": "draft", "fields": {"develop": {"design": math.nan}}}, "not_finite", "fields.develop.design: must be a finite number"),
    ({"type": "draft", "fields": {"a": [1, 2, {"b": math.inf}]}}, "not_finite", "fields.a.2.b: must be a finite number"),
    ({"type": "draft", "fields": {"x": 2**60}}, "out_of_range", "fields.x: integer beyond +-2**53"),
    ({"type": "draft", "fields": {"__proto__": {"admin": True}}}, "unknown_field", "fields.__proto__: reserved name"),
    ({"constructor": 1}, "unknown_field", "constructor: reserved name"),
    ({"type": "draft", "fields": {"q": [b"\x00"]}}, "wrong_type", "fields.q.0: bytes values are not allowed"),
    ({"type": "draft", "fields": {1: 2}}, "wrong_type", "fields: map keys must be strings"),
]


def _nested(depth: int) -> dict:
    v: dict = {"leaf": 1}
    for _ in range(depth):
        v = {"n": v}
    return {"type": "draft", "fields": v}


@pytest.mark.parametrize("msg,code,text", CASES)
def test_each_refused_value_is_named_by_its_place(msg, code, text):
    frame = msgpack.packb(msg, use_bin_type=True, strict_types=False, unicode_errors="surrogatepass")
    with pytest.raises(ProtocolError) as e:
        decode_frame(frame, 2**20)
    assert (e.value.code, e.value.message) == (code, text)


def test_lone_surrogates_are_refused_where_they_are():
    """Only JSON can carry them (`\\ud800`): in a value (named by its place) and in a key."""
    for text, where in (('{"type":"chat","text":"bad \\ud800 text"}', "text"),
                        ('{"type":"chat","f":{"k\\udfff":1}}', "f")):
        with pytest.raises(ProtocolError) as e:
            decode_frame(text, 2**20)
        assert (e.value.code, e.value.message) == ("wrong_type", f"{where}: text is not valid Unicode")


def test_json_frames_get_the_same_answers():
    with pytest.raises(ProtocolError) as e:
        decode_frame(json.dumps({"type": "draft", "fields": {"a": [0, {"__proto__": 1}]}}), 2**20)
    assert (e.value.code, e.value.message) == ("unknown_field", "fields.a.1.__proto__: reserved name")


def test_nesting_is_counted_and_named():
    decode_frame(msgpack.packb(_nested(14)), 2**20)  # the innermost map is the 16th level: allowed
    with pytest.raises(ProtocolError) as e:
        decode_frame(msgpack.packb(_nested(15)), 2**20)
    assert e.value.code == "bad_frame"
    assert e.value.message == "fields" + ".n" * 15 + ": nested more than 16 levels deep"


def test_ordinary_commands_pass_untouched():
    msg = {"type": "submit", "id": "c1", "decision": {"develop": {"design": 10.0, "manufacturing": 0}, "protect": 5,
                                                     "note": "ça va", "flags": [True, False, None]}}
    assert decode_frame(msgpack.packb(msg), 2**20) == msg
    assert decode_frame(json.dumps(msg), 2**20) == msg
