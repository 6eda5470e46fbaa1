"""End-to-end tests in the real Claude Code (marker ``e2e``); see ``test_real_claude.py``."""
