"""Authenticated encryption of cookie values (AES-256-GCM, key rotation).

Every cookie the platform sets is sealed here. The cookie name is bound as associated
data, so a value cannot be moved from one cookie to another; the payload carries its own
expiry, so an old value replayed after its lifetime is refused server-side too.

Keys come from ``settings.COOKIE_KEYS``, newest first: the first seals, all unseal.

`encrypt_text`/`decrypt_text` use the same keys, derived apart, for secrets kept at rest
for a short while (an email that carries a single-use link until it is sent, TR-3).
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


@lru_cache(maxsize=8)
def _text_cipher(secret: str) -> AESGCM:
    # Another derivation than the cookies': a stored value can never be replayed as a cookie.
    return AESGCM(hashlib.sha256(b"cloudmentor.at-rest\x00" + secret.encode()).digest())


def encrypt_text(purpose: str, text: str) -> str:
    """Return `text` encrypted for `purpose` (bound as associated data), to keep at rest."""
    keys = settings.COOKIE_KEYS
    if not keys:
        raise RuntimeError("COOKIE_KEYS is empty: at least one cookie key is required.")
    nonce = os.urandom(NONCE_BYTES)
    sealed = nonce + _text_cipher(keys[0]).encrypt(nonce, text.encode(), purpose.encode())
    return base64.urlsafe_b64encode(sealed).decode()


def decrypt_text(purpose: str, token: str) -> str | None:
    """Return the text `encrypt_text` sealed for `purpose`, or None (other purpose, tampered, key retired)."""
    try:
        raw = base64.urlsafe_b64decode(token)
    except (binascii.Error, ValueError):
        return None
    nonce, ciphertext = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
    if not ciphertext:
        return None
    for key in settings.COOKIE_KEYS:
        try:
            return _text_cipher(key).decrypt(nonce, ciphertext, purpose.encode()).decode()
        except InvalidTag:
            continue
    return None
