"""Reading QR codes back as a phone would: ZXing (the decoder phone scanners are built on)
over a PNG, from a browser screenshot or a render."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image


def read_qr(png: bytes) -> str:
    """The text of the one standard QR code in ``png``; fails on none, several, or a Micro QR
    (which phone scanners and zbar do not read)."""
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(found) == 1, f"{len(found)} codes found"
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode, found[0].format
    return found[0].text
