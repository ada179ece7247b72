"""The request as this project's middlewares leave it, declared for the type checker.

Middlewares hang a few attributes on Django's `HttpRequest`. `RequestAttributes` names
them and the middleware that sets each; `annotated(request)` is the same request seen
with them, typed (a cast: nothing happens at run time). A reader that may meet a
request its middleware never saw (a test's RequestFactory, the maintenance page answered
early) reads with `getattr(request, name, default)` as before.

`AuthenticatedHttpRequest` (the request of a view behind `login_required`, whose `user`
is a member) is in `cloudmentor.accounts.http`, beside the user model.
"""

from __future__ import annotations

from typing import Protocol, cast

from django.http import HttpRequest


class RequestAttributes(Protocol):
    # core.middleware.CookieEncryptionMiddleware: whether the browser sent any cookie (CK-8).
    browser_sent_cookies: bool
    # accounts.middleware.AccountSessionMiddleware: the account cookie's envelope (CK-4).
    account_envelope: dict[str, str]
    # core.formcookies: the form cookie id the page carries, and whether it is new (CK-3).
    form_cookie_token: str
    form_cookie_is_new: bool
    # ... and the id this submission claimed (SC-3), until it is spent or released.
    form_cookie_claimed: str | None
    # operations.middleware: the maintenance window in force or announced (TM-5), and
    # whether the staff gate must still check the user once authentication has run.
    maintenance: object
    maintenance_gate: bool
    # legal.middleware: whether the layout shows this member the notice of new terms (lazy).
    page_notice_due: object
    # core.pagecache: the view may be served from the visitors' page cache; and the
    # shorter lifetime a part of the page asks for (legal's banner ends).
    anonymous_page_cacheable: bool
    anonymous_page_cache_seconds: int


def annotated(request: HttpRequest) -> RequestAttributes:
    """Return `request` seen with the attributes the middlewares set."""
    return cast("RequestAttributes", request)
