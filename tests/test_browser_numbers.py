"""Numbers on the pages (clients/web/js/i18n.js) in real Chromium: a value that rounds to
zero at the digits shown is shown as zero, without a sign. A firm whose internal gain was
-0.0004 read "-0%" in the console's results table (seen playing a demo session at 1280x800):
a loss that is not one."""
from __future__ import annotations

import pytest

playwright_api = pytest.importorskip("playwright.async_api")

from test_browser_game import ARGS, CHROMIUM  # noqa: E402

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (scripts/install_browser.sh)")

FORMAT = """async (cases) => {
  const m = await import("/static/js/i18n.js");
  return cases.map(([fn, x, digits]) => m[fn](x, digits));
}"""

CASES = [  # (function, value, digits) -> text in English
    (("pct", -0.0004, 1), "0%"), (("pct", -0.00049, 1), "0%"), (("pct", -0.0005, 1), "-0.1%"),
    (("pct", 0.0004, 1), "0%"), (("pct", -0.004, 0), "0%"), (("pct", -0.012, 1), "-1.2%"),
    (("num", -0.04, 1), "0"), (("num", -0.05, 1), "-0.1"), (("num", -1e-12, 3), "0"), (("num", 2.5, 1), "2.5"),
    (("signed", -0.04, 1), "±0"), (("signed", 0.04, 1), "±0"), (("signed", -0.26, 1), "−0.3"), (("signed", 3, 1), "+3"),
    (("signedPct", -0.0004, 1), "±0%"), (("signedPct", -0.0123, 1), "−1.2%"), (("signedPct", 0.2, 1), "+20%"),
]


async def test_values_that_round_to_zero_show_no_sign(start_server):
    server = await start_server()
    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page(locale="en-US")
            await page.goto(f"{server.url}/join")   # a page of the server: the module's origin
            got = await page.evaluate(FORMAT, [list(c) for c, _ in CASES])
        finally:
            await browser.close()
    assert got == [want for _, want in CASES]


NOT_A_NUMBER = """async () => {
  const m = await import("/static/js/i18n.js");
  const values = [NaN, Infinity, -Infinity, 0 / 0, Number("12abc")];
  return ["num", "pct", "signed", "signedPct"].flatMap((fn) => values.map((x) => `${fn}: ${m[fn](x)}`));
}"""


async def test_a_value_that_is_not_a_number_shows_as_a_dash(start_server):
    """A share of nothing (0/0) or a ratio to zero must not reach a student as "NaN%" or
    "+∞": every number format shows "–" for it, as `num` did for NaN only."""
    server = await start_server()
    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page(locale="en-US")
            await page.goto(f"{server.url}/join")
            got = await page.evaluate(NOT_A_NUMBER)
        finally:
            await browser.close()
    assert got == [f"{fn}: –" for fn in ("num", "pct", "signed", "signedPct") for _ in range(5)], got
