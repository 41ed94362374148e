"""One cell and one line of every CSV file the project writes (exports, replays): missing
values, booleans, numbers, maps and text in one documented form, and text that a
spreadsheet would run as a formula neutralised."""
from __future__ import annotations

import json
from typing import Iterable


# A spreadsheet (Excel, LibreOffice, Google Sheets) reads a cell starting with one of these
# as a formula ("CSV injection"); a leading tab or carriage return can hide one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(text: str) -> str:
    """A text cell as every CSV file writes it: one that starts like a formula gets a leading
    apostrophe (the OWASP remedy), so a spreadsheet shows it as text instead of running it.
    Only text comes here: numbers are written as numbers (a negative one stays a number).
    The JSON Lines and SQLite files of an export keep the text as it was typed."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_cell(v) -> str:
    """How every export writes a value: missing is an empty field (nothing else means
    missing); booleans `TRUE`/`FALSE` (the one spelling that both base R's `read.csv` and
    pandas' `read_csv` read as logical; R reads `true` as text); integers as digits;
    floats in the shortest form that reads back
    to the same number; maps and lists as JSON text; text through `spreadsheet_text`."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return spreadsheet_text(v)
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def csv_line(values: Iterable) -> str:
    """One line of every CSV file: each value through `csv_cell`, a field double-quoted (quotes
    doubled) when it holds a comma, a quote, a line feed or a carriage return, then `\n`.
    (Python's csv module leaves a lone carriage return unquoted when lines end in `\n`, and
    spreadsheets and pandas then cut the row there.)"""
    out = []
    for v in values:
        cell = csv_cell(v)
        if any(ch in cell for ch in ',"\n\r'):
            cell = '"' + cell.replace('"', '""') + '"'
        out.append(cell)
    return ",".join(out) + "\n"
