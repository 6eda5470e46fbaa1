"""The background refresher and what it alone needs: HTTP (httpx), payload parsing (pydantic),
backoff, credentials and the sources. It may use ``statusline.ledger`` and ``statusline.core``."""
