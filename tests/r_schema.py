"""Base R reads every CSV of an export archive with the call docs/research.md documents, and
each column comes out as the codebook's type says: `boolean` as logical, `integer` and
`real` as numeric, `text` and `json` as character (an all-empty column is NA of any type).
Used by tests/test_research_snippets.py and tests/test_panel_study.py."""
from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path

from server import export as export_mod

R_CHECK = r"""
args <- commandArgs(trailingOnly = TRUE)
spec <- read.csv(args[2], na.strings = "", stringsAsFactors = FALSE)   # file, column, type
bad <- character(0)
for (f in unique(spec$file)) {
  d <- read.csv(unz(args[1], f), na.strings = "", check.names = FALSE, encoding = "UTF-8",
                stringsAsFactors = FALSE)
  cat(f, nrow(d), "rows\n")
  for (i in which(spec$file == f)) {
    col <- spec$column[i]; type <- spec$type[i]; x <- d[[col]]
    if (is.null(x)) { bad <- c(bad, paste(f, col, "missing")); next }
    if (all(is.na(x))) next
    ok <- switch(type, boolean = is.logical(x), integer = is.numeric(x), real = is.numeric(x),
                 text = is.character(x) || is.numeric(x) || is.logical(x), json = is.character(x))
    if (!ok) bad <- c(bad, paste(f, col, type, "read as", class(x)))
  }
}
if (length(bad)) { cat("BAD:", bad, sep = "\n"); quit(status = 1) }
cat("every file read\n")
"""


def _type_of(name: str, column: str) -> str:
    for c in export_mod.CSV_FILES[name]:
        if re.fullmatch(".+".join(re.escape(p) for p in re.split(r"<[a-z_]+>", c.name)), column):
            return c.type
    raise AssertionError(f"{name}: column {column!r} is not in the codebook")


def r_reads_every_csv(rscript: str, archive: Path, workdir: Path) -> str:
    """Run the check on every CSV of `archive`; returns R's output (fails the test on a problem)."""
    rows = ["file,column,type"]
    with zipfile.ZipFile(archive) as z:
        for name in z.namelist():
            if not name.endswith(".csv"):
                continue
            header = z.open(name).readline().decode("utf-8").rstrip("\n")
            for col in header.split(","):
                rows.append(",".join(json.dumps(x) for x in (name, col.strip('"'), _type_of(name, col.strip('"')))))
    spec = workdir / "r_schema_spec.csv"
    spec.write_text("\n".join(rows) + "\n", "utf-8")
    script = workdir / "r_schema.R"
    script.write_text(R_CHECK, "utf-8")
    ran = subprocess.run([rscript, "--vanilla", str(script), str(archive), str(spec)], capture_output=True,
                         text=True, timeout=300, cwd=workdir)
    assert ran.returncode == 0 and "every file read" in ran.stdout, ran.stdout + ran.stderr
    return ran.stdout
