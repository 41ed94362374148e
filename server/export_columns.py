"""A column of an export CSV file: what `server/codebook.py` documents for it. Shared by
`server/export.py` and `server/export_tidy.py` (kept apart so neither imports the other's
tables to describe its own)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str          # a name, or a pattern with <placeholders>
    type: str          # text | integer | real | boolean | json
    unit: str
    meaning: str


SESSION_COLUMNS = [Column("session_id", "text", "", "the session (`s_` + 16 hex characters)")]
