"""Everything Slack-facing: Bolt listeners by surface, and the Block Kit message builders."""
