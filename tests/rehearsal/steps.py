"""The day of a class, step by step, as the facilitator and the students do it in the browser
(docs/facilitator.md walks through the same day). Each step is an `async def step(day)` that
acts through the pages only, waits on what the screens show (never on time) and ends by
photographing every screen (day.py). STEPS is the order of the day: a step added later (a
practice round, a results break, an undo) goes into that list where it happens.

Reads of the server's state (`summary`) only check what the screens claimed.
"""
from __future__ import annotations

import re
import zipfile
from urllib.parse import urlsplit

import aiohttp
from playwright.async_api import expect

from conftest import TEST_ADMIN_KEY

# the class list: 24 students, and one who comes late
CLASS = ["Amara Okafor", "Ben Carter", "Chloé Dubois", "Dev Patel", "Elif Yilmaz", "Felix Braun",
         "Grace Liu", "Hugo Silva", "Ines Moreau", "Jonas Berg", "Kira Sato", "Liam Walsh",
         "Maya Cohen", "Noah Fischer", "Olga Ivanova", "Pablo Ruiz", "Quinn Hayes", "Rosa Costa",
         "Sami Haddad", "Tara Singh", "Umar Farouk", "Vera Novak", "Wen Zhao", "Yusuf Demir"]
LATE = "Zoe Martin"
ROUNDS = 3
COPIES = 3  # classic: two firms a copy, six firms of four students


async def summary(day) -> dict:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{day.base}/api/sessions/{day.session['session_id']}",
                            headers={"Authorization": f"Bearer {day.session['token']}"}) as r:
            assert r.status == 200, await r.text()
            return await r.json()


async def each_phone(day, check) -> None:
    for name, page in day.phones.items():
        await check(name, page)


# ---- before the class ---------------------------------------------------------------------------

async def connect_the_room(day) -> None:
    """The server was started with `python run.py --lan --advertise ROOM`: it listens on every
    interface, and the links it prints name the room's address, not 127.0.0.1; the phones
    open them there (see ROOM in tests/test_browser_rehearsal.py)."""
    host = urlsplit(day.base).hostname
    assert host == day.lan_ip and host != "127.0.0.1", (host, day.lan_ip)


async def create_the_session(day) -> None:
    """The facilitator opens the console at the LAN address, pastes the admin key and creates
    the session: the join link and its QR code name the LAN address, with no warning."""
    day.console = await day.new_desk()
    fac = day.console
    await fac.goto(f"{day.base}/console")
    await fac.get_by_test_id("create-scenario").select_option("classic")
    await fac.get_by_test_id("create-copies").fill(str(COPIES))
    await fac.get_by_test_id("create-rounds").fill(str(ROUNDS))
    await fac.locator("#c-title").fill("Rehearsal, Monday 9:00")
    await fac.locator("#c-round_minutes").fill("30")   # a rehearsal's steps take minutes on a busy machine
    await fac.locator("#c-neg_minutes").fill("30")
    await fac.get_by_test_id("create-practice").check()                 # a practice round first
    await fac.get_by_test_id("create-break").select_option("manual")    # a results break between rounds
    await fac.get_by_test_id("create-admin-key").fill(TEST_ADMIN_KEY)
    await fac.get_by_test_id("create-submit").click()
    await expect(fac.get_by_test_id("join-code")).to_have_text(re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$"))
    creds = await fac.evaluate("() => JSON.parse(localStorage.getItem('alliance.facilitator'))")
    shown = (await fac.get_by_test_id("join-code").inner_text()).strip()  # as the projector shows it: ABCD-EFGH
    day.session = {"token": creds["token"], "session_id": creds["session_id"], "code": shown}
    url = (await fac.get_by_test_id("join-url").inner_text()).strip()
    assert url.startswith(f"{day.base}/join?code="), (url, day.base)
    day.session["join_url"] = url
    # (a loopback room address: the console rightly says only this computer opens it; the
    # no-warning case at a LAN address is tests/test_browser_lan.py's)
    await expect(fac.get_by_test_id("qr")).to_be_visible()
    day.firm_names = {f: v["name"] for f, v in (await summary(day))["firms"].items()}
    assert len(day.firm_names) == 2 * COPIES
    await day.photograph("create_the_session")


async def _join(day, name: str):
    """A phone opens the join link from the projector, types a name and joins."""
    page = await day.new_phone(name)
    await page.goto(day.session["join_url"])
    await expect(page.get_by_test_id("join-code")).to_have_value(day.session["code"])
    await page.get_by_test_id("join-name").fill(name)
    await page.get_by_test_id("join-submit").click()
    await expect(page.get_by_test_id("firm-heading")).to_have_count(1)   # (a late joiner lands on the Round tab)
    await expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "open")
    return page


