"""The codebook is generated from the schemas and the committed copy must match it; every
name the generator reads has a meaning; the scenario can carry consent and a questionnaire."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from game_rules.scenario import ScenarioError, load_scenario, parse_scenario, scenario_text
from server import codebook
from server.export import CSV_FILES, FILE_DOCS

ROOT = Path(__file__).resolve().parent.parent


def test_committed_codebook_matches_the_schemas():
    committed = (ROOT / "docs" / "codebook.md").read_text(encoding="utf-8")
    assert committed == codebook.render_codebook(), "run: python -m server.codebook > docs/codebook.md"


def test_every_name_has_a_meaning():
    for t in codebook.fact_types():
        assert t in codebook.FACTS, t
    for cls in codebook.engine_event_classes():
        for f in dataclasses.fields(cls):
            assert f.name in codebook.EVENT_FIELDS, (cls.type, f.name)
    for table, cols in codebook._schema().items():
        assert set(c for c, _ in cols) == set(codebook.TABLES[table]), table
    for name, cols in CSV_FILES.items():
        assert name in FILE_DOCS
        names = [c.name for c in cols]
        assert len(names) == len(set(names)) and all(c.meaning and c.type for c in cols), name


def test_data_md_links_the_codebook_and_research_guide():
    data = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    assert "codebook.md" in data and "research.md" in data
    for fact in ("treatment_assigned", "consent_given", "consent_declined", "player_rejoined",
                 "questionnaire_answered"):
        assert f"`{fact}`" in data, fact


def test_scenario_consent_and_questionnaire():
    text = scenario_text("classic").replace("[text]", '[text]\nconsent = "I agree to take part."', 1)
    text += '\n[[questionnaire]]\nid = "fair"\ntext = "Was it fair?"\n\n' \
            '[[questionnaire]]\nid = "aim"\ntext = "Aim?"\nkind = "choice"\nchoices = ["learn", "earn"]\n'
    s = parse_scenario(text)
    assert s.text.consent == "I agree to take part."
    assert [(q.id, q.kind, q.points) for q in s.questionnaire] == [("fair", "scale", 5), ("aim", "choice", 5)]
    with pytest.raises(ScenarioError, match="questionnaire.0.kind"):
        parse_scenario(text.replace('kind = "choice"', 'kind = "essay"').replace(
            'id = "fair"\ntext = "Was it fair?"', 'id = "fair"\ntext = "Was it fair?"\nkind = "essay"'))
    assert load_scenario("classic").questionnaire == []
