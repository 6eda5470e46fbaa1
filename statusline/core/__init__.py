"""The hot path: everything the status line, the hook and the segments run. Standard library only,
and nothing from ``statusline.refresh``, ``statusline.ledger`` or ``statusline.commands``
(tests/core/test_hot_path_imports.py keeps it so)."""
