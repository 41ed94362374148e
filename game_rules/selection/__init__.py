"""Partner selection (GAME.md section 3, step 2); see `board`. The split follows."""
from .board import *  # noqa: F401,F403
