"""Start the alliance game server: `python run.py [--host H] [--port P] [--db PATH]`."""
import sys

from server.cli import main

if __name__ == "__main__":
    sys.exit(main())
