"""Content-Encoding decoding with a hard cap on the decoded bytes, however small the input.

An HTTP client library decodes each received chunk whole: 64 kB of gzip can hold 64 MB of
spaces. Here the output is produced in bounded steps, so a bomb is refused after at most
``limit`` plus two steps (brotli may overshoot its buffer limit once) of memory.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import brotli

STEP = 256 * 1024  # output asked of one call into a decompressor


class DecodeError(Exception):
    """The body is not valid in its declared Content-Encoding, or uses an unknown one."""


class Overflow(Exception):
    """The decoded body grew past the limit."""


class BoundedDecoder:
    """Decodes a body chunk by chunk and stops once the decoded size passes ``limit``."""

    def __init__(self, encoding: str, limit: int) -> None:
        self.limit = limit
        self.size = 0
        codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1:
            raise DecodeError(f"stacked Content-Encoding {encoding!r} is not supported")
        self.coding = codings[0] if codings else "identity"
        if self.coding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.coding == "deflate":
            self._zlib = zlib.decompressobj()
            self._raw_deflate_tried = False
        elif self.coding == "br":
            self._brotli = brotli.Decompressor()
        elif self.coding != "identity":
            raise DecodeError(f"unsupported Content-Encoding {encoding!r}")

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        """Decoded pieces of this raw chunk; raises Overflow past the limit."""
        for piece in self._decode(chunk):
            self.size += len(piece)
            if self.size > self.limit:
                raise Overflow
            yield piece

    def _decode(self, chunk: bytes) -> Iterator[bytes]:
        if self.coding == "identity":
            yield chunk
        elif self.coding == "br":
            yield from self._brotli_steps(chunk)
        else:
            yield from self._zlib_steps(chunk)

    def _zlib_steps(self, data: bytes) -> Iterator[bytes]:
        try:
            while data:
                out = self._zlib.decompress(data, STEP)
                data = self._zlib.unconsumed_tail
                yield out
        except zlib.error as exc:
            if self.coding == "deflate" and not self._raw_deflate_tried and self.size == 0:
                # Some servers send raw deflate without the zlib header the RFC asks for.
                self._raw_deflate_tried = True
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                yield from self._zlib_steps(data)
                return
            raise DecodeError(f"invalid {self.coding} data: {exc}") from None

    def _brotli_steps(self, data: bytes) -> Iterator[bytes]:
        try:
            out = self._brotli.process(data, output_buffer_limit=STEP)
            yield out
            while not self._brotli.can_accept_more_data():
                yield self._brotli.process(b"", output_buffer_limit=STEP)
        except brotli.error as exc:
            raise DecodeError(f"invalid br data: {exc}") from None
