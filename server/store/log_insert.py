"""The log rows of one commit, inserted a few statements at a time (SQLite).

`executemany` runs one statement per row, and every run releases the GIL and takes it
back: the writer thread waits for the event loop to give it up once per row. When the
loop is busy (a round's end builds a thousand views while its 1,255 rows are written)
each of those waits is up to the interpreter's switch interval, and the round's commit
took 170-230 ms for about 1 ms of disk (docs/benchmarks.md, "The writer's inserts").
One `INSERT ... VALUES (...), (...), ...` per chunk writes the same rows, in the same
order, with the same rowids, in one run of a statement.

Statement texts are cached by the connection (`cached_statements`, 128 by default): a
commit of n rows uses chunks of the largest size, then powers of two while more than
`EXACT` rows are left, then one statement of exactly the rows left (7 rows: one statement
of 7; 200: 128 and 72), so at most ~135 texts cover every commit (the writer's connection
caches 256) and none is compiled again. A commit of up to `EXACT` rows is one statement
(`statements`): the store then runs it without BEGIN/COMMIT (server/store/sqlite.py). That
is a third less of the writer's CPU per commit (benchmarks/writer_commit.py: inside an
explicit transaction a multi-row INSERT on a table with a unique index also keeps a
statement journal), and one release and re-take of the GIL per commit instead of one per
statement plus two.
"""
from __future__ import annotations

import sqlite3
from itertools import chain

LARGEST = 256  # rows in one statement at most (13 columns: 3,328 values, within any SQLite's limit since 3.32)
EXACT = 128    # a remainder of up to this many rows goes in one statement of exactly its size


def statement(columns: tuple[str, ...], rows: int) -> str:
    one = "(" + ", ".join("?" * len(columns)) + ")"
    return f"INSERT INTO log ({', '.join(columns)}) VALUES " + ", ".join([one] * rows)


class LogInserts:
    """The INSERTs of the log table for a connection whose limit on values per statement
    is `limit` (sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER; 999 before SQLite 3.32)."""

    def __init__(self, columns: tuple[str, ...], limit: int):
        largest = 1
        while largest * 2 <= LARGEST and largest * 2 * len(columns) <= limit:
            largest *= 2
        self.largest = largest
        self.exact = min(EXACT, largest)
        self.columns = columns
        self._texts = {n: statement(columns, n) for n in _powers(largest)}

    def sizes(self, rows: int) -> list[int]:
        """The rows of each statement for a commit of `rows` rows, in order."""
        out, left = [], rows
        while left > self.exact:
            n = self.largest
            while n > left:
                n //= 2
            out.append(n)
            left -= n
        if left:
            out.append(left)
        return out

    def statements(self, rows: int) -> int:
        return len(self.sizes(rows))

    def run(self, conn: sqlite3.Connection, rows: list[tuple]) -> None:
        """Insert `rows` (each a tuple in the order of `columns`) in their order."""
        at, texts = 0, self._texts
        for n in self.sizes(len(rows)):
            text = texts.get(n)
            if text is None:
                text = texts[n] = statement(self.columns, n)
            conn.execute(text, list(chain.from_iterable(rows[at:at + n])) if n > 1 else rows[at])
            at += n


def _powers(largest: int) -> list[int]:
    out, n = [], 1
    while n <= largest:
        out.append(n)
        n *= 2
    return out


def for_connection(conn: sqlite3.Connection, columns: tuple[str, ...]) -> LogInserts:
    return LogInserts(columns, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
