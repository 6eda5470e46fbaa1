"""The README is a user's page that links the rest; every link from it and from docs/ lands.

GitHub's anchors: a heading's text lowercased, punctuation dropped, spaces as hyphens, a repeated
heading numbered (``-1``, ``-2``). Headings and links inside code blocks or inline code are text.
"""

from __future__ import annotations

import re
from pathlib import Path

from helpers.cli import REPO

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
INLINE_CODE = re.compile(r"`[^`\n]*`")
# What the README sends a user to, by subject (issue 24): each page exists and the README links it.
LINKED_FROM_README = (
    "docs/install.md",
    "docs/windows.md",
    "docs/warnings.md",
    "docs/sources.md",
    "docs/surfaces.md",
    "docs/metrics.md",
    "docs/ledger.md",
    "docs/configuration.md",
    "docs/troubleshooting.md",
    "docs/contributing.md",
    "docs/ARCHITECTURE.md",
    "docs/import-costs.md",
)


def prose(text: str) -> str:
    """The text outside code: fenced blocks and inline code are dropped."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def slug(heading: str) -> str:
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    out: set[str] = set()
    for line in FENCE.sub("", page.read_text(encoding="utf-8")).splitlines():
        found = re.match(r"#{1,6} (.+?)\s*#*$", line)
        if not found:
            continue
        base = slug(found.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        out.add(base if count == 0 else f"{base}-{count}")
    return out


def local_links(page: Path) -> list[str]:
    return [t for t in LINK.findall(prose(page.read_text(encoding="utf-8"))) if not re.match(r"[a-z]+:", t)]


def test_the_slug_rule_is_githubs() -> None:
    assert slug("Scripts: JSON") == "scripts-json"
    assert slug("SwiftBar, xbar, Argos") == "swiftbar-xbar-argos"
    assert slug("node_exporter's textfile collector") == "node_exporters-textfile-collector"
    assert slug("Metrics for teams: Prometheus, OpenTelemetry and Grafana") == (
        "metrics-for-teams-prometheus-opentelemetry-and-grafana"
    )


def test_every_local_link_and_anchor_resolves() -> None:
    broken = []
    for page in PAGES:
        for target in local_links(page):
            path, _, anchor = target.partition("#")
            dest = (page.parent / path).resolve() if path else page
            if not dest.exists():
                broken.append(f"{page.relative_to(REPO)}: {target} (no such file)")
            elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                broken.append(f"{page.relative_to(REPO)}: {target} (no such heading)")
    assert broken == []


def test_the_readme_is_a_short_page_linking_each_subjects_page() -> None:
    readme = REPO / "README.md"
    assert len(readme.read_bytes()) <= 12 * 1024
    linked = {(readme.parent / t.partition("#")[0]).resolve() for t in local_links(readme)}
    assert [p for p in LINKED_FROM_README if (REPO / p).resolve() not in linked] == []


def test_the_readmes_test_command_is_what_ci_runs() -> None:
    """`.ci/run` runs the README's test command, so the README must carry it as written there."""
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "\n.venv/bin/python -m pytest\n" in ci
    assert ".venv/bin/python -m pytest    #" in readme
    assert '-m pytest -m "not slow and not e2e"' in readme


def test_the_configuration_page_shows_the_file_config_init_writes() -> None:
    from statusline.core.settings.toml_file import TEMPLATE

    page = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert "```toml\n" + TEMPLATE + "```\n" in page
