"""Regression tests written by adversarial reviews of an issue (as users, as Slack or WeChat, as an attacker): each
failed before its fix."""
