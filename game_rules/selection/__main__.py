"""`python -m game_rules.selection validate PATH | profiles SCENARIO`."""
import sys

from .board import main

sys.exit(main())
