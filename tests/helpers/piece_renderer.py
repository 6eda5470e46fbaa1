"""Pieces drawn in-process, like Starship's ``ModuleRenderer``: a scene (windows, history, extra
usage, config) built through the real merge, then one piece or a whole line drawn from it."""

from __future__ import annotations

from typing import Any

from statusline.core.draw import render
from statusline.core.draw.pieces import Piece, extra, window
from statusline.core.run.context import Context
from statusline.core.settings import defaults
from statusline.core.settings.defaults import Settings
from statusline.core.store import snapshot
from statusline.core.window import merge

NOW = 1_800_000_000.0


class Scene:
    def __init__(self, now: float = NOW) -> None:
        self.now = now
        self.snap = snapshot.empty()
        self.data = defaults.clone(defaults.DEFAULTS)
        self.family: str | None = None
        self.local: dict[str, Any] | None = None

    def window(
        self, wid: str, pct: float, *, resets_in: float | None = 3 * 3600, age: float = 0, source: str = "oauth"
    ) -> Scene:
        reading = {"id": wid, "used_pct": pct, "source": source, "observed_at": self.now - age}
        if resets_in is not None:
            reading["resets_at"] = self.now + resets_in
        problems: list[str] = []
        merge.apply_windows(self.snap, [reading], now=self.now, problems=problems)
        assert not problems, problems
        return self

    def climbing(self, wid: str, start: float, per_hour: float, *, hours: float, resets_in: float) -> Scene:
        """Readings every 10 minutes for ``hours`` up to now: a history the forecast can use."""
        steps = int(hours * 6)
        for i in range(steps + 1):
            t = self.now - (steps - i) * 600
            reading = {"id": wid, "used_pct": start + per_hour * (i / 6), "source": "oauth",
                       "observed_at": t, "resets_at": self.now + resets_in}
            merge.apply_windows(self.snap, [reading], now=t)
        return self

    def extra(self, **fields: Any) -> Scene:
        self.snap["extra_usage"] = {"enabled": True, "used": 0.0, "currency": "USD", **fields}
        return self

    def billing(self, start: float, per_hour: float, *, minutes: float, limit: float | None = 500.0) -> Scene:
        """Extra-usage readings every 5 minutes for ``minutes`` up to now, through the real merge."""
        steps = int(minutes / 5)
        for i in range(steps + 1):
            t = self.now - (steps - i) * 300
            reading = {"enabled": True, "used": round(start + per_hour * i / 12, 2), "limit": limit,
                       "currency": "USD", "observed_at": t}
            assert merge.apply_extra(self.snap, reading, now=t)
        return self

    def config(self, *keys: str, value: Any) -> Scene:
        target = self.data
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
        return self

    def context(self) -> Context:
        return Context(self.snap, Settings(self.data, []), self.now, family=self.family, local=self.local)

    def window_piece(self, wid: str) -> Piece:
        return window.piece(self.context(), self.snap["windows"][wid])

    def extra_piece(self) -> Piece | None:
        return extra.piece(self.context())

    def line(self, surface: str = "statusline", style: str = "plain") -> str:
        return render.line(self.context(), surface=surface, style=style)
