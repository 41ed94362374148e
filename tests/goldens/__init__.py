"""Playthrough goldens (tests/goldens/harness.py): scripts of commands, and the transcripts
of facts and views they produced, compared by tests/test_goldens.py. Re-record with
`python -m tests.goldens --update` only for an intended behaviour change (docs/testing.md)."""
