"""The HTTP access log (logger `aiohttp.access`, on at `--log-level info`; left out of
`--demo` unless a `--log-level` is given: server/cli.py), without query strings.

aiohttp's default line holds the request line with its query string and the Referer
header. A query string can carry a join code (`/join?code=...`, the link of the QR code)
or anything a client puts there, and log files are kept, copied and mailed. So a line
here is: client address, method, the path without its query, status, bytes, seconds and
the User-Agent; never the query, the Referer, cookies or the Authorization header.

    web.AppRunner(app, access_log_class=PathOnlyAccessLogger)   # server/cli.py
"""
from __future__ import annotations

import logging

from aiohttp.abc import AbstractAccessLogger


class PathOnlyAccessLogger(AbstractAccessLogger):
    def log(self, request, response, time: float) -> None:
        try:
            if request is None:  # a request aiohttp could not parse
                line = "-"
            else:  # the raw path stays percent-encoded: a %0A cannot start a fake log line
                v = request.version
                line = f"{request.method} {request.rel_url.raw_path} HTTP/{v.major}.{v.minor}"
            agent = _printable(request.headers.get("User-Agent", "-") if request is not None else "-")
            self.logger.info('%s "%s" %s %s %.3fs "%s"', getattr(request, "remote", "-"), line,
                             response.status, response.body_length, time, agent)
        except Exception:
            self.logger.exception("Error in logging")

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)


def _printable(text: str, limit: int = 200) -> str:
    return "".join(c if c.isprintable() else "?" for c in text[:limit]).replace('"', "'")
