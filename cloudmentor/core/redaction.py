"""Keep secrets and control characters out of the request log (PV-5) and the application log (TR-3).

Shared by analytics' request log, core's logging filter (`cloudmentor.core.logging`) and
the outbox, which tells by them an email that carries a live link. Runs in the request
path, so the common case (a short path without a query) costs a couple of
regular-expression scans. Three rules:

- after a path segment that names a secret-bearing flow (password reset, invitation,
  unsubscribe, confirmation, token...), every following segment is replaced;
- any other segment that looks like a token (a long run of mixed letters and digits)
  is replaced too;
- the value of every query parameter whose name suggests a secret (token, key,
  password, code, email...) is replaced, and values that are paths go through the
  path rules (``?next=/account/reset/...``).

Then every character that is not printable (control characters, line and paragraph
separators, bidirectional overrides) is written as ``\\xNN``/``\\uNNNN``, so a record
can never forge a line of a log or a report.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import unquote_plus

REDACTED = "[…]"

# Words of a path segment that name a flow whose following segments carry a secret
# (matched at the start of a word: "password-reset", "invitations", "unsubscribe").
SECRET_FLOW_WORDS = (
    "reset",
    "recover",
    "invit",
    "unsubscri",
    "desinscri",
    "désinscri",
    "desabonn",
    "désabonn",
    "confirm",
    "activat",
    "verif",
    "token",
    "jeton",
    "magic",
    "otp",
    "secret",
)
# Whole segments that precede a token in a route but name no flow word above. A test checks
# that every route of the URLconf with a ``token`` parameter is covered (core/tests/test_logging.py).
SECRET_ROUTE_SEGMENTS = frozenset({"not-me", "join"})
# Words of a query parameter name whose value is a secret or personal.
SECRET_PARAMETER_WORDS = frozenset(
    {
        "token", "jeton", "key", "apikey", "cle", "clé", "secret", "password", "passwd", "pass", "pwd",
        "code", "otp", "sig", "signature", "auth", "authorization", "session", "sessionid", "sid",
        "csrf", "csrfmiddlewaretoken", "email", "mail", "courriel", "uid", "uidb64", "nonce", "ticket",
        "state", "hash", "hmac", "jwt", "bearer", "credential", "credentials", "phone", "telephone",
        # A SCIM filter names a person (userName eq "ada@corp.example"): docs/scim.md.
        "filter",
    }
)  # fmt: skip
WORD_SEPARATOR = re.compile(r"[-_.\[\]~+ ]+")
# Candidates for token-like segments: long runs of URL-safe characters.
TOKEN_CANDIDATE = re.compile(r"[A-Za-z0-9_\-:.=~]{20,}")


def _names_secret_flow(segment: str) -> bool:
    if segment.lower() in SECRET_ROUTE_SEGMENTS:
        return True
    return any(word.startswith(SECRET_FLOW_WORDS) for word in WORD_SEPARATOR.split(segment.lower()))


def _names_secret_parameter(name: str) -> bool:
    lowered = unquote_plus(name).lower()
    if lowered in SECRET_PARAMETER_WORDS or lowered.endswith(("token", "password", "secret", "key")):
        return True
    return any(word in SECRET_PARAMETER_WORDS for word in WORD_SEPARATOR.split(lowered))


def _looks_like_token(segment: str) -> bool:
    """Tell a random token ("c4x5kz-1a2b3c4d5e6f...", base64url) from a readable slug."""
    for part in re.split(r"[-_:.=~]", segment):
        if len(part) >= 16 and any(c.isdigit() for c in part) and any(c.isalpha() for c in part):
            return True
        if len(part) >= 32:
            return True
    return False


@lru_cache(maxsize=4096)
def redact_path(path: str) -> str:
    """Return the path with secret-bearing segments replaced."""
    segments = path.split("/")
    redacting = False
    changed = False
    for index, segment in enumerate(segments):
        if not segment:
            continue
        if redacting or (TOKEN_CANDIDATE.search(segment) and _looks_like_token(segment)):
            segments[index] = REDACTED
            changed = True
            continue
        if _names_secret_flow(segment):
            redacting = True
    return "/".join(segments) if changed else path


_URL = re.compile(r"https?://[^\s/\"'<>]+(?P<path>/[^\s\"'<>?#]*)(?:\?(?P<query>[^\s\"'<>#]*))?")


def carries_secret(text: str) -> bool:
    """Tell whether `text` (an email, a header) holds a URL the request log would redact."""
    for match in _URL.finditer(text):
        path, query = match["path"], match["query"] or ""
        if redact_path(path) != path or redact_query(query) != query:
            return True
    return False


def redact_query(query: str) -> str:
    """Return the raw query string with the values of secret parameters replaced."""
    if not query:
        return query
    pairs = query.split("&")
    for index, pair in enumerate(pairs):
        name, separator, value = pair.partition("=")
        if not separator or not value:
            continue
        if _names_secret_parameter(name):
            pairs[index] = f"{name}={REDACTED}"
        elif value[:1] == "/" or value[:3].upper() == "%2F":
            redacted = redact_path(value.replace("%2F", "/").replace("%2f", "/"))
            if REDACTED in redacted:
                pairs[index] = f"{name}={redacted}"
        elif TOKEN_CANDIDATE.search(value) and _looks_like_token(value):
            pairs[index] = f"{name}={REDACTED}"
    return "&".join(pairs)


def escape_unprintable(text: str) -> str:
    """Return the text with every unprintable character written as an escape sequence."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escape(char) for char in text)


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
