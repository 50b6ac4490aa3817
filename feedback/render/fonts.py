"""The CJK font posters are drawn with, and a check that it really has every glyph."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from fontTools import subset
from fontTools.ttLib import TTFont
from PIL import ImageFont


@lru_cache(maxsize=1)
def _subsets() -> tempfile.TemporaryDirectory:
    """Subset fonts live here for the life of the process; made on first use, not at import,
    so commands and workers that draw no poster leave nothing in /tmp."""
    return tempfile.TemporaryDirectory(prefix="feedback-fonts-")


class FontMissing(RuntimeError):
    """The poster font is not installed."""


@dataclass(frozen=True)
class PosterFonts:
    """A regular and a bold face, each a face `index` of an OpenType collection (or a file)."""

    regular: Path
    bold: Path
    index: int = 0

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> PosterFonts:
        fonts = cls(
            Path(config["FEEDBACK_FONT_REGULAR"]),
            Path(config["FEEDBACK_FONT_BOLD"]),
            int(config["FEEDBACK_FONT_INDEX"]),
        )
        for path in (fonts.regular, fonts.bold):
            if not path.is_file():
                raise FontMissing(
                    f"poster font {path} is missing; install Debian's fonts-noto-cjk "
                    "(scripts/setup.sh does) or set FEEDBACK_FONT_REGULAR/FEEDBACK_FONT_BOLD"
                )
        return fonts

    def path(self, bold: bool) -> Path:
        return self.bold if bold else self.regular

    def pil(self, size_px: int, bold: bool = False) -> ImageFont.FreeTypeFont:
        return _pil_font(str(self.path(bold)), self.index, max(1, size_px))

    def text_width(self, text: str, size_pt: float, bold: bool = False) -> float:
        """Width in points, measured at a fine size so rounding does not matter."""
        return self.pil(1000, bold).getlength(text) * size_pt / 1000

    @cached_property
    def _codepoints(self) -> frozenset[int]:
        covered: set[int] = set()
        for path in {self.regular, self.bold}:
            with TTFont(str(path), fontNumber=self.index, lazy=True) as font:
                faces = font["cmap"].getBestCmap()
            covered = set(faces) if not covered else covered & set(faces)
        return frozenset(covered)

    def subset_for(self, text: str) -> PosterFonts:
        """The same faces cut down to the characters of `text`, for embedding in PDFs.

        The full CJK faces hold 65,000 glyphs: reading and subsetting them for every PDF cost
        most of a second and ~90 MB each. Cut once per batch, each PDF takes milliseconds.
        """
        return _subset(self, "".join(sorted(set(text))))

    def missing(self, text: str) -> list[str]:
        """Characters of `text` that either face would draw as a tofu box."""
        return sorted({ch for ch in text if not ch.isspace() and ord(ch) not in self._codepoints})


@lru_cache(maxsize=16)
def _subset(fonts: PosterFonts, chars: str) -> PosterFonts:
    digest = hashlib.sha1(f"{fonts.regular}{fonts.bold}{fonts.index}{chars}".encode()).hexdigest()
    paths = []
    for bold in (False, True):
        target = Path(_subsets().name) / f"{digest[:16]}-{'bold' if bold else 'regular'}.otf"
        if not target.exists():
            options = subset.Options()
            options.name_IDs = ["*"]
            options.notdef_outline = True
            options.layout_features = []
            with TTFont(str(fonts.path(bold)), fontNumber=fonts.index) as font:
                subsetter = subset.Subsetter(options)
                subsetter.populate(text=chars)
                subsetter.subset(font)
                font.save(str(target))
        paths.append(target)
    return PosterFonts(paths[0], paths[1], 0)


@lru_cache(maxsize=64)
def _pil_font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, index=index)
