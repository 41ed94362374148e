"""A push encoded once for many sockets (`protocol.Shared`, `SharedView`) gives, for each
socket's `seq`, exactly the bytes of encoding the whole message with that `seq`."""
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
