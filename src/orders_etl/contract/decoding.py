"""Bytes to text: gunzip (detected by its magic bytes, every member) and UTF-8 decoding, a chunk at a time."""

from __future__ import annotations

import codecs
import json
import zlib
from collections.abc import Iterator
from itertools import chain
from typing import BinaryIO

from orders_etl.contract.problems import file_problem
from orders_etl.errors import MISSING, FileTooLarge

_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"


def content_chunks(stream: BinaryIO, source_key: str, max_bytes: int, read_size: int) -> Iterator[bytes]:
    """The content of the file (gunzipped when it starts with the gzip magic bytes), chunk by chunk."""
    head = stream.read(len(_GZIP_MAGIC))
    if head == _GZIP_MAGIC:
        yield from _gunzip_chunks(stream, head, source_key, max_bytes, read_size)
        return
    if head:
        yield head
    while chunk := stream.read(read_size):
        yield chunk


def _gunzip_chunks(stream: BinaryIO, data: bytes, source_key: str, max_bytes: int, read_size: int) -> Iterator[bytes]:
    """Decompress every gzip member, at most read_size bytes at a time and never more than max_bytes + 1 in all."""
    total = 0
    while True:  # one gzip member per round
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        while not inflater.eof:
            if not data:
                data = stream.read(read_size)
            try:
                out = inflater.decompress(data, min(read_size, max_bytes + 1 - total))
            except zlib.error as exc:
                raise file_problem("$", MISSING, f"a complete gzip stream ({exc})") from None
            total += len(out)
            if total > max_bytes:
                raise FileTooLarge(source_key, total, max_bytes, decompressed=True)
            if out:
                yield out
            elif not data:  # no input left, and nothing more comes out
                raise file_problem("$", MISSING, "a complete gzip stream (the data ends too early)")
            data = inflater.unconsumed_tail
        data = _after_member(inflater.unused_data, stream, read_size)
        if not data:
            return


def _after_member(data: bytes, stream: BinaryIO, read_size: int) -> bytes:
    """What follows a gzip member: b"" when only zero padding is left (ignored, like gzip(1)), else the next
    member's bytes. Leading zeros before other bytes make a bad header; two of them say so as well as many."""
    zeros = 0
    while True:
        rest = data.lstrip(b"\x00")
        zeros += len(data) - len(rest)
        if rest:
            return b"\x00" * min(zeros, 2) + rest
        data = stream.read(read_size)
        if not data:
            return b""


def text_chunks(content: Iterator[bytes]) -> Iterator[str]:
    """The content as text (a leading BOM dropped), chunk by chunk; never yields "".

    Invalid UTF-8 is reported at ``byte N`` (offset in the content) once the content has been read to the end.
    """
    head = b""
    for chunk in content:
        head += chunk
        if len(head) >= len(_BOM):
            break
    skipped = len(_BOM) if head.startswith(_BOM) else 0
    decoder = codecs.getincrementaldecoder("utf-8")()
    fed = skipped  # content bytes given to the decoder so far, counting the BOM
    buffered = b""
    try:
        for chunk in chain([head[skipped:]], content):
            buffered = decoder.getstate()[0]
            text = decoder.decode(chunk)
            fed += len(chunk)
            if text:
                yield text
        buffered = decoder.getstate()[0]
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        # exc.object is the decoder's buffered bytes followed by the chunk
        offset = fed - len(buffered) + exc.start
        bad = json.dumps(exc.object[exc.start : exc.end].hex(" "))
        for _ in content:  # gzip and size problems come first
            pass
        raise file_problem(f"byte {offset}", bad, "valid UTF-8 text") from None
