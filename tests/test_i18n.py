"""The language files of the web clients (issue 18, docs/languages.md), checked from the
source: every shipped language has a file the client can load, no file has a key English
lacks or a placeholder English does not fill, plural entries have their `other` form, no
"(s)" plural, the report lists what each language still shows in English, and no text is
put into a page outside the language files."""
from __future__ import annotations

import re
from pathlib import Path

from scripts import i18n_report
from scripts.i18n_report import COMPLETE, I18N, LANGUAGES, PLURAL_CATEGORIES, check_catalog, load_catalog

WEB = Path(__file__).resolve().parent.parent / "clients" / "web"


def test_every_shipped_language_has_a_file_the_client_lists():
    src = (WEB / "js" / "i18n.js").read_text("utf-8")
    listed = re.search(r"export const LANGUAGES = \{([^}]*)\}", src).group(1)
    codes = re.findall(r"\b([a-z]{2}):", listed)
    assert codes == ["en", *LANGUAGES]
    for code in LANGUAGES:
        assert (I18N / f"{code}.js").exists(), code


def test_no_language_file_has_a_stray_key_a_wrong_placeholder_or_a_plural_without_other():
    en = load_catalog(I18N / "en.js")
    assert len(en) > 800
    for code in LANGUAGES:
        r = check_catalog(en, load_catalog(I18N / f"{code}.js"))
        assert not r["extra"], (code, r["extra"])
        assert not r["placeholders"], (code, r["placeholders"])
        assert not r["plural_without_other"], (code, r["plural_without_other"])


def test_the_player_facing_core_is_translated_in_every_language():
    """The join page, the top bar, the tabs and the firm page: what every participant sees
    first. (The rest may fall back to English; the report lists it.)"""
    en = load_catalog(I18N / "en.js")
    core = [k for k in en if k.split(".")[0] in ("join", "tab", "conn", "phase", "clock", "lang")
            and not k.startswith("join.study")]
    for code in LANGUAGES:
        other = load_catalog(I18N / f"{code}.js")
        missing = [k for k in core if k not in other]
        assert not missing, (code, missing)
        assert all(other[k] != en[k] for k in ("join.title", "join.submit", "tab.round")), code


def test_french_covers_every_player_text():
    en = load_catalog(I18N / "en.js")
    fr = load_catalog(I18N / "fr.js")
    player = ("common", "guide", "join", "taken", "consent", "completion", "player", "tab", "deal", "alliance",
              "sel", "neg", "terms", "round", "dec", "res", "chart", "reason", "score", "chat", "announce", "error")
    missing = [k for k in en if k.split(".")[0] in player and k not in fr and k not in i18n_report.OPTIONAL]
    assert not missing, missing


def test_the_complete_languages_have_every_key_and_every_plural_form():
    """French, German and Spanish are complete: a key added to en.js (or removed from one of
    them) must be translated before this passes. Each plural entry gives every category the
    language's Intl.PluralRules has (Chromium agrees: tests/test_browser_languages.py)."""
    assert {"fr", "de", "es"} <= set(COMPLETE) <= set(LANGUAGES)
    en = load_catalog(I18N / "en.js")
    for code in COMPLETE:
        other = load_catalog(I18N / f"{code}.js")
        assert check_catalog(en, other) == {kind: [] for kind in check_catalog(en, en)}, code
        for k, entry in other.items():
            if isinstance(entry, dict):
                assert set(PLURAL_CATEGORIES[code]) <= set(entry), (code, k, sorted(entry))
        assert [k for k in en if k in other] == list(other), f"{code}.js is not in en.js's key order"
        assert i18n_report.main(["--strict", code]) == 0, code


