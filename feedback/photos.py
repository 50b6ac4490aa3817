"""Photos: verified as real images, re-encoded from their pixels alone, stored under new names.

Nothing the uploader chose reaches the filesystem: not the name, not the bytes, not a word
of text. Each photo's size is read from its header and checked against a cap before
anything is decoded (a decompression bomb is refused unopened); a JPEG is decoded straight
at reduced size, as it is shrunk anyway; the photo is turned upright, shrunk to at most
1600 px on the long side, copied into a fresh image of pixels only (no EXIF/GPS, XMP, ICC,
JPEG comment or PNG text chunk survives) and written afresh as a JPEG.
"""

from __future__ import annotations

import io
import os
import secrets
import time
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "MPO"}  # MPO: what some phones' cameras save
DRAFT_FORMATS = {"JPEG", "MPO"}  # decoders that can scale down while decoding
LONG_SIDE = 1600
JPEG_QUALITY = 82


class PhotoError(ValueError):
    """A photo we will not store; the message is for the villager, in Chinese."""


@dataclass(frozen=True)
class Photo:
    data: bytes
    width: int
    height: int


def prepare(raw: bytes, max_bytes: int, max_pixels: int) -> Photo:
    """Verify and re-encode one uploaded image, or raise PhotoError."""
    if len(raw) > max_bytes:
        raise PhotoError(f"照片太大了(超过 {max_bytes / 1048576:.3g} MB),请换一张或先压缩")
    if not raw:
        raise PhotoError("照片是空的,请重新选择")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))  # reads the header only
            if image.format not in ACCEPTED_FORMATS:
                raise PhotoError("只能上传 JPG、PNG 或 WebP 格式的照片")
            width, height = image.size
            if width * height > max_pixels:
                raise PhotoError("照片像素太多,无法处理,请换一张")
            if image.format in DRAFT_FORMATS:
                image.draft("RGB", _fitted(width, height))
            image.load()
            image = ImageOps.exif_transpose(image)
    except PhotoError:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
    ):
        raise PhotoError("这不是一张能打开的照片,请重新选择") from None
    image = _flatten(image)
    image.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
    clean = Image.frombytes("RGB", image.size, image.tobytes())  # pixels, nothing else
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return Photo(out.getvalue(), clean.width, clean.height)


def _fitted(width: int, height: int) -> tuple[int, int]:
    """The size a photo ends up at (inside LONG_SIDE x LONG_SIDE): the JPEG decoder may
    scale by 1/2, 1/4 or 1/8 as long as the result is at least this big."""
    scale = min(1.0, LONG_SIDE / max(width, height, 1))
    return max(1, int(width * scale)), max(1, int(height * scale))


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white: JPEG has no transparency or palette."""
    if image.mode in ("RGBA", "LA", "P", "PA"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")


def new_filename() -> str:
    """A generated name, with a two-character folder so no folder grows huge."""
    token = secrets.token_hex(16)
    return f"{token[:2]}/{token}.jpg"


def write(folder: Path, filename: str, photo: Photo) -> Path:
    """Write and fsync a photo (and its folder entry) before its row is committed."""
    path = folder / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("xb") as out:
        out.write(photo.data)
        out.flush()
        os.fsync(out.fileno())
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return path


@dataclass
class Written:
    """Photos written under new names, for the rows that name them."""

    files: list[tuple[str, Photo]]  # (filename, photo), in the order given
    paths: list[Path] = field(default_factory=list)  # the files written so far

    def remove(self) -> None:
        """Take the files away again: their rows will not be committed."""
        for path in self.paths:
            path.unlink(missing_ok=True)


@contextmanager
def written(folder: Path | None, photos: Iterable[Photo]) -> Iterator[Written]:
    """Write the photos before the transaction that inserts their rows, and remove them again
    if that block fails (a refusal, a rollback, a failed write of a later photo), so there is
    never a row without its photo nor, but for a crash, a photo without its row. A block that
    decides not to insert the rows after all (a replayed submission) calls `remove` itself.
    `folder` may be None when there are no photos."""
    batch = Written([(new_filename(), photo) for photo in photos])
    try:
        for name, photo in batch.files:
            batch.paths.append(write(folder, name, photo))
        yield batch
    except BaseException:
        batch.remove()
        raise


def sweep_orphans(folder: Path, referenced: set[str], older_than: float = 3600) -> int:
    """Remove photo files no row refers to: left when a server died between writing a photo
    and committing its opinion. Recent files are spared, as their opinion may be committing."""
    removed = 0
    cutoff = time.time() - older_than
    for path in folder.glob("*/*.jpg"):
        name = f"{path.parent.name}/{path.name}"
        if name not in referenced and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
