"""Helpers shared by the test folders, imported as ``from helpers.cli import Home`` (pyproject's
``pythonpath = ["tests"]``); tests/conftest.py keeps only fixtures."""
