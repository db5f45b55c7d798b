"""Developer scripts, importable as modules (`from scripts import preview_messages`) and run as files."""
