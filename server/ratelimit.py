"""Per-client-address limits for the HTTP side (the live socket has its own per-socket
budget in connection.py): failed join attempts are rate-limited per IP address, so join
codes (40 bits) cannot be guessed by brute force.

    limiter = KeyedBudget(rate=0.5, burst=30)   # 30 failures at once, then one every 2 s
    if not limiter.allowed(ip): ...             # refuse (429) without checking the code
    limiter.charge(ip)                          # a failed attempt costs one token

Memory is bounded: at most `max_keys` addresses are tracked (the least recently charged
are forgotten first), so spraying addresses (IPv6) cannot grow the table.
"""
from __future__ import annotations

import ipaddress
import time
from collections import OrderedDict

from aiohttp import web


class KeyedBudget:
    """A token bucket per key: `burst` tokens, refilled at `rate` per second."""

    def __init__(self, rate: float, burst: int, max_keys: int = 100_000, clock=time.monotonic):
        self.rate, self.burst, self.max_keys = rate, float(burst), max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)

    def _tokens(self, key: str, now: float) -> float:
        tokens, at = self._buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - at) * self.rate)

    def allowed(self, key: str) -> bool:
        """True while the key has at least one token left."""
        return self._tokens(key, self._clock()) >= 1.0

    def charge(self, key: str) -> None:
        now = self._clock()
        tokens = max(0.0, self._tokens(key, now) - 1.0)
        self._buckets[key] = (tokens, now)
        self._buckets.move_to_end(key)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)

    def retry_after(self, key: str) -> float:
        """Seconds until the key has a token again."""
        missing = 1.0 - self._tokens(key, self._clock())
        return max(0.0, missing / self.rate) if self.rate > 0 else float("inf")

    def __len__(self) -> int:
        return len(self._buckets)


def client_ip(request: web.Request, trust_proxy: bool = False) -> str:
    """The client's address. Behind a reverse proxy on this machine or a private network
    (`trust_proxy`), the last `X-Forwarded-For` entry (the address the proxy saw) is used;
    the header is ignored from any other peer, so clients cannot pick their own address."""
    peer = request.remote or "?"
    if trust_proxy:
        fwd = request.headers.get("X-Forwarded-For")
        if fwd:
            try:
                peer_ip = ipaddress.ip_address(peer)
                if peer_ip.is_loopback or peer_ip.is_private:
                    last = fwd.split(",")[-1].strip()
                    return str(ipaddress.ip_address(last))
            except ValueError:
                pass
    return peer
