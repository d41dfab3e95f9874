"""``format_timestamp``'s caches (identity, same-second window, per-second dict) against
``time.strftime`` of the UTC second, for datetimes in several zones, in and out of order."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta, timezone

from branchmark.objects.timestamps import format_timestamp


def test_cached_text_is_the_utc_second_of_every_value() -> None:
    rng = random.Random(0)
    base = datetime(2025, 1, 15, 12, tzinfo=UTC)
    zones = [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
    values = [
        (base + timedelta(microseconds=rng.randrange(0, 5_000_000))).astimezone(rng.choice(zones))
        for _ in range(5000)
    ]
    values.append(datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC))
    for sequence in (sorted(values), sorted(values, reverse=True), values):
        for value in sequence:
            expected = time.strftime(
                "%a, %d %b %Y %H:%M:%S UTC", time.gmtime(int(value.timestamp()))
            )
            assert format_timestamp(value) == expected, value
