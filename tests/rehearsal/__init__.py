"""The class on the day, rehearsed in real Chromium (issue 15): tests/test_browser_rehearsal.py
runs the named steps of steps.py in order on one Day (day.py)."""