async def phones_join(day) -> None:
    """24 phones join through the LAN link, a few at a time as a room does."""
    import asyncio
    for i in range(0, len(CLASS), 4):
        batch = CLASS[i:i + 4]
        for name, page in zip(batch, await asyncio.gather(*(_join(day, n) for n in batch))):
            day.phones[name] = page
    await expect(day.console.get_by_test_id("lobby-count")).to_contain_text(f"{len(CLASS)} players joined")
    await day.photograph("phones_join")


async def form_teams_from_the_list(day) -> None:
    """The facilitator uploads the class list (name, firm by its name), previews and applies it;
    every phone then shows the firm the list gave it."""
    firms = sorted(day.firm_names)
    day.teams = {f: [n for i, n in enumerate(CLASS) if firms[i % len(firms)] == f] for f in firms}
    roster = day.scratch / "class-list.csv"
    roster.write_text("name,firm\n" + "".join(f"{n},{day.firm_names[day.team_of(n)]}\n" for n in CLASS), "utf-8")
    fac = day.console
    form = fac.get_by_test_id("team-formation")
    await form.locator("summary").click()
    await fac.get_by_test_id("form-method").select_option("list")
    await fac.get_by_test_id("form-file").set_input_files(str(roster))
    await fac.get_by_test_id("form-preview-go").click()
    await expect(fac.get_by_test_id("form-shape")).to_have_text(f"{len(CLASS)} students in {len(firms)} firms: "
                                                                f"{len(firms)} firms of 4.")
    await form.scroll_into_view_if_needed()
    await day.console.screenshot(path=str(day.shots / f"{day.shot_count:02d}_form_teams_preview_console.png"))
    await fac.get_by_test_id("form-apply").click()
    for f, names in day.teams.items():
        await expect(fac.get_by_test_id(f"firm-{f}").get_by_test_id("player-row")).to_have_count(4)
    for name, page in day.phones.items():
        await expect(page.get_by_test_id("firm-heading")).to_have_text(day.firm_names[day.team_of(name)])
    players = {p["name"]: p["firm"] for p in (await summary(day))["status"]["players"]}
    assert players == {n: day.team_of(n) for n in CLASS}
    await day.photograph("form_teams_from_the_list")


# ---- the practice round -------------------------------------------------------------------------

async def practice_round(day) -> None:
    """Round 0, unscored, against an imagined partner: four teams submit on their phones, the
    facilitator ends it for the other two, every phone shows its practice result."""
    fac = day.console
    start = fac.get_by_test_id("ctl-start")
    await expect(start).to_have_text("Start: the practice round")
    await start.click()
    await each_phone(day, lambda _, p: expect(p.get_by_test_id("practice-banner")).to_contain_text(
        "Practice round — does not count"))
    firms = sorted(day.teams)
    for firm in firms[:4]:
        a = day.phones[day.teams[firm][0]]
        await a.get_by_test_id("tab-round").click()
        await a.get_by_test_id("submit-decision").click()
        await expect(a.get_by_test_id("practice-status")).to_contain_text("submitted by")
    await day.photograph("practice_round_submitted")
    await fac.get_by_test_id("ctl-end_practice").click()
    await expect(fac.get_by_test_id("practice-state")).to_contain_text("Practice round over")
    await each_phone(day, lambda _, p: expect(p.get_by_test_id("practice-result")).to_contain_text("not scored"))
    await day.photograph("practice_round")


# ---- the negotiation ----------------------------------------------------------------------------

