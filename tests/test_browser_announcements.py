"""What a screen reader hears, read from the live regions (aria-live, role=status/alert/log)
of a phone playing in real Chromium. Orca 43 on this machine (docs/accessibility.md,
scripts/screen_reader_check.sh) read "Connected" twice at the join and the partner's offer
twice: a region whose text is written again with the same words is announced again. And the
round form's per-row notes, live from the start, read "0%" and "–" as the form appeared,
before the student had touched anything (an `<output>` is a live region by default).

Every change of a live region's text is recorded by a MutationObserver installed before the
page's own scripts run. Fixtures from tests/test_browser_game.py."""
from __future__ import annotations

from a11y_tools import PHONE
from test_browser_game import (  # noqa: F401 (fixtures are used by name)
    browser, expect, http, join, new_page, problems, web_server)

# Each live region gets an id the first time it changes; every change is (id, text after).
RECORD = """(() => {
  window.__said = [];
  const live = (n) => n && n.closest && n.closest('[aria-live]:not([aria-live="off"]),[role=status],[role=alert],[role=log],output:not([aria-live="off"])');
  // what a reader speaks of a change: the added nodes' text (a live region reads additions),
  // or the changed text; never what is aria-hidden
  const spoken = (n) => {
    if (n.nodeType === 3) return n.data;
    if (n.nodeType !== 1 || n.closest('[aria-hidden=true]')) return '';
    const c = n.cloneNode(true);
    c.querySelectorAll('[aria-hidden=true]').forEach((x) => x.remove());
    return c.textContent || '';
  };
  let next = 0;
  new MutationObserver((records) => {
    const byRegion = new Map();
    for (const r of records) {
      const el = live(r.target.nodeType === 1 ? r.target : r.target.parentElement);
      if (!el || !el.isConnected) continue;
      const at = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      if (at && at.closest('[aria-hidden=true]')) continue;
      const parts = byRegion.get(el) || [];
      if (r.type === 'characterData') parts.push(spoken(r.target));
      else r.addedNodes.forEach((n) => parts.push(spoken(n)));
      byRegion.set(el, parts);
    }
    for (const [el, parts] of byRegion) {
      if (!el.dataset.liveId) el.dataset.liveId = String(++next);
      window.__said.push([el.dataset.liveId, parts.join(' ').replace(/\\s+/g, ' ').trim(), el.className || el.tagName]);
    }
  }).observe(document, { subtree: true, childList: true, characterData: true });
})();"""


def repeats(said: list[list[str]]) -> list[str]:
    """A region that says again, word for word, what it last said."""
    last: dict[str, str] = {}
    out = []
    for rid, text, cls in said:
        if text and last.get(rid) == text:
            out.append(f"{cls}: {text!r}")
        last[rid] = text
    return out


async def test_nothing_is_announced_twice_and_the_form_is_quiet_until_touched(web_server, http, browser, problems):
    base = web_server.url
    session = await http.create(scenario="classic", rounds=2)
    ann = await new_page(browser, problems, PHONE)
    await ann.add_init_script(RECORD)
    await join(ann, base, session["code"], "Ann")
    bea = await new_page(browser, problems)
    await join(bea, base, session["code"], "Bea")
    await http.control(session, "start")

    # Bea's offer reaches Ann; Ann accepts it; the round form appears
    await bea.get_by_test_id("send-offer").click()
    await expect(ann.get_by_test_id("neg-status")).to_contain_text("offer #1")
    await ann.get_by_test_id("standing-offer").get_by_test_id("accept").click()
    await expect(ann.get_by_test_id("budget-remaining")).to_be_visible()
    await expect(ann.get_by_test_id("submit-decision")).to_be_enabled()
    said = await ann.evaluate("window.__said")
    assert [s for s in said if s[1] == "Connected"], "the recorder saw no live region at all"
    assert repeats(said) == []
    # the form said nothing of itself while it was built (an <output> is a live region
    # unless told otherwise: Orca read the sliders' "0%" as the round started)
    form = [s for s in said if s[1] and any(c in s[2] for c in ("row-note", "reveal-out", "split-out", "OUTPUT"))]
    assert form == []

    # the signing is said once (the status line), not again by a toast
    assert len([s for s in said if "signed" in s[1]]) == 1, [s for s in said if "signed" in s[1]]

    # a change the student makes is still announced by its row
    box = ann.locator("[data-testid^='pt-']").first
    await box.fill("3")
    await box.press("Tab")
    await expect(ann.get_by_test_id("budget-remaining")).not_to_contain_text("85 of 100")
    said = await ann.evaluate("window.__said")
    assert repeats(said) == []

    # submitting is said once (the banner), not again by a toast
    await ann.get_by_test_id("submit-decision").click()
    await expect(ann.get_by_test_id("submitted-banner")).to_be_visible()
    said = await ann.evaluate("window.__said")
    assert len([s for s in said if "Submitted" in s[1]]) == 1, [s for s in said if "Submitted" in s[1]]
    # nothing says a bare dash (a value not known yet, read as "en dash")
    assert [s for s in said if s[1] in ("–", "-")] == []
    problems.check()
