"""The SCIM 2.0 API under /scim/v2/ (RFC 7644): called by a group's directory with its bearer token.

An API, not pages: no CSRF (no cookie authenticates it), no language prefix (the errors
follow Accept-Language), no form cookie; every answer is `application/scim+json`, errors
included (RFC 7644 §3.12). Each request counts against its token's throttle, and each
refused token against the caller's address (TM-9).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from cloudmentor.core.http import client_ip
from cloudmentor.core.throttle import throttle_hit, throttle_retry_after, throttle_take

from . import discovery
from .exceptions import ScimError, TokenInvalid
from .limits import auth_failure_limits, token_limits
from .models import ScimToken, ScimUser
from .resources import ERROR_URN, LIST_URN, SEARCH_URN, USER_SCHEMA_URN, Filter, parse_filter, project
from .selectors import scim_user_get, scim_users_for_group
from .services import (
    scim_user_create,
    scim_user_delete,
    scim_user_patch,
    scim_user_replace,
    token_authenticate,
    user_state,
)

CONTENT_TYPE = "application/scim+json"
ApiView = Callable[..., HttpResponse]


def _json(data: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(data, ensure_ascii=False), status=status, content_type=CONTENT_TYPE)


def _error(status: int, detail: Any, scim_type: str = "") -> HttpResponse:
    body: dict[str, Any] = {"schemas": [ERROR_URN], "status": str(status), "detail": str(detail)}
    if scim_type:
        body["scimType"] = scim_type
    return _json(body, status)


def _unauthorized() -> HttpResponse:
    response = _error(401, _("Jeton SCIM absent, inconnu ou révoqué. Créez-en un sur la page du groupe."))
    response["WWW-Authenticate"] = 'Bearer realm="SCIM"'
    return response


def _too_many(retry_after: int) -> HttpResponse:
    response = _error(429, _("Trop de requêtes : réessayez dans %(seconds)s s.") % {"seconds": retry_after})
    response["Retry-After"] = str(retry_after)
    return response


def _bearer(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _space, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def scim_api(methods: tuple[str, ...]) -> Callable[[ApiView], ApiView]:
    """Authenticate the bearer token, throttle, allow `methods`, and turn ScimError into SCIM's error document."""

    def decorator(view: ApiView) -> ApiView:
        @csrf_exempt
        @never_cache
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            # No language prefix here, so the locale middleware chose French: the directory's
            # Accept-Language decides instead.
            with translation.override(translation.get_language_from_request(request)):
                return _handle(view, methods, request, *args, **kwargs)

        return wrapper

    return decorator


