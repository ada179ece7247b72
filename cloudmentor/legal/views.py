"""The policy pages, their past versions, and the member's acknowledgement of new terms (TM-1)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cloudmentor.accounts.http import AuthenticatedHttpRequest
from cloudmentor.core.cookies import cookie_list
from cloudmentor.core.markdown import render_markdown_cached
from cloudmentor.core.pagecache import anonymous_page_cache

from . import selectors, services
from .exceptions import TermsVersionOutdated
from .models import PolicyDocument, PolicyKind

COOKIE_TABLE_MARK = "<p>{{ cookie_table }}</p>"


def _body(request: HttpRequest, document: PolicyDocument) -> str:
    html = render_markdown_cached(document.body_in(get_language()), namespace="policy")
    if document.kind == PolicyKind.COOKIES:
        # CK-9: the table is generated from the registry the middleware enforces.
        table = render_to_string("legal/cookie_table.html", {"cookies": cookie_list()}, request=request)
        html = html.replace(COOKIE_TABLE_MARK, table) if COOKIE_TABLE_MARK in html else html + table
    return mark_safe(html)  # noqa: S308 - sanitized by nh3


def _page(request: HttpRequest, document: PolicyDocument, *, is_current: bool) -> HttpResponse:
    versions = list(selectors.policy_version_list(kind=document.kind))
    context: dict[str, Any] = {
        # PV-6, PV-7, TR-5: processors, roles and backups, from the settings the code runs with.
        "facts": selectors.privacy_facts() if document.kind == PolicyKind.PRIVACY else None,
        "document": document,
        "body": _body(request, document),
        "summary": document.summary_in(get_language()),
        "is_current": is_current,
        "current": versions[0] if versions else None,
        "versions": versions,
    }
    return render(request, "legal/policy.html", context)


@anonymous_page_cache()
def policy(request: HttpRequest, kind: str) -> HttpResponse:
    """Serve the current version of a policy and the list of the previous ones."""
    if kind not in PolicyKind.values:
        raise Http404
    document = selectors.policy_current(kind=kind)
    if document is None:
        raise Http404
    return _page(request, document, is_current=True)


@anonymous_page_cache()
def policy_version(request: HttpRequest, kind: str, version: int) -> HttpResponse:
    """Serve one published version, so that a member can read the one they accepted."""
    if kind not in PolicyKind.values:
        raise Http404
    document = selectors.policy_version_get(kind=kind, version=version)
    if document is None:
        raise Http404
    current = selectors.policy_current(kind=kind)
    return _page(request, document, is_current=current is not None and current.pk == document.pk)


def _next(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


@login_required
@require_POST
def terms_acknowledge(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Record that the member read the terms in force ("I have read the new terms")."""
    terms_url = reverse("legal:policy", kwargs={"kind": PolicyKind.TERMS})
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        messages.error(request, _("Cette demande est incomplète : rouvrez les conditions d'utilisation."))
        return redirect(terms_url)
    try:
        services.terms_acknowledge(user=request.user, version=version)
    except TermsVersionOutdated:
        messages.error(
            request, _("Une version plus récente des conditions d'utilisation a été publiée : lisez-la d'abord.")
        )
        return redirect(terms_url)
    messages.success(
        request,
        _("Merci : votre lecture des conditions d'utilisation (version %(version)d) est enregistrée.")
        % {"version": version},
    )
    return redirect(_next(request, terms_url))


@login_required
@never_cache
def acceptance_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The versions of the policies the member accepted, with links to their texts (PV-7)."""
    acceptances = list(selectors.acceptance_list(user=request.user))
    return render(request, "legal/acceptances.html", {"acceptances": acceptances})
