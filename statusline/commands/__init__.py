"""One module per ``quotaline`` command: argv in, work delegated, output printed."""
