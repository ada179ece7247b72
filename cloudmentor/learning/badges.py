"""Open Badges 3.0 credentials for certificates (LX-2, decision 0121).

Each certificate is also an ``OpenBadgeCredential``: a W3C Verifiable Credential (data model
2.0, Open Badges 3.0 context) secured as a JWT (VC-JOSE-COSE: the payload is the credential,
``typ: vc+jwt``), signed with the platform's ES256 key. The public half is served as a JWKS at
``/.well-known/jwks.json`` (`public_jwks`); the key id is the key's RFC 7638 thumbprint.

The key comes from ``LEARNING_BADGE_SIGNING_KEY`` (a PEM, from the environment in production);
outside production, when unset, it is generated once into ``var/badge-signing-key.pem``, shared
by every process of the machine (created with O_EXCL: the first process wins, the others read it).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

ALGORITHM = "ES256"
MEDIA_TYPE = "application/vc+jwt"
CONTEXTS = (
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
)
ISSUER_NAME = "CloudMentor@Scale"
_KEY_FILE = "badge-signing-key.pem"
_loaded: dict[str, ECKey] = {}


class BadgeInvalid(Exception):
    """The credential's signature does not verify with the published key (or it is not a JWT)."""


def _key_pem() -> str:
    configured = str(getattr(settings, "LEARNING_BADGE_SIGNING_KEY", "") or "")
    if configured:
        return configured
    if settings.PRODUCTION:
        raise ImproperlyConfigured("LEARNING_BADGE_SIGNING_KEY is required in production.")
    path = Path(settings.VAR_DIR) / _KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = ECKey.generate_key("P-256").as_pem(private=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(pem)
    return path.read_text()


def signing_key() -> ECKey:
    """Return the platform's private signing key (read at call time; parsed once per PEM)."""
    pem = _key_pem()
    key = _loaded.get(pem)
    if key is None:
        key = ECKey.import_key(pem)
        if key.curve_name != "P-256" or not key.is_private:
            raise ImproperlyConfigured("LEARNING_BADGE_SIGNING_KEY must be a private P-256 (ES256) key in PEM.")
        _loaded.clear()
        _loaded[pem] = key
    return key


def key_id(key: ECKey | None = None) -> str:
    return (key or signing_key()).thumbprint()


def _published(key: ECKey) -> dict[str, Any]:
    return {**key.as_dict(private=False), "kid": key_id(key), "use": "sig", "alg": ALGORITHM}


def public_jwks() -> dict[str, Any]:
    """The JSON Web Key Set verifiers fetch: the signing key's public half, then the retired keys'.

    ``LEARNING_BADGE_RETIRED_KEYS`` lists the public JWKs of keys signed with before a rotation,
    so that every badge ever issued still verifies; only their public parts are published.
    """
    keys = [_published(signing_key())]
    for entry in getattr(settings, "LEARNING_BADGE_RETIRED_KEYS", None) or []:
        public = {name: value for name, value in dict(entry).items() if name in ("kty", "crv", "x", "y")}
        try:
            keys.append(_published(ECKey.import_key(public)))
        except (JoseError, ValueError, TypeError, KeyError):
            raise ImproperlyConfigured("LEARNING_BADGE_RETIRED_KEYS holds a key that is not a P-256 JWK.") from None
    return {"keys": keys}


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def credential(
    *,
    credential_id: str,
    issuer_url: str,
    holder_name: str,
    achievement_id: str,
    achievement_name: str,
    achievement_description: str,
    criteria: str,
    issued_at: datetime,
    status_url: str,
) -> dict[str, Any]:
    """Return the OpenBadgeCredential (VC data model 2.0) of a certificate, unsigned."""
    return {
        "@context": list(CONTEXTS),
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_url, "type": ["Profile"], "name": ISSUER_NAME, "url": issuer_url},
        "validFrom": _timestamp(issued_at),
        "name": achievement_name,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": holder_name}
            ],
            "achievement": {
                "id": achievement_id,
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": achievement_name,
                "description": achievement_description or achievement_name,
                "criteria": {"narrative": criteria},
            },
        },
        "credentialStatus": {"id": status_url, "type": "1EdTechRevocationList"},
    }


def sign(payload: dict[str, Any]) -> str:
    """Return the credential as a compact JWS (VC-JOSE-COSE), signed with the platform key."""
    key = signing_key()
    header = {"alg": ALGORITHM, "kid": key_id(key), "typ": "vc+jwt", "cty": "vc"}
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return jws.serialize_compact(header, body, key, algorithms=[ALGORITHM])


def verify(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """Return the credential of `token` if a key of `jwks` (by kid) signed it; raise BadgeInvalid."""
    try:
        header = jws.extract_compact(token.strip().encode()).protected
        matching = [entry for entry in jwks.get("keys", []) if entry.get("kid") == header.get("kid")]
        if not matching or header.get("alg") != ALGORITHM:
            raise BadgeInvalid
        public = ECKey.import_key(matching[0])
        payload = jws.deserialize_compact(token.strip(), public, algorithms=[ALGORITHM]).payload
        found: dict[str, Any] = json.loads(payload)
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise BadgeInvalid from error
    return found


LINKEDIN_ADD_URL = "https://www.linkedin.com/profile/add"


def linkedin_add_url(*, name: str, issued_at: datetime, verify_url: str, code: str) -> str:
    """LinkedIn's « add to profile » address for a certification, filled in: a plain link, nothing loaded."""
    query = urlencode(
        {
            "startTask": "CERTIFICATION_NAME",
            "name": name,
            "organizationName": ISSUER_NAME,
            "issueYear": issued_at.year,
            "issueMonth": issued_at.month,
            "certUrl": verify_url,
            "certId": code,
        }
    )
    return f"{LINKEDIN_ADD_URL}?{query}"
