"""miniprogram-rollback: roll back a WeChat Mini Program from Slack, with a second person's approval."""
