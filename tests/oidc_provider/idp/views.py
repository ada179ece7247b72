"""The provider's admin console, for tests: clients, people, and one fault to inject."""

import json
from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from oauth2_provider.models import Application

from .people import FAULT, person_save

FAULTS = {"", "tampered", "audience", "expired", "nonce", "issuer"}


def _body(request: HttpRequest) -> dict[str, Any]:
    return json.loads(request.body or b"{}")


@csrf_exempt
@require_POST
def client_create(request: HttpRequest) -> JsonResponse:
    data = _body(request)
    Application.objects.filter(client_id=data["client_id"]).delete()
    Application.objects.create(
        name=data.get("name", data["client_id"]),
        client_id=data["client_id"],
        client_secret=data["client_secret"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(data["redirect_uris"]),
        post_logout_redirect_uris=" ".join(data.get("post_logout_redirect_uris", [])),
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    return JsonResponse({"client_id": data["client_id"]})


@csrf_exempt
@require_POST
def person_create(request: HttpRequest) -> JsonResponse:
    data = _body(request)
    user, _created = User.objects.get_or_create(username=data["username"])
    user.set_password(data["password"])
    user.save()
    person_save(
        data["username"],
        {"email": data["email"], "email_verified": data.get("email_verified", True), "name": data.get("name", "")},
    )
    return JsonResponse({"sub": str(user.pk)})


@csrf_exempt
@require_POST
def fault_set(request: HttpRequest) -> JsonResponse:
    fault = _body(request).get("fault", "")
    if fault not in FAULTS:
        return JsonResponse({"error": "unknown fault"}, status=400)
    FAULT.write_text(fault)
    return JsonResponse({"fault": fault})
