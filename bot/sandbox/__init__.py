"""Sandbox mode: the bot runs against a simulated WeChat so a team can try the whole flow safely."""
