"""Drawing: pieces (one per thing shown), templates, the one-line render, desktop bars, the JSON
view, the formatters and the text cleaning every surface applies."""
