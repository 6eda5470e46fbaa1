"""The local ledger: tokens this machine sent, from Claude Code's transcripts, beside the server's percent.

Never on the status line's hot path: ``update_ledger`` runs in the refresher or on demand
(``quotaline report``); readers (``open_ledger``, ``local_column``) only load the aggregates.
"""

from __future__ import annotations

from statusline.ledger.scan import LedgerStats
from statusline.ledger.update import update_ledger

__all__ = ["LedgerStats", "update_ledger"]
