"""Pages of the request log: the staff statistics, a member's requests for support, and a
member's own activity (PV-5, PV-7)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from cloudmentor.accounts import roles
from cloudmentor.accounts.models import StaffAccess
from cloudmentor.accounts.services import record_staff_access

from .charts import time_chart
from .forms import DateRangeForm
from .models import Frequency
from .selectors import (
    TABLES,
    Dashboard,
    dashboard_get,
    record_cursor,
    request_record_list,
    stat_table,
)

View = Callable[..., HttpResponseBase]

TABLE_TITLES = {
    "pages": gettext_lazy("Pages les plus demandées"),
    "statuses": gettext_lazy("Codes de statut"),
    "browsers": gettext_lazy("Navigateurs"),
    "systems": gettext_lazy("Systèmes d'exploitation"),
    "devices": gettext_lazy("Appareils"),
}
TABLE_LABELS = {
    "pages": gettext_lazy("Page"),
    "statuses": gettext_lazy("Statut"),
    "browsers": gettext_lazy("Navigateur"),
    "systems": gettext_lazy("Système"),
    "devices": gettext_lazy("Appareil"),
}
CSV_HEADERS = {
    "pages": "page",
    "statuses": "status",
    "browsers": "browser",
    "systems": "operating_system",
    "devices": "device",
}
PRESETS = (7, 30, 90, 365)
STAFF_PAGE_SIZE = 100


def staff_view(permission: str) -> Callable[[View], View]:
    """Guard a view like the staff site itself (staff, verified second factor, no cache), and
    let in only the roles holding `permission` (TR-1)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not roles.user_has_staff_capability(request.user, permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            return admin.site.admin_view(checked)(request, *args, **kwargs)

        return wrapper

    return decorate


def _staff_context(request: HttpRequest, title: str) -> dict[str, Any]:
    return {**admin.site.each_context(request), "title": title}


@staff_view(roles.STATISTICS)
def dashboard(request: HttpRequest) -> HttpResponse:
    form = DateRangeForm(request.GET or None)
    start_on, end_on = form.dates()
    data = dashboard_get(start_on=start_on, end_on=end_on)
    if not form.is_bound:
        form = DateRangeForm(initial={"from": start_on, "to": end_on})
    today = timezone.localdate()
    presets = [
        {"days": days, "from": today - timedelta(days=days - 1), "to": today, "active": (start_on, end_on) == (today - timedelta(days=days - 1), today)}
        for days in PRESETS
    ]  # fmt: skip
    context = {
        **_staff_context(request, _("Statistiques de fréquentation")),
        "form": form,
        "data": data,
        "presets": presets,
        "range_query": f"from={start_on.isoformat()}&to={end_on.isoformat()}",
        "traffic_chart": _traffic_chart(data),
        "times_chart": _times_chart(data),
        "tables": [
            {
                "metric": metric,
                "title": TABLE_TITLES[metric],
                "label": TABLE_LABELS[metric],
                "rows": data.tables[metric],
            }
            for metric in TABLES
        ],
    }
    return render(request, "analytics/dashboard.html", context)


def _bucket_label(frequency: str) -> Callable[[datetime], str]:
    def label(bucket: datetime) -> str:
        local = timezone.localtime(bucket)
        if frequency == Frequency.HOUR:
            return formats.date_format(local, "SHORT_DATETIME_FORMAT")
        return formats.date_format(local, "DATE_FORMAT")

    return label


def _tick_label(frequency: str) -> Callable[[datetime], str]:
    def label(bucket: datetime) -> str:
        local = timezone.localtime(bucket)
        return local.strftime("%H:%M") if frequency == Frequency.HOUR else formats.date_format(local, "j b")

    return label


def _traffic_chart(data: Dashboard) -> Any:
    return time_chart(
        title=_("Requêtes, visiteurs uniques et membres connectés"),
        buckets=data.buckets,
        bar_label_format=_bucket_label(data.frequency),
        tick_format=_tick_label(data.frequency),
        bars=("chart__bar--requests", _("requêtes"), data.requests),
        value_format=lambda value: formats.number_format(value, decimal_pos=0, force_grouping=True),
        lines=[
            ("chart__line--visitors", _("visiteurs uniques"), data.visitors),
            ("chart__line--members", _("membres connectés"), data.members),
        ],
    )


def _times_chart(data: Dashboard) -> Any:
    return time_chart(
        title=_("Temps de réponse (ms)"),
        buckets=data.buckets,
        bar_label_format=_bucket_label(data.frequency),
        tick_format=_tick_label(data.frequency),
        lines=[
            ("chart__line--median", _("médiane"), [value / 1000 for value in data.median_times]),
            ("chart__line--slow", _("95e centile"), [value / 1000 for value in data.slow_times]),
        ],
        value_format=lambda value: formats.number_format(value, decimal_pos=1, force_grouping=True),
    )


@staff_view(roles.STATISTICS)
def export_csv(request: HttpRequest, table: str) -> HttpResponse:
    """Download one table of the dashboard, for the same range, as CSV."""
    if table != "series" and table not in TABLES:
        raise Http404
    start_on, end_on = DateRangeForm(request.GET or None).dates()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="statistics-{table}-{start_on}-{end_on}.csv"'
    writer = csv.writer(response)
    if table == "series":
        data = dashboard_get(start_on=start_on, end_on=end_on, table_limit=0)
        writer.writerow(["start", "requests", "unique_visitors", "members", "median_ms", "p95_ms"])
        for index, bucket in enumerate(data.buckets):
            writer.writerow(
                [
                    timezone.localtime(bucket).isoformat(),
                    data.requests[index],
                    data.visitors[index],
                    data.members[index],
                    data.median_times[index] / 1000,
                    data.slow_times[index] / 1000,
                ]
            )
        return response
    writer.writerow([CSV_HEADERS[table], "requests", "share"])
    for row in stat_table(metric=table, start_on=start_on, end_on=end_on):
        writer.writerow([csv_safe(row.label), row.value, f"{row.share:.4f}"])
    return response


def csv_safe(value: str) -> str:
    """Keep a spreadsheet from reading a cell as a formula (CSV injection)."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@staff_view(roles.MEMBER_REQUESTS)
def member_search(request: HttpRequest) -> HttpResponse:
    """Find a member by username or email and show their recent requests (support)."""
    query = request.GET.get("q", "").strip()
    users = list(
        get_user_model().objects.filter(Q(username__iexact=query) | Q(email__iexact=query)).order_by("pk")[:2]
    ) if query else []  # fmt: skip
    if len(users) == 1:
        return redirect("analytics:member_requests", user_id=users[0].pk)
    context = {**_staff_context(request, _("Requêtes d'un membre")), "query": query}
    return render(request, "analytics/member_search.html", context, status=404 if query else 200)


@staff_view(roles.MEMBER_REQUESTS)
def member_requests(request: HttpRequest, user_id: int) -> HttpResponse:
    """A member's recent requests, for staff helping them (support, PV-5)."""
    member = get_object_or_404(get_user_model(), pk=user_id)
    page = _records_page(request, member, STAFF_PAGE_SIZE)
    # The member will see that staff read their request log (TR-2).
    record_staff_access(staff=request.user, member=member, kind=StaffAccess.Kind.REQUEST_LOG)
    context = {
        **_staff_context(request, _("Requêtes récentes de %(name)s") % {"name": member.get_username()}),
        "member": member,
        "member_admin_url": reverse(
            f"admin:{member._meta.app_label}_{member._meta.model_name}_change", args=[member.pk]
        ),
        **page,
    }
    return render(request, "analytics/member_requests.html", context)


@login_required
@never_cache
def activity(request: HttpRequest) -> HttpResponse:
    """What the request log holds about the member's own requests (PV-7)."""
    context = {
        **_records_page(request, request.user, None),
        "retention_days": settings.ANALYTICS_RAW_RETENTION_DAYS,
        "privacy_url": reverse("legal:policy", kwargs={"kind": "privacy"}),
    }
    return render(request, "analytics/activity.html", context)


def _records_page(request: HttpRequest, user: Any, size: int | None) -> dict[str, Any]:
    before = request.GET.get("before", "")
    limit = size or 50
    records = request_record_list(user=user, before=before, limit=limit)
    has_more = len(records) > limit
    records = records[:limit]
    return {
        "records": records,
        "is_first_page": not before,
        "older_cursor": record_cursor(records[-1]) if has_more and records else "",
    }