def test_a_removed_key_or_a_plain_text_for_a_plural_fails_the_check(tmp_path, monkeypatch):
    """The check above is not blind: take a key out of a copy of fr.js, or write one form where
    English has several, and the strict report fails for that language."""
    text = (I18N / "fr.js").read_text("utf-8")
    (tmp_path / "en.js").write_text((I18N / "en.js").read_text("utf-8"), "utf-8")
    monkeypatch.setattr(i18n_report, "I18N", tmp_path)
    for broken in (text.replace('  "debrief.questions": "Questions pour le débriefing",\n', ""),
                   re.sub(r'(?m)^  "room.joined": .*$', '  "room.joined": "{n} joueurs inscrits",', text)):
        assert broken != text
        (tmp_path / "fr.js").write_text(broken, "utf-8")
        assert i18n_report.main(["--strict", "fr"]) == 1
    (tmp_path / "fr.js").write_text(text, "utf-8")
    assert i18n_report.main(["--strict", "fr"]) == 0
    assert i18n_report.main(["--strict", "xx"]) == 2          # an unknown code is an error, not a pass


def test_no_plural_is_written_with_parentheses():
    for path in I18N.glob("*.js"):
        for k, entry in load_catalog(path).items():
            for text in ([entry] if isinstance(entry, str) else entry.values()):
                assert not re.search(r"\w\((s|es|x|e)\)", text), (path.name, k, text)


def test_the_report_lists_what_falls_back_to_english(capsys):
    assert i18n_report.main([]) == 0
    out = capsys.readouterr().out
    for code in LANGUAGES:
        line = next(ln for ln in out.splitlines() if ln.startswith(f"  {code}: "))
        missing = len(i18n_report.catalog_report()[code]["missing"])
        assert f"({missing} missing," in line
    total_missing = sum(len(r["missing"]) for r in i18n_report.catalog_report().values())
    assert (i18n_report.main(["--strict"]) == 1) == (total_missing > 0)


# ---- no text put into a page outside the language files ----------------------------------------

# where a string reaches the screen: a text/label/placeholder/title attribute, textContent
_SINK = re.compile(r"""(?:\btext:|textContent\s*=|placeholder:|"aria-label":|\btitle:|\balt:)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`)""")
# a bare string child of h(...): h("p", {...}, "words")
_CHILD = re.compile(r"""\bh\("[a-z0-9]+",\s*(?:\{[^{}]*\}|null)\s*,\s*("(?:[^"\\]|\\.)*")""")
_WORD = re.compile(r"[A-Za-z\u00C0-\u024F\u4E00-\u9FFF]{2,}")
# literals that are not language: the language names in their own language (the switcher)
ALLOWED: set[str] = set()


def _words(literal: str) -> bool:
    body = re.sub(r"\$\{[^}]*\}", "", literal[1:-1])
    return bool(_WORD.search(body)) and literal[1:-1] not in ALLOWED


def test_no_text_is_put_into_a_page_outside_the_language_files():
    found = []
    for path in sorted((WEB / "js").glob("*.js")):
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if line.lstrip().startswith("//"):
                continue
            for m in [*_SINK.finditer(line), *_CHILD.finditer(line)]:
                if _words(m.group(1)):
                    found.append(f"{path.name}:{n}: {m.group(1)}")
    assert not found, "texts outside i18n/*.js:\n" + "\n".join(found)
    for page in WEB.glob("*.html"):
        html = page.read_text("utf-8")
        body = re.sub(r"<(script|style|title)[^>]*>.*?</\1>", "", html, flags=re.S)  # <title>: applyI18n sets it
        texts = [x.strip() for x in re.findall(r">([^<]+)<", body) if _WORD.search(x)]
        assert not texts, (page.name, texts)


def test_the_scan_finds_a_hard_coded_text():
    """The scan above is not blind: a line such as the code had would be found."""
    assert _words(_SINK.search('h("p", { text: "Waiting for players" })').group(1))
    assert _words(_CHILD.search('h("span", {}, "Round over")').group(1))
    assert not _words(_SINK.search('h("span", { text: `${a} → ${b}` })').group(1))
