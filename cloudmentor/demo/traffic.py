"""A few weeks of plausible traffic for the staff statistics (LX-8), marked as the demo's.

The requests are made up — busier on weekdays and office hours, a slow rise week after week,
mostly the catalog and lessons, a few redirects and 404s — and stored through analytics'
spool and ingestion like real ones. They are marked twice: their spool file is named
`DEMO_SPOOL_NAME` (kept in the staff site's spool files), and every address is in the ranges
reserved for documentation (RFC 5737), which no real visitor has.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.utils import timezone

from cloudmentor.accounts.selectors import user_by_identifier
from cloudmentor.analytics import services as analytics_services
from cloudmentor.analytics.models import SpoolFile
from cloudmentor.learning.models import Course, Lesson, Status

DEMO_SPOOL_NAME = "demo-traffic.spool"
DEMO_DAYS = 28
DEMO_NETWORKS = ("192.0.2.", "198.51.100.", "203.0.113.")  # RFC 5737: documentation only
AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
)
# Relative weight of each hour of the day (local time is close enough for a demo).
HOURS = (1, 1, 1, 1, 1, 2, 3, 6, 9, 12, 12, 11, 8, 9, 11, 12, 11, 10, 8, 7, 6, 5, 3, 2)


def _pages() -> list[tuple[str, int]]:
    """The pages people open, with a weight: home and catalog, course pages, lessons, the rest."""
    pages = [("/", 30), ("/courses/", 25), ("/en/", 6), ("/en/courses/", 5), ("/plans/", 8), ("/learn/", 10)]
    pages += [
        (f"/courses/{slug}/", 6)
        for slug in Course.objects.filter(status=Status.PUBLISHED).values_list("slug", flat=True)
    ]
    lessons = Lesson.objects.filter(status=Status.PUBLISHED, course__status=Status.PUBLISHED).values_list(
        "course__slug", "slug"
    )
    pages += [(f"/courses/{course}/{lesson}/", 2) for course, lesson in lessons]
    pages += [("/accounts/login/", 6), ("/accounts/register/", 3), ("/legal/privacy/", 1), ("/donate/", 1)]
    return pages


def demo_requests(
    *, now: datetime, member_id: int | None, seed: int = 8
) -> Iterator[analytics_services.GeneratedRequest]:
    """Yield `DEMO_DAYS` days of requests up to `now`, always the same for the same `now` and `seed`."""
    rng = random.Random(seed)
    pages = _pages()
    paths, weights = [page for page, _ in pages], [weight for _, weight in pages]
    start = (now - timedelta(days=DEMO_DAYS)).replace(minute=0, second=0, microsecond=0)
    hour_total = sum(HOURS)
    for day in range(DEMO_DAYS):
        day_start = start + timedelta(days=day)
        base = 90 + 4 * day  # a slow rise
        visits = int(base * (0.45 if day_start.weekday() >= 5 else 1.0) * rng.uniform(0.85, 1.15))
        for _ in range(visits):
            hour = rng.choices(range(24), weights=HOURS)[0] if hour_total else 12
            at = day_start + timedelta(hours=hour, seconds=rng.randrange(3600))
            if at >= now:
                continue
            path = rng.choices(paths, weights=weights)[0]
            roll = rng.random()
            status = 404 if roll < 0.02 else 302 if roll < 0.07 else 200
            yield analytics_services.GeneratedRequest(
                requested_at=at,
                ip_address=f"{rng.choice(DEMO_NETWORKS)}{rng.randrange(1, 255)}",
                method="GET",
                path=path if status != 404 else "/courses/page-qui-n-existe-pas/",
                user_agent=rng.choice(AGENTS),
                status=status,
                duration_microseconds=int(rng.lognormvariate(10.2, 0.5)),  # about 27 ms, a long tail
                user_id=member_id if path == "/learn/" else None,
            )


def demo_traffic(*, member_username: str) -> int:
    """Store the demo's weeks of traffic once and fill the statistics; return how many requests were stored."""
    if SpoolFile.objects.filter(name=DEMO_SPOOL_NAME).exists():
        return 0
    member = user_by_identifier(member_username)
    now = timezone.now()
    stored = analytics_services.request_records_load(
        requests=demo_requests(now=now, member_id=member.pk if member is not None else None), name=DEMO_SPOOL_NAME
    )
    analytics_services.statistics_fill(now=now, refill_from=now - timedelta(days=DEMO_DAYS + 1))
    return stored
