"""Warnings: the pre-prompt hook's decision (before_prompt) and the desktop notifications due (notify)."""
