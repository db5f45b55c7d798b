"""Block Kit builders: pure functions from plain data to messages, testable without Slack."""
