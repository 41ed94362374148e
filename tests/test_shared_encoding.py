"""A push encoded once for many sockets (`protocol.Shared`, `SharedView`) gives, for each
socket's `seq`, exactly the bytes of encoding the whole message with that `seq`."""
import sys

import msgpack
import pytest

from server.protocol import Shared, SharedPart, SharedView, encode

SEQS = (1, 127, 128, 255, 70000, 2**33)


def test_shared_frame_is_the_plain_encoding():
    for n in (1, 14, 15, 16, 20):
        msg = {"type": "x", **{f"k{i}": [i, 1.5, "é", None] for i in range(n - 1)}}
        shared = Shared(msg)
        for seq in SEQS:
            for binary in (True, False):
                assert shared.frame(seq, binary) == encode(dict(msg, seq=seq), binary)
        assert "seq" not in msg


def test_a_push_encoded_ahead_gives_the_same_bytes():
    """`Shared.encoded` (a new round's views and deltas, encoded while the round is committed)
    changes nothing in the frames: either format, ahead or not, the other one still right."""
    part = SharedPart({"p": {"a": 1 / 3, "b": "ü"}})
    for make in (lambda: Shared({"type": "round_delta", "base": 3, "changes": {"set": {"a": [1.5, None]}}}),
                 lambda: SharedView(part, {"player_id": "p1"})):
        for ahead in (True, False):
            pushed = make()
            pushed.encoded(ahead)
            for seq in SEQS:
                for binary in (True, False):
                    assert pushed.frame(seq, binary) == encode(dict(make().msg, seq=seq), binary)


def test_shared_view_is_the_plain_encoding():
    for n in (0, 1, 14, 15, 16, 30):
        part = {f"p{i}": {"a": i / 3, "b": "ü", "c": [True, None]} for i in range(n)}
        shared = SharedPart(part)
        for me in ({"player_id": "p1", "name": "Ann", "label": None, "firm": "f1"}, {}):
            view = SharedView(shared, me)
            whole = {"type": "view", "view": {**part, "me": me}}
            assert view.msg == whole and view.get("type") == "view"
            for seq in SEQS:
                for binary in (True, False):
                    assert view.frame(seq, binary) == encode(dict(whole, seq=seq), binary)
        assert "me" not in part


MESSAGES = [{"type": "chat", "text": "Grüße 你好", "at": 1764496000.123, "seq": 7},
            {"type": "ack", "id": "c1", "result": {"channel": "firm:f1", "n": [1, -1, 2**40, -2**40, 0.5]}},
            {"type": "x", **{f"k{i}": i for i in range(70)}}, {"type": "view", "view": {"a": {"b": {"c": [None, True]}}}}]


def test_the_binary_encoding_is_msgpacks_own():
    """The reused packer gives packb's bytes, also right after a value it refused."""
    for m in MESSAGES:
        assert encode(m, True) == msgpack.packb(m, use_bin_type=True)
        with pytest.raises(TypeError):
            encode({"type": "x", "bad": object()}, True)
        assert encode(m, True) == msgpack.packb(m, use_bin_type=True)
        shared = Shared({k: v for k, v in m.items() if k != "seq"})
        for seq in SEQS:
            assert shared.frame(seq, True) == msgpack.packb(dict(shared.msg, seq=seq), use_bin_type=True)


def test_encoding_builds_no_packer_per_message():
    """`msgpack.packb` builds a Packer (and its buffer) at every call: a delivery encodes
    an ack and a push per command, and a `seq` per socket."""
    shared = Shared({"type": "chat", "text": "hi"})
    shared.frame(1, True)
    calls = []

    def profile(frame, event, arg):
        if event == "call":
            calls.append(frame.f_code.co_name)
    sys.setprofile(profile)
    try:
        encode(MESSAGES[1], True)
        shared.frame(2, True)
        SharedView(SharedPart({"a": 1}), {"player_id": "p1"}).frame(3, True)
    finally:
        sys.setprofile(None)
    assert "packb" not in calls
