"""Garbage-collector settings for the long-running server process (`server.cli.serve`).

CPython's full (generation 2) collection walks every tracked object. With 2,000 sockets,
their tasks and the live sessions in memory that is a few hundred thousand objects and a
pause of 100-400 ms on the event loop, every time the heap has grown by a quarter: the
p99 command latency of docs/benchmarks.md was these pauses. So:

- after startup (sessions restored) everything alive is frozen (`gc.freeze`): the
  collector ignores it from then on;
- full collections never start on their own (`gc.set_threshold`'s third value is out of
  reach, `NO_AUTOMATIC_FULL`): with everything frozen, CPython started one every tenth
  middle-generation pass, and each walked everything promoted since the last, 60-300 ms
  of CPU at 2,000 players (docs/benchmarks.md, "The command path and the collector");
  the young and middle generations are collected as before;
- after every collection, the young ones too, the survivors are frozen: an object is
  walked by one young pass and then never again until the tuner's next full collection.
  A middle-generation pass walked the survivors of ten young passes once more, 20-25 ms
  of CPU at a time at 5,000 players (docs/benchmarks.md, "The loop's long items"), and
  found no garbage there: the cycles a class makes die young (the young pass frees them)
  or with a socket (the churn trigger below);
- every `full_every` seconds the frozen objects are thawed and collected once, so
  reference cycles that died after being frozen or promoted are reclaimed (one longer
  pause, rarely);
- and sooner when many sockets have come and gone: asyncio and aiohttp leave every closed
  socket in reference cycles (transport, request handler, WebSocket response, buffers:
  ~50 objects, some 35 kB), and a socket that lived through a full collection is frozen,
  so at high churn memory grew for the whole `full_every` period (the 30-minute soak of
  docs/operations.md: 600 MB after 15 minutes at 1,000 sockets opened per minute). Every
  `check_every` seconds, if `churn()` (sockets closed so far; a class connecting is no churn)
  has grown by `churn_limit` since the last full collection, one runs now.

Objects freed by reference counting (nearly all of them) are freed at once whatever their
generation; freezing only delays the reclaiming of garbage cycles.

Every collection's pause on the event loop is timed (`GcPauses`, from `gc.callbacks`) and
shown in `/metrics` (passes, seconds and the longest pause per generation), so a latency
tail can be checked against the collector (docs/benchmarks.md, the 5,000-player run).
"""
from __future__ import annotations

import asyncio
import gc
import logging
import time
from typing import Callable

log = logging.getLogger("server.gctune")


NO_AUTOMATIC_FULL = 1_000_000  # middle-generation passes before CPython would start a full one


def _freeze_survivors(phase: str, info: dict) -> None:
    if phase == "stop":
        gc.freeze()  # O(1): the generations' lists are moved to the permanent one


class GcPauses:
    """The collector's passes since `install`, per generation: count, seconds, longest."""

    def __init__(self):
        self.passes = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self.longest = [0.0, 0.0, 0.0]
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        took, g = time.perf_counter() - self._started, info["generation"]
        self.passes[g] += 1
        self.seconds[g] += took
        if took > self.longest[g]:
            self.longest[g] = took

    def metrics(self) -> list[str]:
        """Prometheus lines (server/http/api.py `/metrics`)."""
        lines = ["# TYPE alliance_gc_collections_total counter"]
        lines += [f'alliance_gc_collections_total{{generation="{g}"}} {n}' for g, n in enumerate(self.passes)]
        lines.append("# TYPE alliance_gc_pause_seconds_total counter")
        lines += [f'alliance_gc_pause_seconds_total{{generation="{g}"}} {t:.6f}' for g, t in enumerate(self.seconds)]
        lines.append("# TYPE alliance_gc_pause_longest_seconds gauge")
        lines += [f'alliance_gc_pause_longest_seconds{{generation="{g}"}} {t:.6f}' for g, t in enumerate(self.longest)]
        return lines


def freeze_regime() -> tuple[int, int, int]:
    """The collector as the server runs it, timers aside: everything alive now frozen, no
    automatic full collection, the survivors of every pass frozen. Returns the thresholds
    it replaced. (benchmarks/engine.py runs the engine under it with `--collector server`.)"""
    gc.collect()
    gc.freeze()
    before = gc.get_threshold()
    gc.set_threshold(before[0], before[1], NO_AUTOMATIC_FULL)
    if _freeze_survivors not in gc.callbacks:
        gc.callbacks.append(_freeze_survivors)
    return before


class GcTuner:
    def __init__(self, full_every: float = 900.0, churn: Callable[[], int] | None = None,
                 churn_limit: int = 2000, check_every: float = 10.0):
        self.full_every = full_every
        self.churn, self.churn_limit, self.check_every = churn, churn_limit, check_every
        self.full_collections = 0
        self._churn_at_full = churn() if churn else 0
        self._timer: asyncio.TimerHandle | None = None
        self._check_timer: asyncio.TimerHandle | None = None
        self.pauses = GcPauses()
        self._thresholds: tuple[int, int, int] | None = None  # before install

    def install(self) -> None:
        self._thresholds = freeze_regime()
        if self.pauses not in gc.callbacks:
            gc.callbacks.append(self.pauses)
        self._schedule()
        if self.churn is not None:
            self._check_timer = asyncio.get_running_loop().call_later(self.check_every, self._check_churn)

    def _schedule(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self.full_every and self.full_every > 0:
            self._timer = asyncio.get_running_loop().call_later(self.full_every, self._full)

    def _check_churn(self) -> None:
        if self.churn() - self._churn_at_full >= self.churn_limit:
            self._full()
        self._check_timer = asyncio.get_running_loop().call_later(self.check_every, self._check_churn)

    def _full(self) -> None:
        gc.unfreeze()
        n = gc.collect()
        gc.freeze()
        self.full_collections += 1
        self._churn_at_full = self.churn() if self.churn else 0
        log.debug("full collection: %d unreachable objects", n)
        self._schedule()

    def uninstall(self) -> None:
        for t in (self._timer, self._check_timer):
            if t is not None:
                t.cancel()
        self._timer = self._check_timer = None
        if _freeze_survivors in gc.callbacks:
            gc.callbacks.remove(_freeze_survivors)
        if self.pauses in gc.callbacks:
            gc.callbacks.remove(self.pauses)
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            self._thresholds = None
        gc.unfreeze()
