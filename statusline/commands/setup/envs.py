"""install.sh's environments (``envs/<n>``, and the one ``venv`` before them): which ones a launcher
runs, and the pruning of the others after an install."""

from __future__ import annotations

import contextlib
import os
import shutil

LEGACY_ENV = "venv"  # install.sh's one environment before envs/, upgraded in place; a sibling of envs/


def env_candidates(envs_dir: str) -> list[str]:
    """Every environment install.sh may have made, whole or half-made by a killed install."""
    found: list[str] = []
    with contextlib.suppress(OSError):
        found = [os.path.join(envs_dir, name) for name in sorted(os.listdir(envs_dir))]
    legacy = os.path.join(os.path.dirname(envs_dir), LEGACY_ENV)
    if os.path.isdir(legacy):
        found.append(legacy)
    return found


def envs_in_use(launcher: str, candidates: list[str]) -> set[str]:
    """The candidates the launcher at ``launcher`` runs (its interpreter and site-packages)."""
    try:
        with open(launcher, encoding="utf-8", errors="replace") as handle:
            text = handle.read(8192)
    except OSError:
        return set()
    return {env for env in candidates if env + os.sep in text}


def prune_envs(envs_dir: str, keep: set[str]) -> list[str]:
    """Remove every environment not in ``keep``; best effort (the next install tries again)."""
    removed = []
    for env in env_candidates(envs_dir):
        if env not in keep:
            shutil.rmtree(env, ignore_errors=True)
            removed.append(env)
    return removed


def discard_unused_env(envs_dir: str, python: str, launchers: list[str]) -> None:
    """After a refused install: remove the environment made for it, unless a launcher runs it."""
    rel = os.path.relpath(python, envs_dir).split(os.sep)[0]
    if rel in ("", ".", "..") or os.path.isabs(rel):
        return
    env = os.path.join(envs_dir, rel)
    if not any(envs_in_use(launcher, [env]) for launcher in launchers):
        shutil.rmtree(env, ignore_errors=True)
