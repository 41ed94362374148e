#!/usr/bin/env bash
# Tools the tests drive besides the browser: headless LibreOffice Calc (tests/test_export_formulas.py
# opens every CSV of a research export in it) and R's Rscript (tests/test_research_snippets.py runs
# every R snippet of docs/research.md against a real export). Installs what is missing when run as root; a no-op
# when everything is there. Without root it says what to install; the tests fail under CI=true
# when a tool is missing, and skip with that reason otherwise.
set -euo pipefail
missing=()
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-calc-nogui)
command -v Rscript >/dev/null 2>&1 || missing+=(r-base-core)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "missing test tools: install Debian's ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
fi
