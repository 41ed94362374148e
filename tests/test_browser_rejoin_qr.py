"""The rejoin code as a QR code, in real headless Chromium (phones 390x844): the first phone
shows its seat's rejoin code and, beside it, a QR code of the join link with the code, the
name and the rejoin code in the link (the last two in the fragment, never sent to a server);
a new phone that opens that link takes the seat in one step and the first phone is signed
out. The QR code is checked to encode exactly that link (segno makes the same symbol from
it). Then the route's refusals: a wrong code, a facilitator, no token.
Fixtures from tests/test_browser_game.py."""
from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import pytest
import segno

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect

from test_browser_game import (  # noqa: E402,F401 (fixtures are used by name)
    CHROMIUM, browser, http, new_page, no_horizontal_overflow, problems, shot, web_server)

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (scripts/install_browser.sh)")

PHONE = {"width": 390, "height": 844}
# the page's own call (its stored token), answered as the page got it (the page's CSP keeps a
# script from reading the image back out of its blob: URL)
ASK = """code => fetch('/api/web/rejoin_link', {method: 'POST', headers: {'Content-Type': 'application/json',
  Authorization: 'Bearer ' + JSON.parse(localStorage.getItem('alliance.player')).token},
  body: JSON.stringify({rejoin_code: code})}).then(r => r.json())"""


def _symbol(url: str) -> bytes:
    """The QR code the server makes of `url` (server/http/pages.py `_qr`)."""
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="svg", scale=1, border=4, dark="#000000", light="#ffffff",
                                    xmldecl=False, omitsize=True, title="QR code: your seat on a new device")
    return buf.getvalue()


async def _rejoin_qr(page) -> tuple[str, str]:
    """(the rejoin code shown, the link its QR code opens)."""
    qr = page.get_by_test_id("rejoin-qr")
    await expect(qr.locator("img")).to_be_visible()
    assert await qr.locator("img").evaluate("img => img.complete && img.naturalWidth > 0")
    url = await qr.get_attribute("data-url")
    code = (await page.get_by_test_id("rejoin-code").locator("strong").text_content()).strip()
    answer = await page.evaluate(ASK, code)
    # the image shown is this symbol, and the symbol encodes exactly the link
    assert answer["url"] == url and answer["qr_svg"].encode() == _symbol(url)
    return code, url


async def test_one_scan_of_the_rejoin_qr_moves_the_seat(web_server, http, browser, problems):
    base = web_server.url
    session = await http.create(scenario="classic", copies=1, negotiation=False)
    first = await new_page(browser, problems, PHONE)
    await first.goto(f"{base}/join?code={session['code']}")
    await first.get_by_test_id("join-name").fill("Mia Park")
    await first.get_by_test_id("join-submit").click()
    await expect(first.get_by_test_id("firm-heading")).to_be_visible()
    firm = await first.get_by_test_id("firm-heading").text_content()
    code, url = await _rejoin_qr(first)
    await no_horizontal_overflow(first)
    await shot(first, "rejoin_qr_phone.png")
    # the link: the join page with the session's code; name and rejoin code only in the fragment
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == base and parts.path == "/join"
    assert parse_qs(parts.query) == {"code": [session["code"]]}
    assert parse_qs(parts.fragment) == {"name": ["Mia Park"], "rejoin": [code.replace("-", "")]}

    # a new phone opens the link (what the scan does): it is seated at once, the first phone signed out
    second = await new_page(browser, problems, PHONE)
    await second.goto(url)
    await expect(second.get_by_test_id("firm-heading")).to_have_text(firm)
    await expect(first.get_by_test_id("join-error")).to_contain_text("taken on another device")
    assert urlsplit(second.url).fragment == ""  # a reload does not try the used code again
    players = (await http.summary(session))["status"]["players"]
    assert [p["name"] for p in players] == ["Mia Park"]
    # the seat has a new code and a new QR code; the old link no longer moves it
    new_code, new_url = await _rejoin_qr(second)
    assert new_code != code and new_url != url
    third = await new_page(browser, problems, PHONE)
    await third.goto(url)
    await expect(third.get_by_test_id("join-error")).to_contain_text("not the seat's rejoin code")
    await expect(second.get_by_test_id("firm-heading")).to_have_text(firm)
    # the only console errors: the refused join of the used link (403 bad_rejoin_code)
    assert [int(p.split("status of ")[1][:3]) for p in problems.items if "status of " in p] == [403]
    assert [p for p in problems.items if "status of " not in p] == []


async def test_the_rejoin_link_route_checks_the_code_and_the_token(web_server, http):
    session = await http.create(scenario="classic", copies=1, negotiation=False)
    ann = await http.join(session["code"], "Ann")
    ben = await http.join(session["code"], "Ben")
    path = "/api/web/rejoin_link"
    cases = [(ann["player_token"], ann["rejoin_code"], 200, None),
             (ann["player_token"], ben["rejoin_code"], 403, "bad_rejoin_code"),  # another seat's code
             (ann["player_token"], "ZZZZZZ", 403, "bad_rejoin_code"),
             (session["facilitator_token"], ann["rejoin_code"], 403, "forbidden"),
             (None, ann["rejoin_code"], 401, "not_authenticated"),
             ("junk", ann["rejoin_code"], 401, "bad_token")]
    for token, code, status, error in cases:
        got, body = await http.request("POST", path, {"rejoin_code": code}, token=token)
        assert got == status, (token, code, body)
        if error:
            assert body["error"]["code"] == error
    got, body = await http.request("POST", path, {"rejoin_code": ann["rejoin_code"]}, token=ann["player_token"])
    assert "Ann" in body["url"] and "Ben" not in body["url"] and body["qr_svg"].startswith("<svg")
    for bad in ({}, {"rejoin_code": 7}, {"rejoin_code": "x" * 40}):
        got, body = await http.request("POST", path, bad, token=ann["player_token"])
        assert got == 400, (bad, body)
