"""Maintenance windows at the door (TM-5): 503 for everyone but staff while a window is in progress.

Two middleware, because who is staff is only known once the session and the account are
loaded, far inside the chain:

- `MaintenanceMiddleware` stands right inside the request log (which records the 503) and
  outside the visitors' page cache (which must never answer during a window). It reads
  the window list from the cache (no query in steady state) and keeps the state on the
  request for the banner. During a window it answers 503 at once to any request without
  the account cookie, except the health probe, static files and the staff entrance (the
  staff site, and the login page when it leads there). A request with the account cookie
  goes on, marked for the second check.
- `MaintenanceStaffGateMiddleware` stands after authentication: a marked request whose
  user is not an active staff member gets the 503 too.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from cloudmentor.core.account_cookie import account_cookie_present
from cloudmentor.core.requests import annotated

from .selectors import MaintenanceState, maintenance_state
from .views import maintenance_page

GetResponse = Callable[[HttpRequest], HttpResponseBase]


def _paths(name: str) -> tuple[str, ...]:
    """The path of URL `name` in every language of the site ("/staff/", "/en/staff/")."""
    paths = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            try:
                paths.append(reverse(name))
            except NoReverseMatch:
                continue
    return tuple(dict.fromkeys(paths))


class MaintenanceMiddleware:
    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self._open: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] | None = None

    def _open_paths(self) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """Prefixes always open, the staff site's prefixes, the login pages (computed on first use)."""
        if self._open is None:
            staff = _paths("admin:index")
            always = (settings.STATIC_URL or "/static/", "/healthz", "/favicon.ico", *staff)
            self._open = (always, staff, _paths("accounts:login"))
        return self._open

    def _is_open(self, request: HttpRequest) -> bool:
        always, staff, logins = self._open_paths()
        path = request.path_info
        if path.startswith(always):
            return True
        if path in logins:
            # The staff site sends staff here to log in; the page stays closed to everyone else.
            destination = request.GET.get("next") or ""
            if not destination and request.method == "POST":
                destination = request.POST.get("next") or ""
            return destination.startswith(staff)
        return False

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path_info.startswith(self._open_paths()[0][0]):
            return self.get_response(request)  # static files: not even a cache read
        state = maintenance_state()
        annotated(request).maintenance = state
        if not state.is_active or self._is_open(request):
            return self.get_response(request)
        if account_cookie_present(request):
            # A logged-in request: staff get in, which only the staff gate can tell.
            annotated(request).maintenance_gate = True
            return self.get_response(request)
        return maintenance_page(request, state)


class MaintenanceStaffGateMiddleware:
    """After authentication: a logged-in request of someone who is not staff gets the 503 page."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if getattr(request, "maintenance_gate", False):
            user = request.user
            if not (user.is_active and user.is_staff):
                state = getattr(request, "maintenance", None)
                if not isinstance(state, MaintenanceState):
                    state = maintenance_state()
                return maintenance_page(request, state)
        return self.get_response(request)
