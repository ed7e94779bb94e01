"""The QR codes Daiban shows and prints: receipts (the citizen's phone scans the receipt
number) and enrolment codes (the runner's phone scans its one-time code).

Always a standard QR code, never a Micro QR: segno picks Micro QR for short text by default,
with one finder pattern that phone scanners and zbar do not read. Error correction M, and a
quiet zone of four modules, as the standard asks, so a photo of a screen or a print reads.
"""

from __future__ import annotations

import segno

QUIET_ZONE = 4  # modules of white around the code (ISO/IEC 18004)


def qr_code(text: str) -> segno.QRCode:
    """``text`` as a standard QR code (error correction M, or higher if it fits)."""
    return segno.make(text, error="m", micro=False)
