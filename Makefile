# The two commands a newcomer needs (see README.md):
#   make run    install, then start the server on http://127.0.0.1:8080 (SQLite in ./data)
#   make test   install everything the tests need, then run the whole test suite
PYTHON ?= python3

.PHONY: run demo test install install-test

install:
	$(PYTHON) -m pip install -q -e .

install-test:
	$(PYTHON) -m pip install -q -e '.[test]'
	bash scripts/install_browser.sh
	bash scripts/install_test_tools.sh
	bash scripts/install_axe.sh
	bash scripts/install_esbuild.sh
	bash scripts/install_postgres.sh

run: install
	$(PYTHON) run.py

demo: install
	$(PYTHON) run.py --demo

# pytest exits 5 when it collected no test: that must fail, never pass silently.
test: install-test
	$(PYTHON) -m pytest -q -p no:cacheprovider; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "no tests were collected" >&2; exit 1; fi; exit $$rc
