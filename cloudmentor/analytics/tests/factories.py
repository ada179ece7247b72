from __future__ import annotations

from datetime import UTC, datetime

import factory

from cloudmentor.analytics.models import Device, RequestRecord, SpoolFile

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Mobile/15E148 Safari/604.1"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"


class SpoolFileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SpoolFile

    name = factory.Sequence(lambda n: f"test_{n}.spool")


class RequestRecordFactory(factory.django.DjangoModelFactory):
    """A record as ingestion stores it (for selectors, rollups and pages)."""

    class Meta:
        model = RequestRecord

    requested_at = factory.LazyFunction(lambda: datetime(2026, 3, 10, 9, 30, tzinfo=UTC))
    ip_address = "203.0.113.7"
    method = "GET"
    path = "/"
    query = ""
    browser = "Chrome"
    browser_version = "124.0"
    operating_system = "Windows"
    device = Device.DESKTOP
    user = None
    status = 200
    duration_microseconds = 5000
    spool_file = factory.SubFactory(SpoolFileFactory)
    spool_offset = factory.Sequence(lambda n: n * 100)
