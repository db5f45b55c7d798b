"""The rollback workflow and its rules; imports neither Slack nor HTTP code."""
