"""Scenario texts in other languages (issue 18, docs/languages.md): a `[translations.<lang>]`
table carries the case, debrief, title and each role's name and brief; a missing one falls
back to English and the validator lists it as a warning (not an error); `classic` ships in
fr, de, es, pt and zh; a player's view carries its own texts in the language it joined with."""
from __future__ import annotations

import pytest

from game_rules.scenario import ScenarioError, load_scenario, parse_scenario, scenario_text
from test_scenario import ROOT, run_cli

SHIPPED = ["de", "es", "fr", "pt", "zh"]


def test_classic_ships_every_text_in_five_languages():
    s = load_scenario("classic")
    assert sorted(s.translations) == SHIPPED
    assert s.missing_translations() == []
    for lang in SHIPPED:
        texts = s.texts_in(lang)
        assert texts["case"] != s.text.case and texts["debrief"] != s.text.debrief
        assert all(texts["roles"][r.id]["brief"] != r.brief for r in s.roles)


def test_a_region_tag_picks_its_language_and_an_unknown_one_falls_back_to_english():
    s = load_scenario("classic")
    assert s.texts_in("fr-CA")["case"] == s.translations["fr"].case
    assert s.texts_in("it")["case"] == s.text.case
    assert s.texts_in(None)["roles"]["west"] == {"name": "Westward Devices", "brief": s.role("west").brief}


def without_east_brief_in_german() -> str:
    text = scenario_text("classic")
    start = text.index("[translations.de.roles.east]")
    end = text.index("[translations.es]")
    return text[:start] + '[translations.de.roles.east]\nname = "Orient Precision"\n\n' + text[end:]


def test_a_missing_translation_is_a_warning_and_falls_back_to_english():
    s = parse_scenario(without_east_brief_in_german())
    assert s.missing_translations() == ["translations.de.roles.east.brief: missing"]
    assert s.texts_in("de")["roles"]["east"]["brief"] == s.role("east").brief


def test_the_validator_reports_a_missing_translation_as_a_warning(tmp_path):
    path = tmp_path / "classic_de.toml"
    path.write_text(without_east_brief_in_german(), encoding="utf-8")
    r = run_cli("validate", str(path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ok: classic (") and "translations: de, es, fr, pt, zh" in r.stdout
    assert r.stderr.strip() == "warning: translations.de.roles.east.brief: missing"
    ok = run_cli("validate", str(ROOT / "game_rules" / "scenarios" / "classic.toml"))
    assert ok.returncode == 0 and ok.stderr == ""


@pytest.mark.parametrize("table, problem", [
    ('[translations.fr.roles.north]\nname = "Nord"\n', "translations.fr.roles.north: unknown role"),
    ('[translations.en]\ncase = "x"\n', "translations.en: not a language code other than English"),
    ('[translations.fr.roles.west]\nmotto = "x"\n', "translations.fr.roles.west.motto: unknown key"),
])
def test_a_bad_translation_table_is_a_clear_error(table, problem):
    text = scenario_text("classic").replace("[translations.fr]\n", table + "\n[translations.fr]\n", 1)
    if table.startswith("[translations.fr.roles.west]"):
        text = scenario_text("classic").replace('[translations.fr.roles.west]\n', table, 1)
    with pytest.raises(ScenarioError) as e:
        parse_scenario(text)
    assert any(problem in p for p in e.value.problems), e.value.problems
