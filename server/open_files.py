"""Open files: every socket is one. A class of 2,000 phones needs 2,000 descriptors, and many
systems start a process with a soft limit of 1,024 (the hard limit is usually far higher): the
1,025th phone's connection then fails in `accept` while the server itself seems healthy. At
start the server raises its soft limit towards the hard one (no privilege needed), and says so
when what it gets still holds fewer sockets than a large class."""
from __future__ import annotations

import logging

log = logging.getLogger("server")

WANT = 65536    # enough for any class one process serves (docs/benchmarks.md: 5,000 sockets)
ENOUGH = 4096   # below this after raising: a warning with the fix


def raise_open_files(want: int = WANT) -> int | None:
    """The soft limit on open files after raising it towards `want` (never above the hard
    limit); None where the platform has no such limit (no `resource` module)."""
    try:
        import resource
    except ImportError:  # (Windows)
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as e:  # a container that forbids it: keep what we have
            log.warning("could not raise the open files limit from %d to %d (%s)", soft, target, e)
    if soft != resource.RLIM_INFINITY and soft < ENOUGH:
        log.warning("this process may open only %d files: about %d connected players at most; raise the limit "
                    "(`ulimit -n %d` in the shell that starts the server, or LimitNOFILE= in a systemd unit)",
                    soft, soft - 64, WANT)
    return soft
