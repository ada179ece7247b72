"""Make the next token response's ID token wrong, once, the way a hostile or broken provider would."""

import base64
import json
import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from jwcrypto import jwk, jwt
from oauth2_provider.settings import oauth2_settings

from .people import FAULT


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _resign(header: dict[str, Any], claims: dict[str, Any]) -> str:
    key = jwk.JWK.from_pem(oauth2_settings.OIDC_RSA_PRIVATE_KEY.encode())
    token = jwt.JWT(header=header, claims=claims)
    token.make_signed_token(key)
    return str(token.serialize())


def spoil(id_token: str, fault: str) -> str:
    header_part, payload_part, signature = id_token.split(".")
    header = json.loads(_b64decode(header_part))
    claims = json.loads(_b64decode(payload_part))
    if fault == "tampered":
        # Another person's address, the provider's signature kept: what an attacker in the middle would try.
        claims["email"] = "ceo@" + claims.get("email", "x@example.com").split("@")[-1]
        return ".".join([header_part, _b64encode(json.dumps(claims).encode()), signature])
    now = int(time.time())
    if fault == "audience":
        claims["aud"] = "another-application"
    elif fault == "expired":
        claims["iat"], claims["exp"] = now - 7200, now - 3600
    elif fault == "nonce":
        claims["nonce"] = "a-nonce-from-another-sign-in"
    elif fault == "issuer":
        claims["iss"] = "https://impostor.example.com"
    return _resign(header, claims)


class FaultMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path != "/o/token/" or response.status_code != 200 or not FAULT.exists():
            return response
        fault = FAULT.read_text().strip()
        if not fault:
            return response
        FAULT.write_text("")
        body = json.loads(response.content)
        body["id_token"] = spoil(body["id_token"], fault)
        response.content = json.dumps(body).encode()
        response["Content-Length"] = str(len(response.content))
        return response
