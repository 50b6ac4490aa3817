"""Photos as phones make them, for tests: big, noisy, carrying EXIF with GPS."""

from __future__ import annotations

import io

from PIL import Image

GPS_IFD = 0x8825


def phone_jpeg(width: int = 3000, height: int = 2000, quality: int = 90) -> bytes:
    """A camera-like JPEG (noise, so it does not compress to nothing) with GPS in its EXIF."""
    noise = Image.effect_noise((width // 4, height // 4), 60).resize((width, height))
    image = Image.merge(
        "RGB", (noise, noise.rotate(180), noise.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    )
    exif = Image.Exif()
    exif[0x010F] = "Xiaomi"  # Make
    exif[0x0110] = "Redmi Note 12"  # Model
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (22.0, 48.0, 30.0), 3: "E", 4: (108.0, 19.0, 12.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, exif=exif)
    return out.getvalue()


def has_gps(data: bytes) -> bool:
    return bool(Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD))
