"""Pacing posts to a channel: bursts go out at once, then one a second; channels do not hold each other back."""

from __future__ import annotations

from bot.slack.pacing import ChannelPacer


class Time:
    """The pacer's clock and sleep: sleeping moves the clock, so the test reads what a thread would wait."""

    def __init__(self) -> None:
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_a_burst_goes_out_then_posts_are_spaced_one_a_second() -> None:
    time = Time()
    pacer = ChannelPacer(per_second=1.0, burst=3, clock=time.clock, sleep=time.sleep)
    waits = [pacer.wait_turn("C1") for _ in range(6)]
    assert waits == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    assert time.now == 1003.0


def test_channels_are_paced_apart_and_quiet_restores_the_burst() -> None:
    time = Time()
    pacer = ChannelPacer(per_second=1.0, burst=2, clock=time.clock, sleep=time.sleep)
    assert [pacer.wait_turn("C1") for _ in range(3)] == [0.0, 0.0, 1.0]
    assert pacer.wait_turn("C2") == 0.0  # another channel has its own allowance
    time.now += 10  # a quiet spell
    assert [pacer.wait_turn("C1") for _ in range(3)] == [0.0, 0.0, 1.0]
