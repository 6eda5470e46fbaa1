"""A usage window and what is known of it: its rules (check, merge, label), the readings parsed from
Claude Code, merged into the snapshot, its history, forecast, level, the selectors and the wall."""
