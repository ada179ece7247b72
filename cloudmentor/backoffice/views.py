"""The staff home at /staff/ (BZ-5): the business at a glance, then the staff site's lists."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST, require_safe

from cloudmentor.accounts.roles import user_has_staff_capability
from cloudmentor.billing.models import AccessLevel

from . import selectors, snapshots
from .charts import Chart, Series, chart

# What the reader must be allowed to open to see each section: the list behind its figures,
# checked as every staff right is (accounts.roles: verified second factor and the permission).
SECTION_PERMISSIONS = {
    selectors.ACCOUNTS: "accounts.view_user",
    selectors.SUBSCRIPTIONS: "billing.view_subscription",
    selectors.REVENUE: "billing.view_payment",
    selectors.INVOICES: "billing.view_invoice",
    selectors.ERROR_REPORTS: "learning.view_errorreport",
    selectors.CONTACT: "operations.view_contactmessage",
}
STATISTICS_PERMISSION = "analytics.view_fillstate"
# The same icon as core/img/favicon.svg, for the browsers that ask for /favicon.ico whatever the page links.
FAVICON = Path(__file__).resolve().parent / "static" / "backoffice" / "favicon.ico"


def admin_list(name: str, **filters: Any) -> str:
    """Return the staff site's list `name` ("billing_invoice"), filtered by `filters`."""
    url = reverse(f"admin:{name}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def _amount(value: float | Decimal) -> str:
    return _("%(amount)s €") % {
        "amount": formats.number_format(Decimal(value), decimal_pos=2, use_l10n=True, force_grouping=True)
    }


def _round_amount(value: float) -> str:
    return _("%(amount)s €") % {"amount": formats.number_format(int(value), use_l10n=True, force_grouping=True)}


def _count(value: float) -> str:
    return formats.number_format(int(value), use_l10n=True, force_grouping=True)


def _week_label(day: date) -> str:
    return formats.date_format(day, "j M")


def _month_label(day: date, *, first: bool = False) -> str:
    """Name the month; the year only on the first bucket and on January (12 labels must fit)."""
    return formats.date_format(day, "M Y" if first or day.month == 1 else "M")


def _charts(home: selectors.StaffHome) -> list[Chart]:
    charts: list[Chart] = []
    if home.subscriptions:
        subscriptions = home.subscriptions
        charts.append(
            chart(
                title=_("Abonnements vendus et terminés par semaine"),
                labels=[_week_label(day) for day in subscriptions.weeks],
                series=[
                    Series("series-new", _("vendus"), subscriptions.new_per_week),
                    Series("series-ended", _("terminés"), subscriptions.ended_per_week),
                ],
                value_format=_count,
            )
        )
    if home.revenue or home.subscriptions:
        months = home.revenue.months if home.revenue else home.subscriptions.months  # type: ignore[union-attr]  # one of them is set
        series: list[Series] = []
        if home.revenue:
            series.append(Series("series-revenue", _("encaissé"), [float(v) for v in home.revenue.per_month]))
        if home.subscriptions:
            series.append(
                Series(
                    "series-mrr",
                    _("revenu récurrent mensuel (au 1er du mois)"),
                    [float(v) for v in home.subscriptions.mrr_per_month],
                    kind="line",
                )
            )
        charts.append(
            chart(
                title=_("Chiffre d'affaires par mois"),
                labels=[_month_label(day, first=index == 0) for index, day in enumerate(months)],
                series=series,
                value_format=_amount,
                tick_format=_round_amount,
            )
        )
    return charts


def _allowed_sections(request: HttpRequest) -> frozenset[str]:
    return frozenset(
        section
        for section, permission in SECTION_PERMISSIONS.items()
        if user_has_staff_capability(request.user, permission)
    )


def _home(request: HttpRequest) -> HttpResponse:
    home = snapshots.staff_home_current(sections=_allowed_sections(request))
    site_context = admin.site.each_context(request)
    context = {
        **site_context,
        "title": _("Accueil du personnel"),
        "home": home,
        "charts": _charts(home),
        "links": {
            "active": admin_list("accounts_user", is_active__exact=1, is_staff__exact=0),
            "disabled": admin_list("accounts_user", is_active__exact=0),
            "subscriptions": admin_list("billing_subscription"),
            "payments": admin_list("billing_payment", status__exact="succeeded"),
            "due": admin_list("billing_invoice", follow="open"),
            "overdue": admin_list("billing_invoice", follow="overdue"),
            "error_reports": admin_list("learning_errorreport", status__exact="open"),
            "contact": admin_list("operations_contactmessage", is_handled__exact=0),
        },
        "plan_rows": [
            {
                "row": row,
                "level": AccessLevel(row.level).label,
                "url": admin_list("billing_subscription", plan__id__exact=row.plan_id)
                if row.plan_id is not None
                else admin_list("billing_subscription", source__exact="grant"),
            }
            for row in (home.subscriptions.by_plan if home.subscriptions else [])
        ],
        "level_rows": [
            {"row": row, "url": admin_list("billing_subscription", access_level__exact=row.level)}
            for row in (home.subscriptions.by_level if home.subscriptions else [])
        ],
        "may_see_statistics": user_has_staff_capability(request.user, STATISTICS_PERMISSION),
        "app_list": site_context["available_apps"],  # the staff site's sections, as its own index lists them
    }
    return render(request, "backoffice/home.html", context)


@require_POST
def _refresh(request: HttpRequest) -> HttpResponse:
    """Recompute the kept figures now (a purchase made a moment ago shows at once)."""
    if _allowed_sections(request) & snapshots.KEPT:
        snapshots.staff_home_refresh()
    return redirect("backoffice:home")


# The staff site's own guard: verified staff (password and TOTP), never cached.
home = admin.site.admin_view(_home)
refresh = admin.site.admin_view(_refresh)


@require_safe
@cache_control(public=True, max_age=86400)
def favicon(request: HttpRequest) -> FileResponse:
    """Answer /favicon.ico, which browsers ask for whatever the page links (our own icon)."""
    return FileResponse(FAVICON.open("rb"), content_type="image/x-icon")
