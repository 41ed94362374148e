"""The facilitator guide names every console control by the label on its button, and the
protocol action behind it is a real one: a newcomer who reads "End this round now" finds
that button. Reads docs/facilitator.md, the console's text catalogue and the protocol."""
from __future__ import annotations

import re
from pathlib import Path

from scripts.i18n_report import load_catalog

from server.protocol import CONTROL_ACTIONS

ROOT = Path(__file__).resolve().parent.parent
GUIDE = (ROOT / "docs" / "facilitator.md").read_text("utf-8")
CATALOGUE = (ROOT / "clients" / "web" / "i18n" / "en.js").read_text("utf-8")
# the console's button texts: ctl.*, console.*, sessions.* and common.* (Cancel) entries of the catalogue
# (a plural entry gives one label per form: "Fill 1 empty firm with bots", "Fill 2 empty firms ...")
LABELS = [re.compile("^" + re.escape(v).replace(re.escape("{n}"), r"\d+") + "$")
          for k, entry in load_catalog(ROOT / "clients" / "web" / "i18n" / "en.js").items()
          if k.split(".")[0] in ("ctl", "console", "common", "sessions")
          for v in ([entry] if isinstance(entry, str) else entry.values())]
ACTION_WORDS = {a.replace("_", " ") for a in CONTROL_ACTIONS} | set(CONTROL_ACTIONS)


def _is_label(text: str) -> bool:
    return any(p.match(text) for p in LABELS)


def test_the_controls_list_names_buttons_and_real_actions():
    block = GUIDE[GUIDE.index("Console controls you will use"):GUIDE.index("**Download the research data (ZIP)**")]
    named = re.findall(r"\*\*([^*]+)\*\*(?:\s*\[`([a-z_]+)`\])?", block)
    assert len(named) >= 15, named
    for label, action in named:
        label = " ".join(label.split())
        assert _is_label(label), f"{label!r} is not a console button"
        assert not action or action in CONTROL_ACTIONS, f"{action!r} is not a control action"


def test_the_guide_never_names_a_control_by_its_protocol_action():
    bold = [" ".join(b.split()) for b in re.findall(r"\*\*([^*]+)\*\*", GUIDE)]
    wrong = [b for b in bold if b.lower() in ACTION_WORDS and not _is_label(b)]
    assert not wrong, f"say the button's label, not the action: {wrong}"


# every text of the web client's catalogue: the walk-through also names the phones' buttons
ANY_LABEL = [re.compile("^" + re.escape(v).replace(re.escape("{n}"), r"\d+") + "$")
             for v in re.findall(r'^\s*"[a-z_]+\.[a-z_0-9]+":\s*"([^"]*)"', CATALOGUE, re.M)]
WALK = GUIDE[GUIDE.index("### The day, step by step"):GUIDE.index("## 2. Two formats")]


def test_the_walk_through_names_real_buttons():
    named = [" ".join(b.split()) for b in re.findall(r"\*\*([^*]+)\*\*", WALK)]
    assert len(named) >= 20, named
    missing = [b for b in named if not any(p.match(b) for p in ANY_LABEL)]
    assert not missing, f"not a label of the console or the phones: {missing}"


def test_the_walk_through_is_the_rehearsed_day():
    """Its steps are the rehearsal's steps (tests/rehearsal/steps.py), in the same order."""
    from rehearsal.steps import STEPS
    steps = re.findall(r"^\s*\d+\. [^(\n]+\(`([a-z_0-9]+)`\)", WALK, re.M)
    assert steps == [s.__name__ for s in STEPS], steps
