"""The WeChat Mini Program code-management API: client, token source, error catalogue."""
