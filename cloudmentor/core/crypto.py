"""Authenticated encryption of cookie values (AES-256-GCM, key rotation).

Every cookie the platform sets is sealed here. The cookie name is bound as associated
data, so a value cannot be moved from one cookie to another; the payload carries its own
expiry, so an old value replayed after its lifetime is refused server-side too.

Keys come from ``settings.COOKIE_KEYS``, newest first: the first seals, all unseal.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import time
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

NONCE_BYTES = 12


@lru_cache(maxsize=8)
def _cipher(secret: str) -> AESGCM:
    # The configured secrets are arbitrary strings: derive a 256-bit key from each.
    return AESGCM(hashlib.sha256(b"cloudmentor.cookie\x00" + secret.encode()).digest())


def _ciphers() -> list[AESGCM]:
    keys = settings.COOKIE_KEYS
    if not keys:
        raise RuntimeError("COOKIE_KEYS is empty: at least one cookie key is required.")
    return [_cipher(key) for key in keys]


def _now() -> float:
    return time.time()


def seal(name: str, value: Any, *, expires_at: float | None) -> str:
    """Return `value` encrypted for the cookie `name`, valid until `expires_at` (epoch s)."""
    plaintext = json.dumps({"v": value, "e": expires_at}, separators=(",", ":")).encode()
    nonce = os.urandom(NONCE_BYTES)
    sealed = nonce + _ciphers()[0].encrypt(nonce, plaintext, name.encode())
    return base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def unseal(name: str, token: str) -> Any | None:
    """Return the value sealed for `name`, or None if it is foreign, tampered or expired."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    if base64.urlsafe_b64encode(raw).decode().rstrip("=") != token:
        return None  # not the one spelling seal() writes: unused bits or stray characters changed
    if len(raw) <= NONCE_BYTES:
        return None
    nonce, ciphertext = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
    for cipher in _ciphers():
        try:
            plaintext = cipher.decrypt(nonce, ciphertext, name.encode())
        except InvalidTag:
            continue
        try:
            payload = json.loads(plaintext)
        except ValueError:
            return None
        expires_at = payload.get("e")
        if expires_at is not None and expires_at <= _now():
            return None
        return payload.get("v")
    return None
