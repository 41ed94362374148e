"""Tokens and join codes.

Tokens (facilitator, player) are `secrets.token_urlsafe(24)`: 192 random bits. The server
keeps only their SHA-256 in memory and in the database, so a copy of the database (a
researcher's) cannot be used to act as anyone. Join codes are 8 characters from a
32-character alphabet without look-alikes (no 0/O, 1/I): 40 bits, read aloud in a class
("K7QM-3XRD"); a code only lets someone join as a new player, never act as another.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 symbols: 5 bits each
CODE_LENGTH = 8                                     # 40 bits
FACILITATOR = "facilitator"


def new_token() -> str:
    return secrets.token_urlsafe(24)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


REJOIN_LENGTH = 6                                   # 30 bits, behind the failed-join rate limit


def new_rejoin_code() -> str:
    """A seat's rejoin code: typed on a new device to take the seat again."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(REJOIN_LENGTH))


def format_rejoin_code(code: str) -> str:
    return f"{code[:3]}-{code[3:]}"


def normalize_code(code: str) -> str:
    """What people type: any case, with dashes or spaces."""
    return "".join(ch for ch in code.upper() if ch not in "- ")


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def new_session_id() -> str:
    return "s_" + secrets.token_hex(8)


def new_player_id() -> str:
    return "p_" + secrets.token_hex(6)


def bearer_token(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a token speaks for: the facilitator of a session, or one player."""
    session_id: str
    player_id: str | None  # None for the facilitator

    @property
    def is_facilitator(self) -> bool:
        return self.player_id is None

    @property
    def name(self) -> str:
        return self.player_id or FACILITATOR


class TokenRegistry:
    """token hash -> principal, for every session this process serves."""

    def __init__(self):
        self._by_hash: dict[str, Principal] = {}

    def add(self, hashed: str, principal: Principal) -> None:
        self._by_hash[hashed] = principal

    def discard(self, hashed: str) -> None:
        """Revoke a token (a lab participant who rejoined with their label got a new one)."""
        self._by_hash.pop(hashed, None)

    def lookup(self, token: str) -> Principal | None:
        return self._by_hash.get(token_hash(token))

    def by_hash(self, hashed: str) -> Principal | None:
        return self._by_hash.get(hashed)
