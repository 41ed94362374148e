"""The join link names an address the room's phones can reach (server/lan.py): with
`--lan` (or `--host 0.0.0.0`) the links, QR code and console use this machine's LAN
address, `--advertise` chooses another, `--public-url` wins, and a link that only this
computer can open is said to be one, with what to do."""
from __future__ import annotations

import os
from urllib.parse import urlsplit

import aiohttp
import pytest

from server import lan
from server.config import ServerConfig
from server.lan import LanAddress

from conftest import Api, ServerProcess

ADMIN_KEY = "lan-test-admin-key-0123456789"


def test_the_room_network_comes_first():
    found = [LanAddress("127.0.0.1", "lo"), LanAddress("172.17.0.1", "docker0"), LanAddress("fe80::1", "wlan0"),
             LanAddress("169.254.3.3", "eth1"), LanAddress("10.0.0.5", "eth0"), LanAddress("192.168.1.23", "wlan0"),
             LanAddress("192.168.1.23", "wlan0"), LanAddress("203.0.113.9", "eth2"), LanAddress("0.0.0.0", "x")]
    assert [a.ip for a in lan.rank_addresses(found)] == ["192.168.1.23", "10.0.0.5", "203.0.113.9", "172.17.0.1"]


def test_what_the_links_name():
    assert lan.advertised_host("127.0.0.1") == "127.0.0.1"
    assert lan.advertised_host("0.0.0.0", "192.168.7.7") == "192.168.7.7"
    here = lan.lan_addresses()
    assert lan.advertised_host("0.0.0.0") == (here[0].ip if here else "127.0.0.1")
    assert not any(lan.is_loopback_host(a.ip) for a in here)
    for h in ("127.0.0.1", "localhost", "0.0.0.0", "::1", "[::1]", "127.1.2.3"):
        assert lan.is_loopback_host(h), h
    assert not lan.is_loopback_host("192.168.1.23") and not lan.is_loopback_host("class.example.org")
    assert ServerConfig(host="::", port=80, advertise_host="fd00::2").base_url() == "http://[fd00::2]:80"
    assert ServerConfig(port=80, advertise_host="10.1.1.1", public_url="https://x.org/").base_url() == "https://x.org"


def _start(db, *extra) -> ServerProcess:
    os.environ.setdefault("ALLIANCE_ADMIN_KEY", ADMIN_KEY)
    return ServerProcess(db, *extra)


async def _session_url(proc: ServerProcess) -> tuple[str, list[str]]:
    """Create a session through loopback (the server listens there too) and return its join
    link and the server's start-up lines."""
    await proc.ready()
    port = urlsplit(proc.url).port
    admin = proc.proc.stdout.readline()
    assert "admin key" in admin, admin
    lines = [proc.proc.stdout.readline().strip()]  # who can open the links (always said, without --public-url)
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {os.environ['ALLIANCE_ADMIN_KEY']}"}) as http:
        s = await Api(f"http://127.0.0.1:{port}", http).create(copies=1)
    return s["join_url"], lines


async def test_lan_puts_the_lan_address_in_the_links(db_path):
    here = lan.lan_addresses()
    if not here:
        pytest.skip("this machine has no LAN address")
    proc = _start(db_path, "--lan")
    try:
        url, lines = await _session_url(proc)
        assert urlsplit(proc.url).hostname == here[0].ip  # the start-up line names it
        assert urlsplit(url).hostname == here[0].ip and url.endswith("/join?code=" + url.split("code=")[1])
        assert lines[0].startswith("Phones on the same network join at http://" + here[0].ip)
    finally:
        proc.cleanup()


async def test_a_local_link_says_so_and_what_to_do(db_path):
    proc = _start(db_path)  # the default: 127.0.0.1
    try:
        url, lines = await _session_url(proc)
        assert urlsplit(url).hostname == "127.0.0.1"
        assert "Only this computer can open these links" in lines[0] and "--lan" in lines[0]
    finally:
        proc.cleanup()


async def test_advertise_chooses_the_address(db_path):
    proc = _start(db_path, "--host", "0.0.0.0", "--advertise", "192.168.50.5")
    try:
        url, _ = await _session_url(proc)
        assert urlsplit(url).hostname == "192.168.50.5"
    finally:
        proc.cleanup()