async def negotiate(day) -> None:
    """Copy 1 negotiates on its phones (offer, counter-offer, accept); the facilitator ends the
    negotiation for the two copies still talking, signing them the default terms."""
    fac = day.console
    await fac.get_by_test_id("ctl-start_real").click()   # after the practice round: the real game
    await expect(fac.get_by_test_id("practice-state")).to_have_count(0)
    west, east = day.phones[day.teams["west1"][0]], day.phones[day.teams["east1"][0]]
    await expect(west.get_by_test_id("neg-status")).to_contain_text("No offer yet")
    await west.get_by_test_id("split").fill("55")
    await west.get_by_test_id("send-offer").click()
    offer = east.get_by_test_id("standing-offer")
    await expect(offer.locator('[data-term="split"]')).to_have_text("you 45% · partner 55%")
    teammate = day.phones[day.teams["east1"][1]]  # the team sees the offer too
    await expect(teammate.get_by_test_id("standing-offer")).to_contain_text("Offer #1 from Westward Devices 1")
    await day.photograph("negotiate_offer")
    await offer.get_by_test_id("counter").click()
    await east.get_by_test_id("split").fill("50")
    await east.get_by_test_id("send-offer").click()
    mine = west.get_by_test_id("standing-offer")
    await expect(mine.locator('[data-term="split"]')).to_have_text("you 50% · partner 50%")
    await mine.get_by_test_id("accept").click()
    await expect(fac.get_by_test_id("ctl-advance")).to_be_enabled()
    await fac.get_by_test_id("ctl-advance").click()  # End the negotiation now: it asks first
    dialog = fac.locator("dialog.confirm")
    await expect(dialog).to_contain_text("Westward Devices 2")
    await expect(dialog).to_contain_text("Orient Precision 3")
    await fac.screenshot(path=str(day.shots / f"{day.shot_count:02d}_negotiate_end_asks_console.png"))
    await fac.get_by_test_id("choice-pair").click()
    await expect(fac.get_by_test_id("neg-a2")).to_contain_text("the default terms were signed")
    await each_phone(day, lambda n, p: expect(p.get_by_test_id("round-title")).to_have_text(f"Round 1 of {ROUNDS}"))
    alliances = (await summary(day))["alliances"]
    assert sorted(a["status"] for a in alliances.values()) == ["active"] * COPIES, alliances
    await day.photograph("negotiate")


# ---- the rounds ---------------------------------------------------------------------------------

async def _draft_and_submit(day, firm: str, points: int, closes: bool = False) -> None:
    """One student moves points in the team's draft, a teammate sees it, the first submits
    (and the teammate sees who did, unless this submission `closes` the round: then the
    results break follows at once, checked by the caller)."""
    names = [n for n in day.teams[firm] if n in day.phones]
    a, b = day.phones[names[0]], day.phones[names[-1]]
    await a.get_by_test_id("tab-round").click()
    field = a.locator("#panel-round input[data-testid^='pt-develop.']").first
    testid = await field.get_attribute("data-testid")
    await field.fill(str(points))
    await expect(b.get_by_test_id(testid)).to_have_value(str(points))
    await a.get_by_test_id("submit-decision").click()
    if not closes:
        await expect(b.get_by_test_id("submitted-banner")).to_contain_text(f"Submitted by {names[0]}")


def play_round(n: int, end_early: bool = False):
    """Round n: every team drafts and submits on its phones; with `end_early` one firm has
    not submitted and the facilitator ends the round (it names that firm first)."""
    async def step(day) -> None:
        firms = sorted(day.teams)
        late = firms[-1] if end_early else None
        await each_phone(day, lambda _, p: expect(p.get_by_test_id("round-title")).to_have_text(f"Round {n} of {ROUNDS}"))
        playing = [f for f in firms if f != late]
        for i, firm in enumerate(playing):
            await _draft_and_submit(day, firm, 5 + i, closes=not late and i == len(playing) - 1)
        await day.photograph(f"round_{n}_submitted")
        if late:
            fac = day.console
            await fac.get_by_test_id("ctl-end_round").click()
            dialog = fac.locator("dialog.confirm")
            await expect(dialog).to_contain_text("have not submitted")
            await expect(dialog).to_contain_text(day.firm_names[late])
            await fac.screenshot(path=str(day.shots / f"{day.shot_count:02d}_round_{n}_end_asks_console.png"))
            await fac.get_by_test_id("confirm-ok").click()
        if n < ROUNDS:   # the results break: every phone waits on its results
            await expect(day.console.get_by_test_id("break-line")).to_contain_text(f"Results break after round {n}")
            for name, page in day.phones.items():
                await page.get_by_test_id("tab-round").click()
                await expect(page.get_by_test_id("round-idle")).to_contain_text("Waiting for the next round")
                await page.get_by_test_id("tab-results").click()
        else:
            await each_phone(day, lambda _, p: expect(p.get_by_test_id("final-score")).to_contain_text(
                re.compile(rf"(1st|2nd|3rd|[4-6]th) of {2 * COPIES}")))
        await day.photograph(f"round_{n}_results")
    step.__name__ = f"play_round_{n}"
    return step


