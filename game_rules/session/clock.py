"""A phase clock (negotiation or round): start, pause, resume, extend, remaining time.

The clock keeps an absolute wall-clock deadline while running and the remaining seconds
while paused, so it survives a restart: `to_dict` goes into every snapshot and clock
record, `from_dict` brings it back. Timers that fire are the actor's business; the clock
only answers "how long is left" given `now` (wall seconds), which keeps it testable.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class PhaseClock:
    running: bool = False
    deadline: float | None = None    # wall time it runs out, while running
    remaining_s: float | None = None  # seconds left, while paused (None: no clock)
    generation: int = 0               # bumps on every change, so stale timers are ignored

    def start(self, seconds: float, now: float) -> None:
        self.running, self.deadline, self.remaining_s = True, now + seconds, None
        self.generation += 1

    def stop(self) -> None:
        self.running, self.deadline, self.remaining_s = False, None, None
        self.generation += 1

    def pause(self, now: float) -> bool:
        if not self.running:
            return False
        self.remaining_s = max(0.0, self.deadline - now)
        self.running, self.deadline = False, None
        self.generation += 1
        return True

    def resume(self, now: float) -> bool:
        if self.running or self.remaining_s is None:
            return False
        self.start(self.remaining_s, now)
        return True

    def extend(self, seconds: float, now: float) -> bool:
        if self.running:
            self.deadline += seconds
        elif self.remaining_s is not None:
            self.remaining_s += seconds
        else:
            return False
        self.generation += 1
        return True

    def remaining(self, now: float) -> float | None:
        if self.running:
            return max(0.0, self.deadline - now)
        return self.remaining_s

    def restored(self, now: float, grace: float) -> None:
        """After a restart: a deadline that passed while the server was down gets `grace`
        seconds, so players who reconnect can still act before the clock closes the phase."""
        if self.running and self.deadline < now + grace:
            self.deadline = now + grace
        self.generation += 1

    def to_dict(self) -> dict:
        return {"running": self.running, "deadline": self.deadline, "remaining": self.remaining_s}

    @classmethod
    def from_dict(cls, d: dict) -> "PhaseClock":
        return cls(d["running"], d["deadline"], d["remaining"])

    def public(self, now: float) -> dict:
        r = self.remaining(now)
        return {"running": self.running, "remaining": None if r is None else round(r, 3),
                "deadline": self.deadline}