def _handle(view: ApiView, methods: tuple[str, ...], request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Authenticate, throttle, check the method, run the view; a ScimError becomes its document."""
    ip = client_ip(request)
    failures = auth_failure_limits(ip=ip)
    retry_after = throttle_retry_after(*failures)
    if retry_after is not None:
        return _too_many(retry_after)
    try:
        token = token_authenticate(raw=_bearer(request))
    except TokenInvalid:
        throttle_hit(*failures)
        return _unauthorized()
    retry_after = throttle_take(*token_limits(token_id=token.pk))
    if retry_after is not None:
        return _too_many(retry_after)
    if request.method not in methods:
        response = _error(405, _("Méthode %(method)s non prise en charge ici.") % {"method": request.method})
        response["Allow"] = ", ".join(methods)
        return response
    try:
        return view(request, token, *args, **kwargs)
    except ScimError as error:
        return _error(error.status, error.detail, error.scim_type)


def _body(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError) as error:
        raise ScimError(400, _("Le corps de la requête n'est pas un JSON valide."), "invalidSyntax") from error


def _language(request: HttpRequest) -> str:
    language = translation.get_language() or settings.LANGUAGE_CODE
    return language.split("-")[0] if language.split("-")[0] in {code for code, _name in settings.LANGUAGES} else "fr"


def _location(request: HttpRequest, scim_user: ScimUser) -> str:
    return request.build_absolute_uri(reverse("scim_api:user", kwargs={"scim_id": str(scim_user.scim_id)}))


def _document(request: HttpRequest, scim_user: ScimUser, *, active: bool) -> dict[str, Any]:
    return {
        "schemas": [USER_SCHEMA_URN],
        "id": str(scim_user.scim_id),
        **user_state(scim_user, active=active),
        "meta": {
            "resourceType": "User",
            "created": scim_user.created_at.isoformat(),
            "lastModified": scim_user.modified_at.isoformat(),
            "location": _location(request, scim_user),
        },
    }


def _integer(value: Any, name: str, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise ScimError(
            400, _("Le paramètre %(name)s doit être un entier.") % {"name": name}, "invalidValue"
        ) from error


def _list(
    request: HttpRequest,
    token: ScimToken,
    *,
    filter_text: str,
    start: Any,
    count: Any,
    attributes: str,
    excluded: str,
) -> HttpResponse:
    page_max = int(settings.SCIM_PAGE_SIZE_MAX)
    start_index = max(1, _integer(start, "startIndex", 1))
    per_page = min(max(0, _integer(count, "count", page_max)), page_max)
    rows = scim_users_for_group(group=token.group)
    found: Filter | None = parse_filter(filter_text) if filter_text else None
    if found is not None:
        # The columns are filtered by the database; the other attributes here, within one group.
        if found.attribute == "userName":
            rows = rows.filter(user_name__iexact=str(found.value))
        elif found.attribute == "externalId":
            rows = rows.filter(external_id__iexact=str(found.value))
        elif found.attribute == "id":
            rows = rows.filter(scim_id=str(found.value)) if _is_uuid(str(found.value)) else rows.none()
    documents = [_document(request, row, active=bool(getattr(row, "is_active", False))) for row in rows]
    if found is not None and found.attribute not in ("userName", "externalId", "id"):
        documents = [document for document in documents if found.matches(document)]
    page = documents[start_index - 1 : start_index - 1 + per_page]
    return _json(
        {
            "schemas": [LIST_URN],
            "totalResults": len(documents),
            "startIndex": start_index,
            "itemsPerPage": len(page),
            "Resources": [project(document, attributes, excluded) for document in page],
        }
    )


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@scim_api(("GET", "POST"))
def users(request: HttpRequest, token: ScimToken) -> HttpResponse:
    """GET: list (filter, startIndex, count); POST: provision a person (201)."""
    if request.method == "POST":
        scim_user, active = scim_user_create(token=token, data=_body(request), language=_language(request))
        response = _json(_document(request, scim_user, active=active), 201)
        response["Location"] = _location(request, scim_user)
        return response
    return _list(
        request,
        token,
        filter_text=request.GET.get("filter", ""),
        start=request.GET.get("startIndex"),
        count=request.GET.get("count"),
        attributes=request.GET.get("attributes", ""),
        excluded=request.GET.get("excludedAttributes", ""),
    )


@scim_api(("POST",))
def users_search(request: HttpRequest, token: ScimToken) -> HttpResponse:
    """POST /Users/.search (RFC 7644 §3.4.3): the list, its parameters in a SearchRequest."""
    body = _body(request)
    if not isinstance(body, dict):
        raise ScimError(400, _("Le corps de la requête doit être un objet JSON."), "invalidSyntax")
    if body.get("schemas") and SEARCH_URN not in body["schemas"]:
        raise ScimError(400, _("Le schéma attendu est SearchRequest."), "invalidSyntax")

    def joined(value: Any) -> str:
        return ",".join(value) if isinstance(value, list) else str(value or "")

    return _list(
        request,
        token,
        filter_text=str(body.get("filter") or ""),
        start=body.get("startIndex"),
        count=body.get("count"),
        attributes=joined(body.get("attributes")),
        excluded=joined(body.get("excludedAttributes")),
    )


def _not_found() -> ScimError:
    return ScimError(404, _("Aucune personne de ce groupe n'a cet identifiant."))


@scim_api(("GET", "PUT", "PATCH", "DELETE"))
def user(request: HttpRequest, token: ScimToken, scim_id: str) -> HttpResponse:
    """One resource: read, replace (PUT), patch (PATCH), delete (204)."""
    scim_user = scim_user_get(group=token.group, scim_id=scim_id)
    if scim_user is None:
        raise _not_found()
    if request.method == "DELETE":
        scim_user_delete(token=token, scim_user=scim_user)
        return HttpResponse(status=204)
    active = bool(getattr(scim_user, "is_active", False))  # annotated by the selector
    if request.method == "PUT":
        active = scim_user_replace(token=token, scim_user=scim_user, data=_body(request))
    elif request.method == "PATCH":
        active = scim_user_patch(token=token, scim_user=scim_user, body=_body(request))
    document = _document(request, scim_user, active=active)
    return _json(project(document, request.GET.get("attributes", ""), request.GET.get("excludedAttributes", "")))


def _listed(resources: list[dict[str, Any]]) -> HttpResponse:
    return _json(
        {
            "schemas": [LIST_URN],
            "totalResults": len(resources),
            "startIndex": 1,
            "itemsPerPage": len(resources),
            "Resources": resources,
        }
    )


@scim_api(("GET",))
def service_provider_config(request: HttpRequest, token: ScimToken) -> HttpResponse:
    return _json(discovery.service_provider_config())


@scim_api(("GET",))
def resource_types(request: HttpRequest, token: ScimToken, name: str = "") -> HttpResponse:
    if not name:
        return _listed([discovery.user_resource_type()])
    if name != "User":
        raise ScimError(404, _("Type de ressource inconnu : %(name)s.") % {"name": name[:100]})
    return _json(discovery.user_resource_type())


@scim_api(("GET",))
def schemas(request: HttpRequest, token: ScimToken, urn: str = "") -> HttpResponse:
    if not urn:
        return _listed([discovery.user_schema()])
    if urn != USER_SCHEMA_URN:
        raise ScimError(404, _("Schéma inconnu : %(urn)s.") % {"urn": urn[:200]})
    return _json(discovery.user_schema())


@scim_api(("GET", "POST", "PUT", "PATCH", "DELETE"))
def not_found(request: HttpRequest, token: ScimToken, rest: str = "") -> HttpResponse:
    raise ScimError(
        404, _("Adresse SCIM inconnue. Points d'accès : /Users, /ServiceProviderConfig, /ResourceTypes, /Schemas.")
    )
