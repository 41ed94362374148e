"""Player names and participant labels as typed at `POST /api/join`, made safe to show.

A name is shown to the other players (team lists, chat senders, drafts), on the
facilitator's console and on the projector. So:

- invisible characters are removed: control characters (Unicode category Cc), format
  characters (Cf: the bidirectional overrides and isolates U+202A-U+202E and
  U+2066-U+2069 that reverse the text around them, the zero-width characters U+200B-U+200D,
  U+2060 and U+FEFF, soft hyphens...), unassigned and private-use code points, and a few
  letters that draw nothing (the Hangul fillers, the blank Braille pattern);
- every kind of space or line break becomes one ordinary space; spaces at both ends go;
- a name that is empty afterwards is refused (`bad_name`);
- a name that imitates a role is refused (`bad_name`): "facilitator", "server", "admin",
  "system", "moderator", "bot"... compared after compatibility normalisation (NFKC's
  full-width, circled and other compatibility letters become plain ones; accents are
  dropped), case folding, the usual Cyrillic and Greek lookalikes of Latin letters, and
  with everything but letters and digits left out, so "F a c i l i t a t o r",
  "facilitator!", "Sérvér" and "ＦＡＣＩＬＩＴＡＴＯＲ" are caught. Only the whole name:
  "Botond" or "Admin Team B" stay allowed.

Labels (lab mode, e.g. a student number) lose the same invisible characters (a label
pasted from a web page often carries a zero-width space) but are not compared with roles.
"""
from __future__ import annotations

import re
import unicodedata

from .protocol import ProtocolError

ROLE_NAMES = frozenset({
    "facilitator", "server", "admin", "administrator", "system", "moderator", "bot",
    "teacher", "instructor", "experimenter",
})

_REMOVED_CATEGORIES = {"Cc", "Cf", "Cn", "Co", "Cs"}
_BLANK_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u034f", "\u17b4", "\u17b5"}
_SPACES = re.compile(r"\s+")
# lookalikes of the letters of the role names (Cyrillic, Greek), folded after casefold
_LOOKALIKES = str.maketrans("аеосрхуіјѕԁһɡтмвкнαεικνορτυχ",
                            "aeocpxyijsdhgtmbkhaeiknoptux")


def visible_text(raw: str) -> str:
    """`raw` without invisible characters, its spaces and line breaks made single spaces."""
    kept = []
    for ch in raw:
        if ch.isspace() or unicodedata.category(ch) in ("Zl", "Zp"):
            kept.append(" ")  # tab, newline, no-break and other spaces: before Cc drops them
        elif unicodedata.category(ch) not in _REMOVED_CATEGORIES and ch not in _BLANK_LETTERS:
            kept.append(ch)
    return _SPACES.sub(" ", "".join(kept)).strip()


def role_key(name: str) -> str:
    """What a name is compared with the role names as."""
    # NFKD: the compatibility forms of NFKC (full-width, ligatures, circled letters), with
    # accents split off so that "Sérvér" is "server" too
    folded = unicodedata.normalize("NFKD", name).casefold().translate(_LOOKALIKES)
    return "".join(ch for ch in folded if ch.isalnum() and not unicodedata.combining(ch))


def clean_name(raw: str) -> str:
    """The player name to store and show, or `ProtocolError("bad_name")` saying why not."""
    name = visible_text(raw)
    if not name:
        raise ProtocolError("bad_name", "name: type a name with visible letters (control, zero-width and "
                                        "direction-changing characters are removed)")
    if role_key(name) in ROLE_NAMES:
        raise ProtocolError("bad_name", f"name: {name!r} looks like a role ({role_key(name)}); "
                                        "choose your own name")
    return name


def clean_label(raw: str | None) -> str | None:
    """A participant label without invisible characters; None when nothing is left."""
    if raw is None:
        return None
    return visible_text(raw) or None
