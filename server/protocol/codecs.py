"""The wire codecs: a frame (msgpack bytes or JSON text) to a checked plain map, a map to a
frame, and the encode-once frames of a push sent to many sockets (`Shared`, `SharedPart`,
`SharedView`). Binary frames are msgpack, text frames are JSON."""
from __future__ import annotations

import json
import math

import msgpack

from ..compact_json import compact
from .errors import ProtocolError


MAX_DEPTH = 16                 # maps and lists inside a frame, nested (a decision needs 3)
MAX_INT = 2**53                # integers beyond JSON's exact range are refused
RESERVED_KEYS = frozenset({"__proto__", "constructor", "prototype"})  # JS prototype pollution
# Fields the store keeps as they came, in a text column of their own (log.command_id,
# sessions.title): PostgreSQL cannot store a NUL character in text, and one such command id
# failed its transaction and so stopped the PostgreSQL store for every session. Everything
# else a client sends is cleaned (names, labels) or kept inside the JSON of a log row,
# which escapes it.
PLAIN_TEXT_FIELDS = ("id", "title")


def _check_values(msg: dict) -> None:
    """Walk a decoded frame (iteratively: no recursion on hostile nesting) and refuse what
    JSON could not carry or what later stages must never see: NaN/inf (msgpack can carry
    them), nesting deeper than MAX_DEPTH, map keys that are not strings or are JavaScript
    prototype names, integers beyond +-2**53, binary and extension values (msgpack), and
    strings that are not valid Unicode (lone surrogates).

    Every command passes here, so the walk is lean: a value's place is kept as a link to its
    parent's (`(parent, key)`) and spelt out (`_path`) only for an error, and the common
    exact types are tested first."""
    stack = [(msg, None, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        v, at, depth = pop()
        t = type(v)
        if t is str:
            if not v.isascii():
                _check_text(v, _path(at))
        elif t is dict or t is list or isinstance(v, (dict, list)):
            if depth > MAX_DEPTH:
                raise ProtocolError("bad_frame", f"{_path(at) or 'frame'}: nested more than {MAX_DEPTH} levels deep")
            if isinstance(v, dict):
                for k, x in v.items():
                    if type(k) is not str and not isinstance(k, str):
                        raise ProtocolError("wrong_type", f"{_path(at) or 'frame'}: map keys must be strings")
                    if k in RESERVED_KEYS:
                        p = _path(at)
                        raise ProtocolError("unknown_field", f"{p + '.' if p else ''}{k}: reserved name")
                    if not k.isascii():
                        _check_text(k, _path(at))
                    push((x, (at, k), depth + 1))
            else:
                for i, x in enumerate(v):
                    push((x, (at, i), depth + 1))
        elif isinstance(v, str):
            _check_text(v, _path(at))
        elif isinstance(v, float):
            if not math.isfinite(v):
                raise ProtocolError("not_finite", f"{_path(at) or 'value'}: must be a finite number")
        elif isinstance(v, int):  # bool included
            if not -MAX_INT <= v <= MAX_INT:
                raise ProtocolError("out_of_range", f"{_path(at) or 'value'}: integer beyond +-2**53")
        elif v is not None:  # bytes, msgpack ExtType, timestamps
            raise ProtocolError("wrong_type", f"{_path(at) or 'value'}: {type(v).__name__} values are not allowed")


def _path(at: tuple | None) -> str:
    """The dotted place of a value from its `(parent, key)` links ("" for the frame itself)."""
    parts = []
    while at is not None:
        at, k = at
        parts.append(k if isinstance(k, str) else str(k))
    return ".".join(reversed(parts))


def _check_text(s: str, path: str) -> None:
    if not s.isascii():
        try:
            s.encode("utf-8")
        except UnicodeEncodeError:
            raise ProtocolError("wrong_type", f"{path or 'value'}: text is not valid Unicode") from None


def decode_frame(data: bytes | str, max_bytes: int) -> dict:
    """A frame to a plain map; `bad_frame`, `frame_too_large` or `not_finite` otherwise."""
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise ProtocolError("frame_too_large", f"frame of {size} bytes; the limit is {max_bytes}")
    try:
        if isinstance(data, bytes):
            msg = msgpack.unpackb(data, raw=False, strict_map_key=False)
        else:
            # NaN and Infinity are read as the floats they name and refused by `_check_values`
            # below with their place in the map and the command's id, as msgpack's are
            msg = json.loads(data, parse_constant=float)
    except ProtocolError:
        raise
    except Exception as e:  # any decoder complaint is the client's garbage
        kind = "msgpack" if isinstance(data, bytes) else "JSON"
        raise ProtocolError("bad_frame", f"not valid {kind}: {type(e).__name__}") from None
    if not isinstance(msg, dict):
        raise ProtocolError("bad_frame", "a frame must be a map with a `type`")
    try:
        _check_values(msg)
        for key in PLAIN_TEXT_FIELDS:
            v = msg.get(key)
            if isinstance(v, str) and "\x00" in v:
                raise ProtocolError("wrong_type", f"{key}: text must not contain the NUL character")
    except ProtocolError as e:
        # a map refused for one of its values still names its command: the error echoes the id
        # (when the id itself is sound), so a client waiting for that command's answer gets it
        e.frame_id = _sound_id(msg.get("id"))
        raise
    return msg


def _sound_id(i) -> str | None:
    if not (isinstance(i, str) and 0 < len(i) <= 64 and "\x00" not in i):
        return None
    try:
        i.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return i


# compact JSON, NaN refused, in one C call (the same text as json.dumps(separators=(",", ":")))
_json = compact
# msgpack.packb builds a new Packer (and its buffer) at every call; one Packer, reused, gives
# the same bytes (`pack` resets it after each value, and after an error). The event loop's
# thread is its only user, and `pack` holds the GIL throughout (no `default` hook).
_pack = msgpack.Packer(use_bin_type=True).pack


def encode(msg: dict, binary: bool) -> bytes | str:
    if binary:
        return _pack(msg)
    return _json(msg)


def _map_header(n: int) -> bytes:
    """The msgpack header of a map of `n` pairs (what `packb` writes)."""
    if n < 16:
        return bytes((0x80 | n,))
    return b"\xde" + n.to_bytes(2, "big") if n < 0x10000 else b"\xdf" + n.to_bytes(4, "big")


_SEQ_KEY = msgpack.packb("seq")


class Shared:
    """A push sent unchanged to many sockets (a round result, a clock, a firm's view):
    encoded at most once per format, without `seq`; `frame(seq, binary)` appends the
    socket's `seq` as the last key, the same bytes as `encode(dict(msg, seq=seq), binary)`.
    `msg` is the message itself (read only, never sent as is)."""

    __slots__ = ("msg", "_bin", "_text")

    def __init__(self, msg: dict):
        self.msg = msg
        self._bin: tuple[bytes, bytes] | None = None  # the map's header with `seq` counted, its pairs
        self._text: str | None = None

    def get(self, key, default=None):
        return self.msg.get(key, default)

    def _encode_bin(self) -> bytes:
        return _pack(self.msg)

    def _encode_text(self) -> str:
        return _json(self.msg)

    def encoded(self, binary: bool) -> None:
        """Encode it now in `binary`'s format (`frame` then only adds the `seq`): a new round's
        views are encoded while the round is committed, not when their sockets are written."""
        if binary:
            if self._bin is None:
                n = len(self.msg)  # "seq" is never one of its keys
                self._bin = (_map_header(n + 1), self._encode_bin()[len(_map_header(n)):] + _SEQ_KEY)
        elif self._text is None:
            self._text = self._encode_text()

    def frame(self, seq: int, binary: bool) -> bytes | str:
        if binary:
            b = self._bin
            if b is None:
                self.encoded(True)
                b = self._bin
            return b[0] + b[1] + _pack(seq)
        t = self._text
        if t is None:
            self.encoded(False)
            t = self._text
        return f'{t[:-1]},"seq":{seq}}}'


class SharedPart:
    """The map shared by every player of a firm (`game_rules.session.views.firm_part`), encoded at
    most once per format; `SharedView` adds each player's `me` to it."""

    __slots__ = ("part", "_bin", "_text")

    def __init__(self, part: dict):
        self.part = part
        self._bin: bytes | None = None
        self._text: str | None = None

    def body_bin(self) -> bytes:
        if self._bin is None:
            self._bin = _pack(self.part)[len(_map_header(len(self.part))):]
        return self._bin

    def body_text(self) -> str:
        if self._text is None:
            self._text = _json(self.part)[1:-1]
        return self._text


_VIEW_PREFIX_BIN = msgpack.packb({"type": "view", "view": None})[:-1]
_VIEW_PREFIX_TEXT = json.dumps({"type": "view", "view": None}, separators=(",", ":"))[:-len("null}")]
_ME_KEY = msgpack.packb("me")


class SharedView(Shared):
    """`{"type": "view", "view": {**part, "me": me}}` for one player, built from the
    firm's encoded part (same bytes as encoding the whole message)."""

    __slots__ = ("shared", "me")

    def __init__(self, shared: SharedPart, me: dict):
        super().__init__({"type": "view", "view": {**shared.part, "me": me}})
        self.shared, self.me = shared, me

    def _encode_bin(self) -> bytes:
        part = self.shared.part
        assert "me" not in part
        return b"".join((_VIEW_PREFIX_BIN, _map_header(len(part) + 1), self.shared.body_bin(),
                         _ME_KEY, _pack(self.me)))

    def _encode_text(self) -> str:
        body = self.shared.body_text()
        me = _json(self.me)
        return f'{_VIEW_PREFIX_TEXT}{{{body},"me":{me}}}}}' if body else f'{_VIEW_PREFIX_TEXT}{{"me":{me}}}}}'
