"""The request log (PV-5) keeps no person's address or userName from a directory's SCIM filter."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from cloudmentor.core.redaction import redact_query


@pytest.mark.parametrize(
    "text",
    ['userName eq "ada@corp.example"', 'emails[type eq "work"].value eq "ada@corp.example"', 'userName eq "ada"'],
)
def test_pv5_a_scim_filter_is_redacted_from_the_request_log(text: str) -> None:
    query = urlencode({"filter": text, "startIndex": "1", "count": "100"})

    logged = redact_query(query)

    assert "ada" not in logged
    assert "startIndex=1" in logged and "count=100" in logged
