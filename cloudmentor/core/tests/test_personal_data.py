"""The personal-data registry's JSON writer: streamed, yet the same document (PV-9)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from cloudmentor.core.personal_data import stream_json, stream_json_chunks


def test_pv9_the_streamed_json_is_the_document_with_iterators_written_as_lists() -> None:
    at = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    document = {
        "empty": {},
        "none": [],
        "rows": (row for row in [{"at": at, "price": Decimal("49.00")}, {"label": _("Compte")}]),
        "nothing": iter([]),
        "text": '«guillemets» "et" \\ retours\n',
    }

    parsed = json.loads("".join(stream_json(document)))

    assert parsed == {
        "empty": {},
        "none": [],
        "rows": [{"at": "2026-11-27T16:00:00+00:00", "price": "49.00"}, {"label": "Compte"}],
        "nothing": [],
        "text": '«guillemets» "et" \\ retours\n',
    }


def test_pv9_a_large_list_leaves_in_a_few_chunks_not_one_write_per_value() -> None:
    rows = ({"n": n, "url": f"/page/{n}/"} for n in range(20_000))

    chunks = list(stream_json_chunks({"requests": rows}, size=64 * 1024))

    assert len(json.loads(b"".join(chunks))["requests"]) == 20_000
    assert 5 < len(chunks) < 50
