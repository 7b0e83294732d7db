"""The nightly crawl window (`run --window HH:MM-HH:MM`, Asia/Shanghai): when a run may crawl.

A run reads the clock once, when it starts: outside the window it does nothing; inside, the crawl
is told the moment the window closes and stops there (the next run resumes it).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta


@dataclass(frozen=True)
class CrawlWindow:
    start: time
    end: time  # before `start` when the window spans midnight

    @classmethod
    def parse(cls, text: str) -> CrawlWindow:
        """`01:00-06:00` (seconds allowed: `01:00:30-06:00`); ValueError with a one-line reason."""
        try:
            start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
        except ValueError:
            raise ValueError(f"invalid window {text!r} (expected HH:MM-HH:MM)") from None
        if start == end:
            raise ValueError(f"invalid window {text!r}: it must not be empty")
        return cls(start, end)

    def __str__(self) -> str:
        return f"{_clock(self.start)}-{_clock(self.end)}"

    def seconds_left(self, now: datetime) -> float:
        """Seconds until the window closes, 0 when `now` is outside it."""
        clock = now.time().replace(tzinfo=None)
        if self.start < self.end:
            inside = self.start <= clock < self.end
        else:
            inside = clock >= self.start or clock < self.end
        if not inside:
            return 0.0
        closes = datetime.combine(now.date(), self.end, now.tzinfo)
        if closes <= now:
            closes += timedelta(days=1)
        return (closes - now).total_seconds()


def _clock(moment: time) -> str:
    return moment.isoformat(timespec="seconds" if moment.second else "minutes")