def results_break(n: int):
    """The projector shows the standings after round n while the class looks at its results;
    the facilitator then says Next round and every phone gets round n + 1."""
    async def step(day) -> None:
        room = day.problems.watch(await day.console.context.new_page())   # the console's laptop, on the projector
        await room.set_viewport_size({"width": 1280, "height": 720})
        await room.goto(f"{day.base}/projector")
        await expect(room.get_by_test_id("room-standings")).to_contain_text(f"Standings after round {n} of {ROUNDS}")
        await day.photograph(f"results_break_{n}", {"projector": room})
        await room.close()
        await day.console.get_by_test_id("ctl-next_round").click()
        await each_phone(day, lambda _, p: expect(p.get_by_test_id("round-title")).to_have_text(
            f"Round {n + 1} of {ROUNDS}"))
        await day.photograph(f"next_round_{n + 1}")
    step.__name__ = f"results_break_{n}"
    return step


async def undo_a_round_closed_too_early(day) -> None:
    """Round 2 was ended while a team was still deciding: the facilitator reopens it (it asks
    first), the decisions already submitted still count, the late team submits, and the round
    closes with everyone's decision; the break follows again."""
    fac = day.console
    late = sorted(day.teams)[-1]
    await fac.get_by_test_id("ctl-reopen_round").click()
    await expect(fac.locator("dialog.confirm")).to_be_visible()
    await fac.get_by_test_id("confirm-ok").click()
    await expect(fac.get_by_test_id("phase-line")).to_contain_text(f"Round 2 of {ROUNDS}")
    await expect(fac.get_by_test_id("ctl-reopen_round")).to_have_count(0)
    first = day.phones[[n for n in day.teams[sorted(day.teams)[0]] if n in day.phones][0]]
    await first.get_by_test_id("tab-round").click()
    await expect(first.get_by_test_id("submitted-banner")).to_contain_text("Submitted by")  # still counts
    await _draft_and_submit(day, late, 9, closes=True)  # the last decision closes the round again
    await expect(fac.get_by_test_id("break-line")).to_contain_text("Results break after round 2")
    await day.photograph("undo_a_round_closed_too_early")


# ---- seats during the game ----------------------------------------------------------------------

async def move_to_a_new_device(day) -> None:
    """A student's phone dies: on a borrowed phone the name is taken, the rejoin code from the
    first phone moves the seat, and the first phone is signed out saying why."""
    name = day.teams["west2"][1]
    old = day.phones[name]
    await old.get_by_test_id("tab-firm").click()
    code = (await old.get_by_test_id("rejoin-code").locator("strong").inner_text()).strip()
    new = await day.new_phone(name)
    await new.goto(day.session["join_url"])
    await new.get_by_test_id("join-name").fill(name)
    await new.get_by_test_id("join-submit").click()
    await expect(new.get_by_test_id("name-taken")).to_contain_text("is already playing in this session")
    day.expected_refusals.append(409)  # Chromium logs the refused join (name_taken) as a console error
    await day.photograph("move_name_taken", {f"{name} new phone": new})
    await new.get_by_test_id("taken-code").fill(code)
    await new.get_by_test_id("taken-take").click()
    await expect(new.get_by_test_id("firm-heading")).to_have_text(day.firm_names["west2"])
    await expect(old.get_by_test_id("join-error")).to_contain_text("taken on another device")
    day.phones[name] = new
    players = [p for p in (await summary(day))["status"]["players"] if p["name"] == name]
    assert len(players) == 1 and players[0]["firm"] == "west2", players
    await day.photograph("move_to_a_new_device", {f"{name} old phone": old})


