"""Pages of single sign-on (ID-1): start, the provider's return, linking an account, signed out, the owner's settings."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.http import AuthenticatedHttpRequest
from cloudmentor.accounts.registration import login_limits
from cloudmentor.accounts.selectors import group_membership_of
from cloudmentor.accounts.services.sessions import AFTER_LOGOUT_KEY
from cloudmentor.core.http import client_ip
from cloudmentor.core.requests import annotated
from cloudmentor.core.throttle import (
    Limit,
    throttle_refund,
    throttle_request,
    throttle_take,
    throttled,
)

from . import selectors, services
from .cookies import FLOW_COOKIE_NAME, flow_seconds
from .exceptions import CookiesRequired, DomainTaken, ProviderUnknown, SignInInvalid, SsoError, WrongPassword
from .forms import IdentityProviderForm, LinkPasswordForm, WorkEmailForm


def redirect_uri() -> str:
    """The one address every provider sends people back to (registered by the owner at their provider)."""
    return f"{settings.SITE_URL}{reverse('sso_callback')}"


def _safe_next(request: HttpRequest, candidate: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _refused(request: HttpRequest, error: SsoError) -> HttpResponse:
    response = render(request, "sso/refused.html", {"message": error.message}, status=error.status)
    response.delete_cookie(FLOW_COOKIE_NAME)
    return response


def _start_limits(request: HttpRequest) -> tuple[Limit]:
    return (
        Limit(
            "sso-start-ip",
            client_ip(request),
            int(settings.SSO_START_MAX_PER_IP),
            int(settings.SSO_START_WINDOW_SECONDS),
        ),
    )


# A visitor's form: no session, so no CSRF token; a forged submission only sends the visitor to
# their company's sign-in page, where nothing happens without them.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """« Se connecter avec l'authentification de mon entreprise »: the work email finds the company's provider."""
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next") or "")
    form = WorkEmailForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        status = 400 if request.method == "POST" else 200
        return render(request, "sso/start.html", {"form": form, "next": next_url}, status=status)
    too_many = throttle_request(request, *_start_limits(request))
    if too_many is not None:
        return too_many
    email = form.cleaned_data["email"]
    provider = selectors.identity_provider_for_email(email)
    if provider is None:
        form.add_error("email", ProviderUnknown.message)
        return render(request, "sso/start.html", {"form": form, "next": next_url}, status=400)
    try:
        opened = services.sign_in_start(
            provider=provider,
            redirect_uri=redirect_uri(),
            next_url=next_url,
            language=get_language() or settings.LANGUAGE_CODE,
            login_hint=email,
        )
    except SsoError as error:
        return _refused(request, error)
    # A page that moves on by itself, not a redirect: the site's CSP (form-action 'self') would stop
    # a form's submission from being redirected to another origin.
    response = render(request, "sso/continue.html", {"authorize_url": opened.url})
    response.set_cookie(FLOW_COOKIE_NAME, opened.key, max_age=flow_seconds())
    return response


def _logged_in(request: HttpRequest, result: services.SignInResult) -> HttpResponse:
    """Open the session as a password login does (CK-4 cookie, session cap, device list), then go on."""
    assert result.user is not None
    accounts_services.session_start(request=request, user=result.user)
    provider_id = result.sign_in.provider_id
    request.session[AFTER_LOGOUT_KEY] = reverse("sso:signed_out", args=[provider_id])
    request.session.save()
    destination = result.sign_in.next_url or reverse("accounts:profile")
    response = HttpResponseRedirect(destination)
    response.delete_cookie(FLOW_COOKIE_NAME)
    return response


@never_cache
@require_http_methods(["GET", "HEAD"])
def callback(request: HttpRequest) -> HttpResponse:
    """Where the provider sends the person back: every check, then logged in, linked, or a clear refusal."""
    key = request.COOKIES.get(FLOW_COOKIE_NAME, "")
    language = selectors.sign_in_language(key) or get_language() or settings.LANGUAGE_CODE
    with translation.override(language):
        if not annotated(request).browser_sent_cookies:
            return _refused(request, CookiesRequired())
        try:
            result = services.sign_in_finish(
                key=key,
                state=request.GET.get("state", ""),
                code=request.GET.get("code", ""),
                error=request.GET.get("error", ""),
                redirect_uri=redirect_uri(),
            )
        except SsoError as error:
            return _refused(request, error)
        if result.pending:
            return redirect("sso:link")
        return _logged_in(request, result)


# Protected by the sign-in's cookie (SameSite=Lax: a cross-site POST does not carry it).
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def link(request: HttpRequest) -> HttpResponse:
    """An account already has the address the provider vouched for: its password, once, links it."""
    key = request.COOKIES.get(FLOW_COOKIE_NAME, "")
    sign_in = services.sign_in_pending(key) if key else None
    if sign_in is None or sign_in.link_user is None:
        return _refused(request, SignInInvalid())
    account = sign_in.link_user
    form = LinkPasswordForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "account": account, "group": sign_in.provider.group}
    if request.method != "POST" or not form.is_valid():
        return render(request, "sso/link.html", context, status=400 if request.method == "POST" else 200)
    limits = login_limits(ip=client_ip(request), identifier=account.username)
    retry_after = throttle_take(*limits)
    if retry_after is not None:
        return throttled(request, retry_after)
    try:
        result = services.sign_in_link(key=key, password=form.cleaned_data["password"])
    except WrongPassword as error:
        form.add_error("password", error.message)
        return render(request, "sso/link.html", context, status=400)
    except SsoError as error:
        throttle_refund(*limits)
        return _refused(request, error)
    throttle_refund(*limits)
    return _logged_in(request, result)


@never_cache
def signed_out(request: HttpRequest, provider_id: int) -> HttpResponse:
    """After logout (CK-7): signed out here; the company's sign-out offered when its provider publishes one."""
    provider = selectors.identity_provider_get(provider_id)
    end_session_url = ""
    if provider is not None and provider.end_session_endpoint:
        query = urlencode({"client_id": provider.client_id, "post_logout_redirect_uri": f"{settings.SITE_URL}/"})
        end_session_url = f"{provider.end_session_endpoint}?{query}"
    return render(request, "sso/signed_out.html", {"end_session_url": end_session_url})


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def provider_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The group owner's page: their identity provider, its domains, « exiger la connexion par l'entreprise »."""
    membership = group_membership_of(user=request.user)
    if membership is None or membership.group.owner_id != request.user.pk:
        return render(
            request,
            "sso/refused.html",
            {"message": _("Seul le propriétaire du groupe peut régler l'authentification de l'entreprise.")},
            status=403,
        )
    group = membership.group
    provider = selectors.identity_provider_of(group=group)
    if request.method == "POST" and request.POST.get("action") == "delete":
        services.identity_provider_delete(group=group)
        return redirect("sso:settings")
    initial: dict[str, Any] = {}
    if provider is not None:
        initial = {
            "issuer": provider.issuer,
            "client_id": provider.client_id,
            "domains": ", ".join(domain.domain for domain in provider.domains.all()),
            "require_sso": provider.require_sso,
        }
    form = IdentityProviderForm(request.POST or None, initial=initial, has_secret=provider is not None)
    saved = False
    if request.method == "POST" and form.is_valid():
        try:
            provider = services.identity_provider_save(
                group=group,
                issuer=form.cleaned_data["issuer"],
                client_id=form.cleaned_data["client_id"],
                client_secret=form.cleaned_data["client_secret"],
                domains=form.cleaned_data["domains"],
                require_sso=form.cleaned_data["require_sso"],
            )
            saved = True
        except DomainTaken as error:
            form.add_error("domains", str(error.message) % {"domain": error.detail})
    status = 400 if request.method == "POST" and not saved else 200
    if saved:
        return redirect(f"{reverse('sso:settings')}?saved=1")
    return render(
        request,
        "sso/settings.html",
        {
            "form": form,
            "group": group,
            "provider": provider,
            "redirect_uri": redirect_uri(),
            "post_logout_uri": f"{settings.SITE_URL}/",
            "saved": request.GET.get("saved") == "1",
        },
        status=status,
    )
