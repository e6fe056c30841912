"""Bounded decoding of gzip, deflate and brotli bodies."""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest

from bot.ingest.http.decode import STEP, BoundedDecoder, DecodeError, Overflow

BODY = b"<rss>" + b"news " * 50_000 + b"</rss>"
ENCODED = {
    "gzip": gzip.compress(BODY),
    "deflate": zlib.compress(BODY),
    "br": brotli.compress(BODY),
    "identity": BODY,
}


def decode(encoding: str, data: bytes, limit: int = 10_000_000, chunk: int = 1000) -> bytes:
    decoder = BoundedDecoder(encoding, limit)
    return b"".join(
        p for i in range(0, len(data), chunk) for p in decoder.feed(data[i : i + chunk])
    )


@pytest.mark.parametrize("encoding", list(ENCODED))
def test_round_trip_in_small_chunks(encoding: str) -> None:
    assert decode(encoding, ENCODED[encoding]) == BODY


def test_raw_deflate_without_zlib_header() -> None:
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    data = raw.compress(BODY) + raw.flush()
    assert decode("deflate", data) == BODY


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_bomb_stops_one_step_past_the_limit(encoding: str) -> None:
    zeros = b"\0" * 50_000_000
    bomb = {"gzip": gzip.compress, "deflate": zlib.compress, "br": brotli.compress}[encoding](zeros)
    decoder = BoundedDecoder(encoding, 1_000_000)
    with pytest.raises(Overflow):
        for piece in decoder.feed(bomb):  # the whole bomb in one chunk
            assert len(piece) <= 2 * STEP  # brotli may overshoot its buffer limit once
    assert decoder.size <= 1_000_000 + 2 * STEP


@pytest.mark.parametrize(
    ("encoding", "data"), [("gzip", b"not gzip"), ("zstd", b""), ("gzip, br", b"")]
)
def test_bad_or_unknown_encodings_are_errors(encoding: str, data: bytes) -> None:
    with pytest.raises(DecodeError):
        decode(encoding, data)
