"""The parts of :mod:`os` and :mod:`json` the hot path uses, without their import cost."""
