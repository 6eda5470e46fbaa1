"""quotaline: the server's real Claude rate-limit windows in Claude Code's status line."""

__version__ = "0.1.0"
