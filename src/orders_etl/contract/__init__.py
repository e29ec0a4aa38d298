"""Reading an order file against a data contract: bytes in, validated :class:`Record` objects out.

A file is UTF-8 (a leading BOM is allowed), optionally gzip-compressed (detected by its magic bytes), and holds
either a JSON array of orders or JSON Lines (one order object per non-blank line). The first non-whitespace
character decides: ``[`` is an array, ``{`` is JSON Lines. The whole file is rejected with
:class:`~orders_etl.errors.InvalidOrderFile` listing every problem found (up to
:data:`~orders_etl.errors.MAX_PROBLEMS`), or with :class:`~orders_etl.errors.FileTooLarge`.

Positions of problems: ``$[37].products[2].price`` in an array file (zero-based indexes),
``line 57 $.products[2].price`` in a JSON Lines file (1-based line number, then the path inside that line's
object), and for file-level problems ``$``, ``line N`` (JSON Lines syntax error), ``line L column C`` (array
syntax error, both 1-based) or ``byte N`` (invalid UTF-8; zero-based offset in the decompressed content).

:func:`iter_order_file` reads a file on disk as a stream (gunzip, UTF-8 decoding and JSON parsing a chunk and an
order at a time), so memory follows the largest order, not the file; :func:`read_order_file` runs the same code
over bytes. Both report exactly what parsing the whole text at once reports.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from orders_etl.contract.decoding import content_chunks, text_chunks
from orders_etl.contract.json_stream import read_records
from orders_etl.contract.problems import FileProblem, Problems
from orders_etl.contract.rendering import render
from orders_etl.contract.rules import Record, rules_for
from orders_etl.contract.spec import Contract, load_contract
from orders_etl.errors import FileTooLarge, InvalidOrderFile

__all__ = ["Contract", "Record", "iter_order_file", "load_contract", "read_order_file", "render"]

DEFAULT_MAX_BYTES = 512 * 1024 * 1024
READ_SIZE = 256 * 1024
"""Bytes read (and at most gunzipped) at a time; memory is a few times this plus the largest single order."""


def read_order_file(
    data: bytes, *, source_key: str, max_bytes: int = DEFAULT_MAX_BYTES, contract: Contract | None = None
) -> list[Record]:
    """The records of one file, validated against the contract (the shipped one by default) and converted;
    raises InvalidOrderFile or FileTooLarge."""
    if len(data) > max_bytes:
        raise FileTooLarge(source_key, len(data), max_bytes)
    return list(_stream_records(io.BytesIO(data), source_key, max_bytes, READ_SIZE, contract or load_contract()))


def iter_order_file(
    path: Path,
    *,
    source_key: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
    read_size: int = READ_SIZE,
    contract: Contract | None = None,
) -> Iterator[Record]:
    """The records of a local file, validated and converted one at a time, in bounded memory.

    The file is read ``read_size`` bytes at a time (gunzipped and decoded on the way), so memory stays about
    the largest single order plus the buffers plus the order_ids seen, whatever the file size. Orders are
    yielded as they are read: when the file breaks the contract, InvalidOrderFile is raised once the whole file
    has been read (after the last order), with exactly the problems :func:`read_order_file` reports, so a caller
    must treat what it got as provisional until the iteration ends. FileTooLarge may be raised at any point.
    """
    size = path.stat().st_size
    if size > max_bytes:
        raise FileTooLarge(source_key, size, max_bytes)
    with path.open("rb") as stream:
        yield from _stream_records(stream, source_key, max_bytes, read_size, contract or load_contract())


def _stream_records(
    stream: BinaryIO, source_key: str, max_bytes: int, read_size: int, contract: Contract
) -> Iterator[Record]:
    """The core of both readers. Problems with the bytes (gzip, UTF-8) and JSON problems that stop the parse are
    the only problem of the file, as when the whole file was decompressed, decoded and parsed before validating:
    the bytes are always read to the end, so a gzip problem wins over a UTF-8 one, which wins over JSON."""
    problems = Problems()
    text = text_chunks(content_chunks(stream, source_key, max_bytes, read_size))
    try:
        try:
            yield from read_records(text, problems, read_size, rules_for(contract))
        except FileProblem as exc:  # the JSON cannot be parsed on: the rest is only decoded, for bytes problems
            problems.only(exc.problem)
        for _ in text:
            pass
    except FileProblem as exc:
        problems.only(exc.problem)
    if problems.total:
        raise InvalidOrderFile(source_key, problems.kept, problems.total)
