"""The OpenID Connect relying party: discovery, the authorization request, the code exchange, the ID token checks.

Authlib builds the authorization request (PKCE S256, state, nonce) and exchanges the code;
joserfc verifies the ID token's signature with the provider's published keys (JWKS) and its
claims (iss, aud, exp, iat, nonce). Nothing here writes to the database (decision 0140).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from .exceptions import ProviderUnreachable, TokenInvalid

SCOPE = "openid email profile"
# Asymmetric signatures only: "none" and HMAC (keyed with the client secret) are refused.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str


def _timeout() -> float:
    return float(settings.SSO_HTTP_TIMEOUT_SECONDS)


def _get_json(url: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=_timeout(), headers={"Accept": "application/json"})
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        raise ProviderUnreachable(f"{url}: {error}") from error
    if not isinstance(document, dict):
        raise ProviderUnreachable(f"{url}: not a JSON object")
    return document


def issuer_normalized(issuer: str) -> str:
    return issuer.strip().rstrip("/")


def discover(issuer: str) -> ProviderMetadata:
    """Read the provider's discovery document; its `issuer` must be the one the owner registered."""
    issuer = issuer_normalized(issuer)
    document = _get_json(f"{issuer}/.well-known/openid-configuration")
    if issuer_normalized(str(document.get("issuer", ""))) != issuer:
        raise ProviderUnreachable(f"discovery names another issuer: {document.get('issuer')!r}")
    try:
        return ProviderMetadata(
            issuer=str(document["issuer"]),
            authorization_endpoint=str(document["authorization_endpoint"]),
            token_endpoint=str(document["token_endpoint"]),
            jwks_uri=str(document["jwks_uri"]),
            end_session_endpoint=str(document.get("end_session_endpoint") or ""),
        )
    except KeyError as error:
        raise ProviderUnreachable(f"discovery lacks {error}") from error


def _session(*, client_id: str, client_secret: str, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(
        client_id=client_id,
        client_secret=client_secret,
        scope=SCOPE,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )


def authorization_url(
    metadata: ProviderMetadata,
    *,
    client_id: str,
    redirect_uri: str,
    state: str,
    nonce: str,
    code_verifier: str,
    login_hint: str = "",
) -> str:
    """Return where to send the person: the provider's authorization endpoint with PKCE, state and nonce."""
    extra = {"login_hint": login_hint} if login_hint else {}
    url, _state = _session(client_id=client_id, client_secret="", redirect_uri=redirect_uri).create_authorization_url(
        metadata.authorization_endpoint, state=state, nonce=nonce, code_verifier=code_verifier, **extra
    )
    return str(url)


def code_exchange(
    metadata: ProviderMetadata, *, client_id: str, client_secret: str, redirect_uri: str, code: str, code_verifier: str
) -> str:
    """Exchange the authorization code (with the PKCE verifier) at the token endpoint; return the ID token."""
    client = _session(client_id=client_id, client_secret=client_secret, redirect_uri=redirect_uri)
    try:
        token = client.fetch_token(metadata.token_endpoint, code=code, code_verifier=code_verifier, timeout=_timeout())
    except (AuthlibBaseError, requests.RequestException, ValueError) as error:
        raise ProviderUnreachable(f"token endpoint: {error}") from error
    id_token = token.get("id_token") if isinstance(token, dict) else None
    if not isinstance(id_token, str) or not id_token:
        raise TokenInvalid("no id_token in the token response")
    return id_token


def id_token_claims(metadata: ProviderMetadata, *, id_token: str, client_id: str, nonce: str) -> dict[str, Any]:
    """Verify the ID token's signature (the provider's JWKS) and claims; return its claims.

    Raises TokenInvalid for a bad signature, another issuer or audience, an expired token,
    an issue time in the future, or another sign-in's nonce.
    """
    keys = KeySet.import_key_set(_get_json(metadata.jwks_uri))  # type: ignore[arg-type]  # a JWKS document
    leeway = int(settings.SSO_CLOCK_SKEW_SECONDS)
    try:
        token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
        jwt.JWTClaimsRegistry(
            leeway=leeway,
            iss={"essential": True, "value": metadata.issuer},
            aud={"essential": True, "value": client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
    except JoseError as error:
        raise TokenInvalid(f"{type(error).__name__}: {error}") from error
    except (ValueError, TypeError) as error:  # not a JWT at all
        raise TokenInvalid(f"malformed: {error}") from error
    claims = dict(token.claims)
    if int(claims["iat"]) > time.time() + leeway:
        raise TokenInvalid("issued in the future")
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise TokenInvalid("several audiences and another authorized party")
    return claims
