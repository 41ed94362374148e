"""The address the room's phones can reach: a class runs from the instructor's laptop on
the room's Wi-Fi, so the join link, QR code, projector and console must name the laptop's
LAN address, never 127.0.0.1 (a phone opening that reaches itself) or 0.0.0.0 (not an
address at all).

`lan_addresses()` lists the machine's IPv4 addresses, the most likely room network first;
`advertised_host()` picks what the links use. The facilitator can choose another one with
`--advertise ADDRESS` (`python run.py --lan` prints them all), and `--public-url` wins
over everything (a server behind a proxy or with a DNS name).
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import ifaddr

# interfaces of virtual machines and containers on the laptop: never the room's network
_VIRTUAL = ("docker", "br-", "veth", "virbr", "vmnet", "vboxnet", "utun", "tun", "tap", "zt", "tailscale", "wg")
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0", "::", ""})


@dataclass(frozen=True, slots=True)
class LanAddress:
    ip: str
    interface: str

    @property
    def rank(self) -> tuple:
        """Lower is likelier the room's network: home and office Wi-Fi ranges first."""
        a = ipaddress.ip_address(self.ip)
        virtual = self.interface.lower().startswith(_VIRTUAL)
        if a in ipaddress.ip_network("192.168.0.0/16"):
            kind = 0
        elif a in ipaddress.ip_network("10.0.0.0/8"):
            kind = 1
        elif a in ipaddress.ip_network("172.16.0.0/12"):
            kind = 2
        elif a.is_private:
            kind = 3
        else:
            kind = 4  # a public address: reachable, but rarely what a classroom has
        return (virtual, kind, self.interface, self.ip)


def usable(ip: str) -> bool:
    try:
        a = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return a.version == 4 and not (a.is_loopback or a.is_link_local or a.is_unspecified or a.is_multicast)


def rank_addresses(found: list[LanAddress]) -> list[LanAddress]:
    """The usable addresses of `found`, likeliest first, each once."""
    seen, out = set(), []
    for a in sorted((x for x in found if usable(x.ip)), key=lambda x: x.rank):
        if a.ip not in seen:
            seen.add(a.ip)
            out.append(a)
    return out


def lan_addresses() -> list[LanAddress]:
    """This machine's IPv4 addresses that another device could reach, likeliest first."""
    found = [LanAddress(ip.ip, adapter.nice_name) for adapter in ifaddr.get_adapters()
             for ip in adapter.ips if isinstance(ip.ip, str)]
    return rank_addresses(found)


def is_loopback_host(host: str) -> bool:
    """A host name that no other device can use to reach this machine."""
    h = host.strip("[]").lower()
    if h in LOOPBACK_NAMES:
        return True
    try:
        a = ipaddress.ip_address(h)
    except ValueError:
        return False
    return a.is_loopback or a.is_unspecified


def advertised_host(bind_host: str, choice: str | None = None) -> str:
    """What the links name: the facilitator's `choice`; else, when the server listens on
    every interface (0.0.0.0, ::), the likeliest LAN address; else the bound host."""
    if choice:
        return choice
    if bind_host in ("0.0.0.0", "::", ""):
        found = lan_addresses()
        return found[0].ip if found else "127.0.0.1"
    return bind_host
