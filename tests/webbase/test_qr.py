"""Our QR codes are standard QR codes a phone scanner reads, short text included."""

from __future__ import annotations

import io

import pytest
import segno

from tests.support.qr import read_qr
from webbase.qr import QUIET_ZONE, qr_code


def png(code: segno.QRCode) -> bytes:
    out = io.BytesIO()
    code.save(out, kind="png", scale=6, border=QUIET_ZONE)
    return out.getvalue()


@pytest.mark.parametrize(
    "text",
    [
        "R26-0042K",
        "A",
        "XL001-260312-0042-K",
        "daiban://enrol?hub=http%3A%2F%2F10.0.0.2&code=ABCD-EFGH",
    ],
)
def test_short_and_long_text_both_make_a_standard_qr_a_decoder_reads(text: str) -> None:
    code = qr_code(text)
    assert not code.is_micro
    assert read_qr(png(code)) == text


def test_the_decoder_refuses_the_micro_qr_segno_makes_by_default() -> None:
    # What the receipts printed before: a Micro QR (one finder pattern) for short text.
    default = segno.make("R26-0042K", error="m")
    assert default.is_micro
    with pytest.raises(AssertionError):
        read_qr(png(default))
