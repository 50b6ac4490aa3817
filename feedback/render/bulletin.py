"""The bulletin as one self-contained HTML document (inline CSS and SVG, no links), for the
CLI's `feedback report --format html` and the staff page alike."""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, FileSystemLoader, select_autoescape

from feedback import clock, paths, report_definitions
from feedback.render import charts


def context(report: dict, links: bool = False) -> dict:
    """What the bulletin templates need; `links` adds the staff page's download links."""
    return {
        "report": report,
        "charts": charts.for_report(report),
        "links": links,
        "definitions": report_definitions.DEFINITIONS,
        "display": clock.display,
    }


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(paths.templates_dir())),
        autoescape=select_autoescape(["html"]),
    )


def html(report: dict) -> str:
    return _environment().get_template("reports/bulletin.html").render(**context(report))
