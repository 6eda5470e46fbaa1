"""Metrics for Prometheus in the text format, for node_exporter's textfile collector.

After each refresh the refresher writes ``<dir>/quotaline.prom`` (``quotaline-<key>.prom`` for
another Claude config dir), atomically: a temp file in the same dir (not named ``*.prom``, so the
collector never reads half of one), then a rename. What series exist is ``series``' (shared with
the Pushgateway and OTLP); this module writes them in Prometheus's text format.
"""

from __future__ import annotations

import math
import os

from statusline.core.draw.textsafe import clean
from statusline.core.run.context import Context
from statusline.core.settings.loader import Settings
from statusline.core.store import paths
from statusline.refresh import series
from statusline.refresh.series import METRICS


def target_dir(settings: Settings) -> str:
    """The configured textfile dir (``~`` expanded), or "" when the export is off (or relative)."""
    configured = os.path.expanduser(str(settings.get("export", "prometheus_textfile_dir")).strip())
    return configured if os.path.isabs(configured) else ""  # relative: ignored, like every *_DIR


def file_name(snapshot_name: str) -> str:
    """``snapshot-default.json`` -> ``quotaline.prom``; another config dir's -> ``quotaline-cfg-....prom``."""
    key = snapshot_name.removeprefix("snapshot-").removesuffix(".json")
    return "quotaline.prom" if key == "default" else f"quotaline-{key}.prom"


def escape(value: str) -> str:
    """A label value in the text format; a server's label cannot end the line or the quotes."""
    return clean(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def number(value: float) -> str:
    return repr(float(value)) if math.isfinite(value) else ("+Inf" if value > 0 else "-Inf" if value < 0 else "NaN")


def render(ctx: Context, account: str | None) -> str:
    """The text format of ``series.samples``: the textfile's and the Pushgateway's body."""
    out: list[str] = []
    seen: set[str] = set()
    for sample in series.samples(ctx, series.account_labels(ctx, account)):
        name = sample.name
        if name not in seen:
            seen.add(name)
            out += [f"# HELP {name} {METRICS[name].help}", f"# TYPE {name} {METRICS[name].kind}"]
        inner = ",".join(f'{k}="{escape(v)}"' for k, v in sample.labels.items())
        out.append(f"{name}{{{inner}}} {number(sample.value)}")
    return "\n".join(out) + "\n"


def write(directory: str, snapshot_name: str, text: str) -> str:
    """``text`` into ``directory`` atomically and durably; readable by node_exporter's user (no
    secret in it). The temp file's name (``paths.temp_name``) does not end in ``.prom``: the
    collector never reads half a file."""
    path = os.path.join(directory, file_name(snapshot_name))
    paths.replace_file(path, text.encode("utf-8"), mode=0o644, durable=True)
    return path
