"""How long the sender waits for the city's ack to its oldest batch before sending again.

TCP's rule (RFC 6298): a smoothed round trip from a batch to its `events-ack` and its mean
deviation, each sampled only from a batch sent once; the timeout is the smoothed round trip
plus four deviations, never below the setting `ack_timeout_s`. It doubles after every
timeout that brought no progress, up to `ACK_TIMEOUT_MAX_X` × the setting, and comes back
with the next ack that moves the mark: a city whose queues are long is not sent the same
window again and again (measured: a fixed 15 s sent 1.1 M events again for 0.54 M in a
3,000-hall storm, docs/CITY_SCALE.md).
"""

from __future__ import annotations

ACK_TIMEOUT_MAX_X = 8  # the ack timeout grows to at most this × ack_timeout_s


class AckTimer:
    def __init__(self, floor_s: float) -> None:
        self.floor_s = floor_s
        self.rtt: float | None = None  # smoothed round trip batch -> events-ack (s)
        self.rtt_var = 0.0
        self.backoff = 1  # doubles with every timeout without progress

    def sample(self, seconds: float) -> None:
        """A round trip measured on a batch sent once."""
        if self.rtt is None:
            self.rtt, self.rtt_var = seconds, seconds / 2
        else:
            self.rtt_var += (abs(seconds - self.rtt) - self.rtt_var) / 4
            self.rtt += (seconds - self.rtt) / 8

    @property
    def timeout(self) -> float:
        floor = self.floor_s
        rto = floor if self.rtt is None else max(floor, self.rtt + 4 * self.rtt_var)
        return min(rto * self.backoff, ACK_TIMEOUT_MAX_X * floor)

    def expired(self) -> None:
        """No ack in time: wait twice as long next time (up to the cap)."""
        self.backoff = min(self.backoff * 2, ACK_TIMEOUT_MAX_X)

    def progressed(self) -> None:
        """An ack moved the mark: back to the measured timeout."""
        self.backoff = 1
