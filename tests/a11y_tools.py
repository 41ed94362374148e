"""axe-core in a real page: inject the engine that `scripts/install_axe.sh` installed (npm,
pinned version, gitignored .test-tools/), run the WCAG 2.0/2.1 A and AA rules on the page as
it is, and sort what it finds by impact. Serious and critical findings fail the test that
asked; moderate and minor ones are collected for docs/accessibility.md.

The engine goes in through Playwright's `evaluate` (the DevTools protocol), which the pages'
strict Content-Security-Policy does not apply to, so the pages keep their policy as served."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

AXE_VERSION = "4.14.1"  # keep in step with scripts/install_axe.sh
AXE_JS = Path(__file__).resolve().parent.parent / ".test-tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
SIZES = {"phone": PHONE, "laptop": LAPTOP}
# moderate/minor findings of a run, for the docs (written where ALLIANCE_A11Y_REPORT points)
REPORT = os.environ.get("ALLIANCE_A11Y_REPORT")


def axe_source() -> str:
    if AXE_JS.exists():
        return AXE_JS.read_text(encoding="utf-8")
    why = "axe-core is not installed: run `bash scripts/install_axe.sh` (part of `make install-test`)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes") or os.geteuid() == 0:
        pytest.fail(why)
    pytest.skip(why + " as root")


# two animation frames: the page's ResizeObservers (scroll regions, sticky offsets) have run
# by then, for what a resize or a newly shown tab changed
AFTER_NEXT_FRAME = "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"

# run after that, so the audit sees what a person sees
RUN = """async (tags) => {
  await (""" + AFTER_NEXT_FRAME + """)();
  const res = await window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
  return res.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target.join(" "), html: n.html.slice(0, 160), summary: n.failureSummary })) }));
}"""


class Audit:
    """Runs axe at each named page state; `check()` fails on any serious or critical finding."""

    def __init__(self):
        self.source = axe_source()
        self.blocking: list[str] = []
        self.moderate: dict[str, set[str]] = {}
        self.states: list[str] = []

    async def run(self, page, state: str) -> list[dict]:
        if not await page.evaluate("() => !!window.axe"):
            version = await page.evaluate(self.source + "\n;window.axe.version")
            assert version == AXE_VERSION, f"axe-core {version} in .test-tools, the tests pin {AXE_VERSION}"
        found = await page.evaluate(RUN, WCAG_TAGS)
        self.states.append(state)
        for v in found:
            where = "; ".join(f"{n['target']} ({(n['summary'] or '').splitlines()[-1].strip()[:140]})" for n in v["nodes"][:4])
            if v["impact"] in BLOCKING:
                self.blocking.append(f"[{state}] {v['impact']} {v['id']}: {v['help']} at {where}")
            else:
                self.moderate.setdefault(f"{v['impact']} {v['id']}: {v['help']}", set()).add(state)
        return found

    async def at_sizes(self, page, state: str, sizes=SIZES) -> None:
        """The state at phone and laptop size; the page gets its own size back after."""
        own = page.viewport_size
        for name, size in sizes.items():
            await page.set_viewport_size(size)
            await self.run(page, f"{state} @{name}")  # (RUN waits for the resize observers' frame)
        await page.set_viewport_size(own)

    def check(self) -> None:
        if REPORT:
            Path(REPORT).write_text(json.dumps({k: sorted(v) for k, v in self.moderate.items()}, indent=1))
        assert not self.blocking, "serious or critical accessibility findings:\n" + "\n".join(self.blocking)


async def keep_toasts(page) -> None:
    """Toasts leave after a few seconds: pin a copy of each (same classes, same styles) in a
    box of its own so the audit that follows checks their contrast whatever the timers do."""
    await page.evaluate("""() => {
      const box = document.getElementById('toasts');
      if (!box) return;
      let pinned = document.getElementById('pinned-toasts');
      if (!pinned) { pinned = box.cloneNode(false); pinned.id = 'pinned-toasts'; pinned.removeAttribute('aria-live');
                     pinned.removeAttribute('role'); document.body.append(pinned); }
      for (const t of box.children) pinned.append(t.cloneNode(true));
    }""")
