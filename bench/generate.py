"""Deterministic order files for the benchmark: valid per the data contract, exactly the requested size.

Every file comes from one seeded :class:`random.Random`, so the same size and format give the same bytes on
every run (and the smaller files are prefixes, order for order, of the larger ones). Orders fall on
``DEFAULT_DAYS`` UTC days; the many-dates variant (``days=MANY_DATES_DAYS``, ``-730d`` in its file name) spreads
the same stream of orders over about two years, one ``dt`` partition a day. Orders are realistic
for the contract: string and integer ``order_id`` (unique), ``customer_id`` and ``product_id``; dates with
``Z``, with milliseconds, with offsets and date-only; money with at most 2 decimals (``7``, ``12.5``,
``1199.99``); customers from a fixed pool, some with null or absent ``name``/``email``/``address``; 0-6
products per order from a fixed catalog (categories, some null); unicode in names and addresses; unknown
fields (``channel``, sometimes ``meta`` and ``gift_wrap``) that the contract ignores.

The file is written as it is generated (1 MiB buffers), never held whole in memory. Its size is exact: the
last order carries an unknown ``note`` field padded so that the file ends at ``target_bytes``. A cached file
is reused when it exists with exactly that size; files are written under a temporary name and renamed, so a
partial file never has the final name. ``GENERATOR_VERSION`` is part of the file name: bump it whenever the
bytes produced for a given size, format and number of days change, and the next run regenerates (the number of
days is in the name of every variant but the default).

    .venv/bin/python -m bench.generate [--sizes 10,100,500] [--gb2] [--no-many-dates] [--data-dir .bench-data]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

GENERATOR_VERSION = 1
SEED = 20251101
MB = 1_000_000  # sizes are decimal: 10 MB is 10,000,000 bytes
DEFAULT_SIZES_MB = (10, 100, 500)
GB2_MB = 2000
Format = Literal["json", "jsonl"]
FORMATS: tuple[Format, ...] = ("json", "jsonl")
DEFAULT_DATA_DIR = Path(".bench-data")

_CUSTOMERS = 20_000
_CATALOG = 5_000
DEFAULT_DAYS = 28  # orders fall on 28 UTC days (so about 28-29 dt partitions per file)
MANY_DATES_DAYS = 730  # the many-dates variant: about two years, one dt partition a day
MANY_DATES_MB = 100
MANY_DATES_FORMAT: Format = "json"
_START = datetime(2025, 11, 1, tzinfo=UTC)
_RESERVE = 4096  # room left for the final, padded order (whose unpadded text is well under 1 KB)
_FLUSH = 1 << 20

_FIRST = [
    "Ada", "Grace", "José", "Zoë", "Søren", "Chloé", "Łukasz", "Αθηνά", "Иван", "美咲", "Nguyễn", "Björn",
    "Ayşe", "François", "Małgorzata", "Олена", "Ren", "Priya", "Kwame", "Siobhán", "Alan", "Mary", "Ngozi",
]  # fmt: skip
_LAST = [
    "Lovelace", "Hopper", "Müller", "García", "Ødegaard", "Nakamura", "Kowalczyk", "Papadopoulos", "Петров",
    "O'Brien", "Dvořák", "Åström", "Núñez", "Ng", "佐藤", "Okafor", "Schrödinger", "Turing", "Smith",
]  # fmt: skip
_STREETS = [
    "Rue de la Paix", "Königstraße", "Calle Mayor", "Main St", "Øster Allé", "Nevsky Prospekt", "Via del Corso",
    "Baker Street", "Avenida Paulista", 'Building "B", Harbour Rd',
]  # fmt: skip
_CITIES = ["Paris", "München", "Madrid", "Springfield", "København", "Санкт-Петербург", "Roma", "東京", "Lagos"]
_ADJECTIVES = ["Crème", "Café", "Smart", "Organic", "Wireless", "Kühl", "Deluxe", "Mini", "Ñandú", "Eco", "Pro"]
_NOUNS = [
    "Laptop", "Mouse", "Notebook", "Coffee beans", "Tea", "Headphones", "Blender", "Jacket", "Lamp", "Book",
    "Brûlée set", "Backpack", "Kettle", "Yoga mat", "Teddy bear", "Fountain pen",
]  # fmt: skip
_CATEGORIES = [
    "Electronics", "Grocery", "Stationery", "Home & Kitchen", "Books", "Toys", "Beauty", "Sports", "Garden",
    "Fashion",
]  # fmt: skip
_CHANNELS = ["web", "app", "store", "phone"]
_OFFSETS = ["+01:00", "-05:00", "+05:30", "+09:00", "-08:00", "+00:00", "-03:30"]
_PRODUCT_COUNTS = range(7)
_PRODUCT_WEIGHTS = [5, 30, 25, 15, 10, 8, 7]
_QUANTITIES = [1, 2, 3, 4, 5, 10, 24, 100, 1_000_000]
_QUANTITY_WEIGHTS = [600, 200, 80, 40, 30, 25, 15, 9, 1]


@dataclass(frozen=True)
class GeneratedFile:
    path: Path
    fmt: Format
    bytes: int
    orders: int
    rows: int  # products, i.e. rows of the flattened output
    orders_without_products: int


def data_file_name(size_mb: int, fmt: Format, days: int = DEFAULT_DAYS) -> str:
    """``orders-10MB.v1.json``; 2000 MB is ``orders-2GB.v1.jsonl``; 730 days is ``orders-100MB-730d.v1.json``."""
    label = f"{size_mb // 1000}GB" if size_mb % 1000 == 0 else f"{size_mb}MB"
    variant = "" if days == DEFAULT_DAYS else f"-{days}d"
    return f"orders-{label}{variant}.v{GENERATOR_VERSION}.{fmt}"


def _money(cents: int) -> int | float:
    """``7`` for whole amounts, else the float whose repr has at most 2 decimals (``12.5``, ``1199.99``)."""
    return cents // 100 if cents % 100 == 0 else cents / 100


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


class _OrderMaker:
    """Orders from one seeded random stream, dated over ``days`` UTC days; customers and products from fixed pools."""

    def __init__(self, seed: int, days: int = DEFAULT_DAYS) -> None:
        if days < 1:
            raise ValueError(f"days must be at least 1, got {days}")
        self.rng = random.Random(seed)
        self.days = days
        self.customers = [self._customer(i) for i in range(_CUSTOMERS)]
        self.catalog = [self._product(i) for i in range(_CATALOG)]
        self.count = 0

    def _customer(self, i: int) -> dict[str, Any]:
        rng = self.rng
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        customer: dict[str, Any] = {"customer_id": f"C-{i:06d}" if rng.random() < 0.8 else 500_000 + i}
        roll = rng.random()
        if roll < 0.9:
            customer["name"] = f"{first} {last}"
        elif roll < 0.95:
            customer["name"] = None  # else absent
        roll = rng.random()
        if roll < 0.85:
            customer["email"] = f"{_ascii(first) or 'user'}.{_ascii(last) or 'x'}{i}@example.com"
        elif roll < 0.95:
            customer["email"] = None
        roll = rng.random()
        if roll < 0.8:
            customer["address"] = f"{rng.randint(1, 999)} {rng.choice(_STREETS)}, {rng.choice(_CITIES)}"
        elif roll < 0.9:
            customer["address"] = None
        return customer

    def _product(self, i: int) -> dict[str, Any]:
        rng = self.rng
        cents = int(math.exp(rng.uniform(math.log(50), math.log(150_000))))
        roll = rng.random()
        if roll < 0.1:
            cents = max(100, cents - cents % 100)  # whole amounts: 7
        elif roll < 0.2:
            cents -= cents % 10  # one decimal: 12.5
        product: dict[str, Any] = {"product_id": f"P-{i:05d}" if rng.random() < 0.8 else 10_000 + i}
        product["name"] = None if rng.random() < 0.02 else f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"
        roll = rng.random()
        if roll < 0.94:
            product["category"] = rng.choice(_CATEGORIES)
        elif roll < 0.98:
            product["category"] = None
        product["price"] = cents  # in cents until an order uses it
        return product

    def _date(self) -> str:
        rng = self.rng
        moment = _START + timedelta(seconds=rng.randrange(self.days * 86_400), milliseconds=rng.randrange(1000))
        roll = rng.random()
        if roll < 0.55:
            return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        if roll < 0.7:
            return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
        if roll < 0.9:
            offset = rng.choice(_OFFSETS)
            sign = -1 if offset[0] == "-" else 1
            local = moment + sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
            return local.strftime("%Y-%m-%dT%H:%M:%S") + offset
        return moment.strftime("%Y-%m-%d")  # date-only: the UTC date

    def order(self, products: int | None = None) -> dict[str, Any]:
        rng = self.rng
        self.count += 1
        n = self.count
        order_id: str | int = f"ORD-{n:08d}" if rng.random() < 0.75 else 100_000_000 + n
        count = rng.choices(_PRODUCT_COUNTS, _PRODUCT_WEIGHTS)[0] if products is None else products
        items = []
        total = 0
        for _ in range(count):
            item = dict(rng.choice(self.catalog))
            cents = item["price"]
            quantity = rng.choices(_QUANTITIES, _QUANTITY_WEIGHTS)[0]
            total += cents * quantity
            item["price"] = _money(cents)
            item["quantity"] = quantity
            if rng.random() < 0.05:
                item["gift_wrap"] = True  # unknown field
            items.append(item)
        if items:
            total += rng.choice((0, 0, 499, 999))  # shipping
        order: dict[str, Any] = {
            "order_id": order_id,
            "order_date": self._date(),
            "channel": rng.choice(_CHANNELS),  # unknown field
            "total_amount": _money(total),
            "customer": rng.choice(self.customers),
            "products": items,
        }
        if rng.random() < 0.1:
            order["meta"] = {"coupon": f"SAVE{rng.randint(5, 50)}", "tags": ["promo", "ünïcode"], "score": 0.25}
        return order


def _encode(order: dict[str, Any]) -> bytes:
    return json.dumps(order, ensure_ascii=False).encode("utf-8")


def write_orders(
    path: Path, fmt: Format, target_bytes: int, seed: int = SEED, *, days: int = DEFAULT_DAYS
) -> GeneratedFile:
    """Write exactly ``target_bytes`` of valid orders, dated over ``days`` UTC days, as a JSON array or JSON Lines."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: expected one of {FORMATS}")
    if target_bytes < 2 * _RESERVE:
        raise ValueError(f"target_bytes must be at least {2 * _RESERVE}")
    # array: "[\n" order ",\n" order ... "\n]\n";  JSON Lines: order "\n" order "\n" ...
    head, separator, line_end, tail = (b"[\n", b",\n", b"", b"\n]\n") if fmt == "json" else (b"", b"", b"\n", b"")
    maker = _OrderMaker(seed, days)
    orders = rows = empty = 0
    written = len(head)
    buffer = bytearray(head)
    with path.open("wb") as out:
        while True:
            order = maker.order()
            line = (separator if orders else b"") + _encode(order) + line_end
            if written + len(line) + len(tail) + _RESERVE > target_bytes:
                break  # this order is dropped: the padded final order takes its place
            buffer += line
            written += len(line)
            orders += 1
            rows += len(order["products"])
            empty += not order["products"]
            if len(buffer) >= _FLUSH:
                out.write(buffer)
                buffer.clear()
        # The last order: one product, and an unknown field padded so that the file ends at target_bytes.
        final = maker.order(products=1)
        final["note"] = ""
        unpadded = len(separator if orders else b"") + len(_encode(final)) + len(line_end) + len(tail)
        pad = target_bytes - written - unpadded
        if pad < 0:  # cannot happen while _RESERVE exceeds the text of any one-product order
            raise AssertionError(f"no room for the final order ({pad} bytes)")
        final["note"] = "." * pad
        buffer += (separator if orders else b"") + _encode(final) + line_end + tail
        out.write(buffer)
    orders += 1
    rows += 1
    size = path.stat().st_size
    if size != target_bytes:
        raise AssertionError(f"{path}: wrote {size} bytes, expected {target_bytes}")
    return GeneratedFile(path, fmt, size, orders, rows, empty)


