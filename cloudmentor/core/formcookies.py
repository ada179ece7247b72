"""Form cookies: a short-lived encrypted random id bound to one form (CK-2, CK-3, CK-5, CK-6, CK-8, SC-3).

Showing a form sets ``cm_form_<form>`` holding a random id and its issue time (no personal
data; the encryption middleware seals it). The page carries the same id in a hidden
field. A POST is accepted only when the cookie is present, belongs to this form, is within
its lifetime and matches the hidden field; success deletes the cookie. Because the cookie
is SameSite=Strict and must match the page, this is also the CSRF protection of the forms
visitors fill in.

Single use (SC-3, decision 0091): before a submission is processed its id is claimed by
inserting a `SpentFormCookie` row (a unique digest, so of two simultaneous submissions the
database lets one through). A success keeps the claim and records where it redirected; any
other answer (a form with errors) releases it so the corrected form can be sent. The same id
presented again is never processed twice: it is sent to the first submission's result (a
double click shows the result once), or shown the form again with the reason when there is
no result to show. An expired id needs no row: its own sealed issue time refuses it for ever.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.utils.decorators import method_decorator
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import FormView

from .cookies import form_cookie_name
from .models import SpentFormCookie
from .requests import annotated

FIELD_NAME = "form_token"

EXPIRED = _(
    "Ce formulaire a expiré ou a déjà été utilisé. Un nouveau formulaire vous est présenté : veuillez le soumettre à nouveau."
)
NO_COOKIES = _(
    "Votre navigateur n'a envoyé aucun cookie. Ce formulaire a besoin d'un cookie temporaire pour "
    "fonctionner : autorisez les cookies pour ce site, puis soumettez-le à nouveau."
)


@dataclass(frozen=True)
class FormCookieProblem:
    """Why a submitted form was refused; `cookies_disabled` asks for the cookie-policy link."""

    message: str | Promise
    cookies_disabled: bool
    # Where the first submission of this same id went: a repeated one is sent there too.
    result_url: str = ""


# How long a repeated submission waits for the first one (still being processed) to finish.
DUPLICATE_WAIT_SECONDS = 5.0
_POLL_SECONDS = 0.05


def _now() -> float:
    return time.time()


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _claim(token: str, form_id: str, issued_at: float) -> bool:
    """Insert the spent row for `token`; True if this submission won it (the unique digest decides)."""
    now = datetime.fromtimestamp(_now(), tz=UTC)
    try:
        with transaction.atomic():
            SpentFormCookie.objects.create(
                token_digest=_digest(token),
                form=form_id,
                claimed_at=now,
                expires_at=datetime.fromtimestamp(issued_at + lifetime(form_id), tz=UTC),
            )
    except IntegrityError:
        return False
    return True


def _claim_or_result(token: str, form_id: str, issued_at: float) -> FormCookieProblem | None:
    """Claim `token`, or say what a repeated submission gets: the first one's result, or the reason.

    While the first submission is still being processed (a double click), wait for it a little:
    it either redirects (then so does this one) or releases the id (then this one is processed).
    """
    deadline = _now() + DUPLICATE_WAIT_SECONDS
    while True:
        if _claim(token, form_id, issued_at):
            return None
        row = (
            SpentFormCookie.objects.filter(token_digest=_digest(token)).values_list("result_url", "claimed_at").first()
        )
        if row is not None and row[0]:
            return FormCookieProblem(message=EXPIRED, cookies_disabled=False, result_url=row[0])
        # Still being processed (or released meanwhile: then the next claim wins it).
        claimed_long_ago = row is not None and (_now() - row[1].timestamp()) > DUPLICATE_WAIT_SECONDS
        if claimed_long_ago or _now() > deadline:
            return FormCookieProblem(message=EXPIRED, cookies_disabled=False)
        _sleep(_POLL_SECONDS)


def form_cookie_spent(request: HttpRequest, result_url: str) -> None:
    """Record where the claimed submission went (it succeeded): the id stays spent."""
    token = getattr(request, "form_cookie_claimed", None)
    if token is not None:
        SpentFormCookie.objects.filter(token_digest=_digest(token)).update(result_url=result_url[:2000])


def form_cookie_release(request: HttpRequest) -> None:
    """Give the claimed id back (the submission was answered with the form again, nothing was done)."""
    token = getattr(request, "form_cookie_claimed", None)
    if token is not None:
        SpentFormCookie.objects.filter(token_digest=_digest(token), result_url="").delete()
        annotated(request).form_cookie_claimed = None


def form_cookie_purge() -> int:
    """Delete the spent ids whose cookie has expired (its own issue time refuses it from then on)."""
    deleted, _ = SpentFormCookie.objects.filter(expires_at__lt=datetime.fromtimestamp(_now(), tz=UTC)).delete()
    return deleted


def lifetime(form_id: str) -> int:
    return int(settings.FORM_COOKIE_LIFETIMES[form_id])


def form_cookie_check(request: HttpRequest, form_id: str) -> FormCookieProblem | None:
    """Return why the POSTed form must be refused, or None when its cookie is valid."""
    raw = request.COOKIES.get(form_cookie_name(form_id))
    submitted = request.POST.get(FIELD_NAME, "")
    if raw is None:
        if not getattr(request, "browser_sent_cookies", True):
            return FormCookieProblem(message=NO_COOKIES, cookies_disabled=True)
        return FormCookieProblem(message=EXPIRED, cookies_disabled=False)
    try:
        payload = json.loads(raw)
        token, bound_form, issued_at = payload["id"], payload["form"], float(payload["iat"])
    except (ValueError, KeyError, TypeError):
        return FormCookieProblem(message=EXPIRED, cookies_disabled=False)
    fresh = 0 <= _now() - issued_at <= lifetime(form_id)
    if bound_form != form_id or not fresh or not secrets.compare_digest(str(token), submitted):
        return FormCookieProblem(message=EXPIRED, cookies_disabled=False)
    problem = _claim_or_result(str(token), form_id, issued_at)
    if problem is not None:
        return problem
    annotated(request).form_cookie_token = str(token)
    annotated(request).form_cookie_claimed = str(token)
    return None


def form_cookie_token(request: HttpRequest) -> str:
    """Return the id the page must carry, issuing a new one if the request has none yet."""
    token = getattr(request, "form_cookie_token", None)
    if token is None:
        token = secrets.token_urlsafe(18)
        annotated(request).form_cookie_token = token
        annotated(request).form_cookie_is_new = True
    return str(token)


def form_cookie_issue(request: HttpRequest, response: HttpResponseBase, form_id: str) -> None:
    """Set the form cookie for the id the rendered page carries (a new id only)."""
    if not getattr(request, "form_cookie_is_new", False):
        return
    payload = {"id": annotated(request).form_cookie_token, "form": form_id, "iat": int(_now())}
    response.set_cookie(form_cookie_name(form_id), json.dumps(payload), max_age=lifetime(form_id))


def form_cookie_clear(response: HttpResponseBase, form_id: str) -> None:
    response.delete_cookie(form_cookie_name(form_id))


if TYPE_CHECKING:
    # What the mixin extends: a FormView, which every class using it also inherits from.
    _FormViewBase = FormView[Any]
else:
    _FormViewBase = object


class FormCookieMixin(_FormViewBase):
    """Protect a FormView with a form cookie.

    Success must answer with a redirect (the usual POST/redirect/GET); the cookie is then
    deleted. A refused submission re-renders the form with the reason and a new cookie,
    and changes nothing: the form's own validation is never run.
    """

    form_cookie: str = ""
    request: HttpRequest

    @method_decorator([csrf_exempt, never_cache])
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse = super().get(request, *args, **kwargs)
        return self._with_cookie(response)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        problem = form_cookie_check(request, self.form_cookie)
        if problem is not None and problem.result_url:
            # The same submission again (a double click): its result, once more, and nothing done.
            return self._with_cookie(HttpResponseRedirect(problem.result_url, status=303))
        if problem is not None:
            return self._with_cookie(self.form_cookie_refused(problem))
        try:
            response: HttpResponse = super().post(request, *args, **kwargs)
        except BaseException:
            form_cookie_release(request)
            raise
        if 300 <= response.status_code < 400:
            form_cookie_spent(request, response.get("Location", ""))
        else:
            form_cookie_release(request)
        return self._with_cookie(response)

    def form_cookie_refused(self, problem: FormCookieProblem) -> HttpResponse:
        """Show the form again, unbound but keeping what was typed except secrets."""
        initial = {
            key: value
            for key, value in self.request.POST.items()
            if "password" not in key and key not in {FIELD_NAME, "csrfmiddlewaretoken"}
        }
        form = self.get_form_class()(initial=initial, **self.form_cookie_form_kwargs())
        context = self.get_context_data(form=form, form_cookie_problem=problem)
        response: HttpResponse = self.render_to_response(context, status=400)
        return response

    def form_cookie_form_kwargs(self) -> dict[str, Any]:
        """Extra constructor arguments of the form (e.g. ``request`` for a login form)."""
        return {}

    def _with_cookie(self, response: HttpResponse) -> HttpResponse:
        if 300 <= response.status_code < 400:
            form_cookie_clear(response, self.form_cookie)
            return response
        # The template may render lazily (TemplateResponse): fix the id before it does.
        form_cookie_token(self.request)
        form_cookie_issue(self.request, response, self.form_cookie)
        return response
