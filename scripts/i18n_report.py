"""The languages check: which keys each language file of the web clients lacks (they show in
English), which it has that English does not (typos, removed keys), and which placeholders do not
match English's. (Scenario texts are not translatable yet: docs/languages.md.)

    python -m scripts.i18n_report            # the report; exit 0
    python -m scripts.i18n_report --strict   # exit 1 when anything is missing or wrong
    python -m scripts.i18n_report --strict fr de es   # only these languages

docs/languages.md explains how to add or correct a language. tests/test_i18n.py runs this
check (every shipped language complete, placeholders kept).
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
I18N = ROOT / "clients" / "web" / "i18n"
LANGUAGES = ("fr", "es", "de", "zh", "pt")   # beyond English; the order of js/i18n.js's LANGUAGES
# the languages with every key of en.js (tests/test_i18n.py keeps them complete); the others
# still show some texts in English
COMPLETE = ("fr", "es", "de", "zh", "pt")
# Intl.PluralRules(code).resolvedOptions().pluralCategories: a complete language's plural entries
# give every one (French, Spanish and Portuguese `many`, e.g. 1 000 000, reads like `other` with digits);
# tests/test_browser_languages.py asks Chromium that these are right
PLURAL_CATEGORIES = {"fr": ("one", "many", "other"), "es": ("one", "many", "other"), "de": ("one", "other"),
                     "zh": ("other",), "pt": ("one", "many", "other")}
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# English's ordinal forms: a language whose Intl.PluralRules has no `two`/`few` needs none
OPTIONAL = {"ord.one", "ord.two", "ord.few", "ord.many", "ord.zero"}


def load_catalog(path: Path) -> dict[str, str | dict]:
    """A language file (`export default { "key": "text", ... };`, // comments on their own
    lines, trailing commas) as a dict. The files are data: this reads them without a JS engine."""
    lines = [ln for ln in path.read_text("utf-8").splitlines() if not ln.lstrip().startswith("//")]
    body = "\n".join(lines).strip()
    body = body.removeprefix("export default").strip().removesuffix(";")
    body = re.sub(r",(\s*[}\]])", r"\1", body)
    return json.loads(body)


def _forms(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value.values())


def _placeholders(value) -> set[str]:
    return {p for text in _forms(value) for p in PLACEHOLDER.findall(text)}


def check_catalog(en: dict, other: dict) -> dict[str, list[str]]:
    """missing keys, keys English lacks, keys whose {placeholders} differ, plural entries
    without the `other` form, and plural_shape: a plain text where English has plural forms
    (the reverse is fine: French needs forms for English's invariable "{n} new")."""
    missing = [k for k in en if k not in other and k not in OPTIONAL]
    extra = [k for k in other if k not in en]
    bad = [k for k in en if k in other and not _placeholders(other[k]) <= _placeholders(en[k])]
    no_other = [k for k, v in other.items() if isinstance(v, dict) and "other" not in v]
    shape = [k for k in en if k in other and isinstance(en[k], dict) and isinstance(other[k], str)]
    return {"missing": missing, "extra": extra, "placeholders": bad, "plural_without_other": no_other,
            "plural_shape": shape}


def catalog_report() -> dict[str, dict[str, list[str]]]:
    en = load_catalog(I18N / "en.js")
    out = {}
    for lang in LANGUAGES:
        path = I18N / f"{lang}.js"
        out[lang] = check_catalog(en, load_catalog(path)) if path.exists() else {"missing": list(en), "extra": [],
                                                                                    "placeholders": [], "plural_without_other": [],
                                                                                    "plural_shape": []}
    return out


def main(argv: list[str]) -> int:
    strict = "--strict" in argv
    only = [a for a in argv if not a.startswith("-")]
    unknown = [a for a in only if a not in LANGUAGES]
    if unknown:
        print(f"unknown language code(s): {', '.join(unknown)}; known: {', '.join(LANGUAGES)}", file=sys.stderr)
        return 2
    problems = 0
    en_keys = len(load_catalog(I18N / "en.js"))
    print(f"web clients: {en_keys} keys in en.js ({len(OPTIONAL & set(load_catalog(I18N / 'en.js')))} optional ordinal forms)")
    for lang, r in catalog_report().items():
        if only and lang not in only:
            continue
        counts = ", ".join(f"{len(v)} {k}" for k, v in r.items())
        print(f"  {lang}: {en_keys - len(r['missing'])}/{en_keys} translated ({counts})")
        for kind, keys in r.items():
            problems += len(keys)
            for k in keys[:50]:
                print(f"      {kind}: {k}")
            if len(keys) > 50:
                print(f"      ... and {len(keys) - 50} more {kind}")
    return 1 if strict and problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
