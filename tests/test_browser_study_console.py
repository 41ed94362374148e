"""The console creates a session from a study file (study.toml, docs/research.md), in
Debian's Chromium: the file is sent as it is, the session records its hash, a panel study's
link is shown to give to the panel, and a bad file is refused naming the field."""
from __future__ import annotations

import hashlib
from pathlib import Path

from conftest import TEST_ADMIN_KEY
from test_browser_game import browser, expect, new_page, problems, shot, web_server  # noqa: F401

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "studies" / "online_panel.toml"


async def test_the_console_creates_a_session_from_a_study_file(web_server, browser, problems, tmp_path):
    base, hub = web_server.url, web_server.hub
    page = await new_page(browser, problems)
    await page.goto(f"{base}/console")
    await page.get_by_test_id("create-admin-key").fill(TEST_ADMIN_KEY)
    # a broken file: refused, the field named, nothing created
    bad = tmp_path / "bad.toml"
    bad.write_text(EXAMPLE.read_text("utf-8").replace("rounds = 4", "rounds = 0"), "utf-8")
    await page.get_by_test_id("study-file").set_input_files(str(bad))
    await page.get_by_test_id("study-submit").click()
    await expect(page.get_by_test_id("study-error")).to_contain_text("session.rounds")
    assert hub.sessions == {}
    # the example study: created, its hash recorded, the panel's link shown
    await page.get_by_test_id("study-file").set_input_files(str(EXAMPLE))
    await page.get_by_test_id("study-submit").click()
    await expect(page.get_by_test_id("join-code")).to_be_visible()
    link = page.get_by_test_id("study-link")
    await expect(link).to_contain_text("PROLIFIC_PID=")
    await shot(page, "console_study_link.png", full_page=False)
    (actor,) = hub.sessions.values()
    sha = hashlib.sha256(EXAMPLE.read_text("utf-8").encode("utf-8")).hexdigest()
    assert actor.options["study_file"]["sha256"] == sha
    assert [p for p in problems.items if "status of 400" not in p] == []  # the refused file's 400 only
