"""The settings: every default (defaults), what the hot path reads (loader: defaults, a cached copy of
the user's file, the environment), and the TOML file itself (toml_file: parse, validate, template)."""
