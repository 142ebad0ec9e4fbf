"""The simulator's clock: the one time every rule of the simulator reads.

It tells the real time in Japan until it is set; from then on it runs on from the time it
was set, as a wall clock put forward or back does, or, set frozen, stands at that time until
it is moved. A test can so make a report expire, or reach the next trading day, without
waiting, or find every time an answer holds the same on every run; ``mms sim serve --clock``
can serve a day of the past. What the MMS stamps or judges by its time follows it: the times
in answers (``SubmissionTime``, ``XmlTimeStamp``...), the access log, a query's "today", the
lifetime of reports, the report made when the state is seeded. What is not the MMS's keeps to the
real time: certificates, which the TLS handshake checks by each side's own clock, the HTTP
``Date`` header, and the server's limits (timeouts, delays of injected faults).

It is set from the thread of a test while the server's thread reads it, so both go through
one lock.
"""

from __future__ import annotations

import reprlib
import threading
from datetime import date, datetime, timedelta

from mms_client.errors import ConfigurationError
from mms_client.jst import JST, to_jst

EARLIEST = datetime(1900, 1, 1, tzinfo=JST)
LATEST = datetime(9998, 12, 31, 23, 59, 59, tzinfo=JST)
"""The times the clock may be set to: in Japan Standard Time (older times of Asia/Tokyo are
in local mean time, +09:18:59), and with a year of Python's calendar to spare, so that a
clock left running, and the dates the rules count from it (a report's ExpiryDate, 30 days
on), never leave it."""


class SimulatorClock:
    """The time of a simulator: real, or set (see the module's description)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        """From the real time, while it runs."""
        self._frozen_at: datetime | None = None
        """Where it stands, while it is frozen."""

    def now(self) -> datetime:
        """The simulator's time, aware, in Japan time."""
        with self._lock:
            return self._time()

    @property
    def frozen(self) -> bool:
        """Whether the clock stands still (``set(..., frozen=True)``) rather than running."""
        with self._lock:
            return self._frozen_at is not None

    def set(self, moment: datetime, *, frozen: bool = False) -> None:
        """Sets the clock to ``moment`` (naive: Japan time), from which it runs on; ``frozen``,
        it stands at ``moment`` until it is set again, advanced or reset."""
        moment = clock_time(moment)
        with self._lock:
            self._place(moment, frozen)

    def advance(self, by: timedelta) -> None:
        """Moves the clock ``by`` on (back, for a negative one); a frozen clock stands at the
        time it is moved to."""
        if not isinstance(by, timedelta):
            raise ConfigurationError(
                f"the simulator's clock is moved by a timedelta; got {reprlib.repr(by)}"
            )
        with self._lock:
            current = self._time()
            try:
                moved = current + by
            except OverflowError:
                raise ConfigurationError(
                    f"the simulator's clock cannot be advanced by {by} from {current:%Y-%m-%d}: "
                    "it would leave the calendar"
                ) from None
            self._place(clock_time(moved), self._frozen_at is not None)

    def reset(self) -> None:
        """Back to the real time, running."""
        with self._lock:
            self._offset = timedelta(0)
            self._frozen_at = None

    def _time(self) -> datetime:
        """The clock's time; the lock is held."""
        if self._frozen_at is not None:
            return self._frozen_at
        return datetime.now(JST) + self._offset

    def _place(self, moment: datetime, frozen: bool) -> None:
        """Put the clock at ``moment``, standing or running on from it; the lock is held."""
        self._frozen_at = moment if frozen else None
        self._offset = timedelta(0) if frozen else moment - datetime.now(JST)


def clock_time(value: object) -> datetime:
    """``value`` as an aware Japan time the clock may be set to, or a
    :class:`ConfigurationError` saying what it must be."""
    if not isinstance(value, datetime):
        raise ConfigurationError(
            "the simulator's clock takes a datetime (naive: Japan time); got "
            f"{reprlib.repr(value)}"
            + (" (for its midnight, give datetime(y, m, d))" if isinstance(value, date) else "")
        )
    try:
        moment = to_jst(value)
    except ValueError as exc:
        raise ConfigurationError(
            f"the simulator's clock cannot be set to {value}: it {exc}"
        ) from None
    if not EARLIEST <= moment <= LATEST:
        raise ConfigurationError(
            f"the simulator's clock takes a time from {EARLIEST:%Y-%m-%d} to "
            f"{LATEST:%Y-%m-%d} (Japan time); got {moment.isoformat()}"
        )
    return moment