def write_order_count(path: Path, orders: int, seed: int = SEED) -> GeneratedFile:
    """A JSON array of exactly ``orders`` orders (the small files people upload most: no size padding)."""
    maker = _OrderMaker(seed)
    made = [maker.order() for _ in range(orders)]
    path.write_bytes(b"[\n" + b",\n".join(_encode(order) for order in made) + b"\n]\n")
    rows = sum(len(order["products"]) for order in made)
    empty = sum(not order["products"] for order in made)
    return GeneratedFile(path, "json", path.stat().st_size, orders, rows, empty)


def ensure_file(data_dir: Path, size_mb: int, fmt: Format, *, days: int = DEFAULT_DAYS, log: bool = True) -> Path:
    """The cached file of that size, format and number of days, generated first if missing or of the wrong size."""
    path = data_dir / data_file_name(size_mb, fmt, days)
    target = size_mb * MB
    if path.is_file() and path.stat().st_size == target:
        return path
    data_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    started = time.perf_counter()
    if log:
        print(f"generating {path} ({size_mb} MB) ...", file=sys.stderr, flush=True)
    try:
        info = write_orders(partial, fmt, target, days=days)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    if log:
        seconds = time.perf_counter() - started
        print(
            f"  {info.orders:,} orders, {info.rows:,} products, {info.orders_without_products:,} without products"
            f" in {seconds:.1f} s",
            file=sys.stderr,
            flush=True,
        )
    return path


def parse_sizes(text: str) -> list[int]:
    """``"10,100"`` -> ``[10, 100]`` (MB)."""
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes in MB like 10,100,500, got {text!r}") from None
    if not sizes or any(size <= 0 for size in sizes):
        raise argparse.ArgumentTypeError(f"expected positive sizes in MB, got {text!r}")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=parse_sizes, default=list(DEFAULT_SIZES_MB), help="sizes in MB: 10,100,500")
    parser.add_argument("--gb2", action="store_true", help="also write the 2 GB files (array and JSON Lines)")
    parser.add_argument("--no-many-dates", action="store_true", help="skip the 100 MB array over 730 days")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="cache directory (.bench-data)")
    args = parser.parse_args(argv)
    sizes = [*args.sizes, *([GB2_MB] if args.gb2 else [])]
    for size in sizes:
        for fmt in FORMATS:
            print(ensure_file(args.data_dir, size, fmt))
    if not args.no_many_dates:
        print(ensure_file(args.data_dir, MANY_DATES_MB, MANY_DATES_FORMAT, days=MANY_DATES_DAYS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
