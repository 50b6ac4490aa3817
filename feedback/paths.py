"""Where the project's non-Python files live, installed or run from a checkout."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def templates_dir() -> Path:
    """The top-level templates/ of a checkout, or the copy a wheel carries inside the package."""
    checkout = PACKAGE_DIR.parent / "templates"
    return checkout if checkout.is_dir() else PACKAGE_DIR / "templates"