async def a_late_joiner(day) -> None:
    """A student arrives during round 2 and joins from the projector's code."""
    page = await _join(day, LATE)
    await expect(page.get_by_test_id("round-title")).to_have_text(f"Round 2 of {ROUNDS}")
    firm = next(p["firm"] for p in (await summary(day))["status"]["players"] if p["name"] == LATE)
    await expect(page.get_by_test_id("firm-heading")).to_have_text(day.firm_names[firm])
    await expect(day.console.get_by_test_id(f"firm-{firm}")).to_contain_text(LATE)
    day.phones[LATE] = page
    day.teams[firm].append(LATE)
    await day.photograph("a_late_joiner")


async def remove_a_player(day) -> None:
    """A student who left the room is removed on the console (it asks first): their phone is
    signed out saying so, their team plays on."""
    name = day.teams["east3"][-1]
    fac = day.console
    row = fac.get_by_test_id("player-row").filter(has_text=name)
    await row.get_by_role("button", name=f"Remove {name} from the session").click()
    await expect(fac.locator("dialog.confirm")).to_contain_text(f"Remove {name}?")
    await fac.get_by_test_id("confirm-ok").click()
    page = day.phones.pop(name)
    await expect(page.get_by_test_id("join-error")).to_contain_text("the facilitator removed you")
    await expect(fac.get_by_test_id("player-row").filter(has_text=name)).to_have_count(0)
    assert name not in {p["name"] for p in (await summary(day))["status"]["players"]}
    await day.photograph("remove_a_player", {f"{name} removed": page})


# ---- the end ------------------------------------------------------------------------------------

async def end_the_session(day) -> None:
    """The facilitator keeps the console's link for the office laptop, then ends the session
    (it asks first): the console says it has ended and offers the debrief."""
    fac = day.console
    await fac.get_by_test_id("another-device").click()
    day.console_link = (await fac.get_by_test_id("device-link").inner_text()).strip()
    assert day.console_link.startswith(f"{day.base}/console#"), day.console_link
    await fac.get_by_test_id("confirm-cancel").click()
    await fac.get_by_test_id("ctl-end_session").click()
    await expect(fac.locator("dialog.confirm")).to_contain_text("End the session for everyone?")
    await fac.get_by_test_id("confirm-ok").click()
    await expect(fac.get_by_test_id("archived-note")).to_contain_text("This session has ended")
    assert (await summary(day))["session"]["status"] == "ended"
    await day.photograph("end_the_session")


async def debrief_and_export_from_a_fresh_browser(day) -> None:
    """After class, on another computer: the console link opens the ended session read-only,
    with its debrief and its research export."""
    desk = await day.new_desk()
    await desk.goto(day.console_link)
    note = desk.get_by_test_id("archived-note")
    await expect(note).to_contain_text("This session has ended")
    async with desk.expect_download() as dl:
        await note.get_by_test_id("export").click()
    download = await dl.value
    assert download.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(await download.path()) as archive:
        names = archive.namelist()
        assert any(n.endswith("codebook.md") for n in names), names
        players = next(n for n in names if n.endswith("players.csv"))
        rows = archive.read(players).decode("utf-8").strip().splitlines()
        # a header, then everyone who joined: the class and the late joiner; the removed student
        # stays recorded, the student who moved device is one seat
        assert len(rows) == 1 + len(CLASS) + 1, rows
    await desk.get_by_test_id("archived-debrief").click()
    await expect(desk.locator("body")).to_have_attribute("data-debrief", "ready")
    await expect(desk.get_by_test_id("ranking").locator("tbody tr")).to_have_count(2 * COPIES)
    await day.photograph("debrief_and_export_from_a_fresh_browser", {"fresh browser": desk})


STEPS = [
    connect_the_room,
    create_the_session,
    phones_join,
    form_teams_from_the_list,
    practice_round,
    negotiate,
    play_round(1),
    results_break(1),
    move_to_a_new_device,
    a_late_joiner,
    remove_a_player,
    play_round(2, end_early=True),
    undo_a_round_closed_too_early,
    results_break(2),
    play_round(3),
    end_the_session,
    debrief_and_export_from_a_fresh_browser,
]
