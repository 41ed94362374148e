"""Start the alliance game server: `python run.py [--host H] [--port P] [--db PATH]`;
`python run.py --demo` also opens a demo session (bots in every seat but one) and prints its links."""
import sys

from clients.python.launcher import main  # the server (server/cli.py) with the demo beside it

if __name__ == "__main__":
    sys.exit(main())
