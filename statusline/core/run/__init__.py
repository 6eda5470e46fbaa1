"""One hot command's run: its guard (exit 0, whatever happens), its stdin, its context, and the
refresher it may start."""
