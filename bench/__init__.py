"""Benchmarks of the real bot, run as `python -m bench` from the repository root (see README, Performance).

The bot runs as separate `python app.py` processes in HTTP mode against the fake Slack and WeChat servers of
tests/fakes on loopback; this process hosts the fakes and the load generator. Modules: `ack` (ack latency under
50 concurrent requests), `overhead` (an approved rollback against a direct WeChat call), `tokens` (token
fetches with two replicas), `startup` (start-up time and idle memory); `rig` holds what they share.
"""
