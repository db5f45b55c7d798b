"""Benchmarks of the real bot, run as `python -m bench` from the repository root (see README, Performance).

The bot runs as separate `python app.py` processes in HTTP mode against the fake Slack and WeChat servers of
tests/fakes on loopback; this process hosts the fakes, and bursts of requests are sent from a process of their own.
Benchmarks: `ack` (ack latency under 50 concurrent requests), `approve` (one Approve click: WeChat round trips
until the rollback goes out and until the outcome is shown, and the bot's own time), `storm` (50 people approve
one request at once), `tokens` (token fetches with two replicas), `startup` (start-up time and idle memory).
What they share: `rig` (waiting, the fakes, a database), `botprocess`, `sender` and `loadgen` (timed Slack
requests), `bursts`, `steps` (what a person does in Slack) and `wechat_timing` (the fake WeChat, timed).
"""
