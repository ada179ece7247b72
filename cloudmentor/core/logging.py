"""Keep live links out of the application log (TR-3).

Django logs every 4xx answer with its path ("Not Found: /accounts/password/reset/<token>/"),
and the development server every request line: a token read there would still open the
account. `RedactSecrets`, set on every handler in ``settings.LOGGING``, rewrites each path
in a record's message with the request log's rules (`cloudmentor.core.redaction`) before
any handler writes it.
"""

from __future__ import annotations

import logging
import re

from .redaction import REDACTED, redact_path, redact_query

# A path, with its scheme and host when it is a whole URL, and its query string.
_PATH = re.compile(r"(?P<origin>https?://[^\s/\"'<>]+)?(?P<path>/[^\s\"'<>?#]*)(?P<query>\?[^\s\"'<>#]*)?")


def redact_paths(text: str) -> str:
    """Return `text` with the secret segments and parameters of every path or URL in it replaced."""
    if "/" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        path = redact_path(match["path"])
        query = match["query"] or ""
        if query:
            query = "?" + redact_query(query[1:])
        return f"{match['origin'] or ''}{path}{query}"

    redacted = _PATH.sub(replace, text)
    return redacted if REDACTED in redacted else text


class RedactSecrets(logging.Filter):
    """Rewrite the record's message without secret path segments; never drop a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logging's problem, not a reason to hide it
            return True
        redacted = redact_paths(message)
        if redacted is not message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            # Formatters print ``exc_text`` when it is set: a traceback quoting a URL is redacted too.
            record.exc_text = redact_paths(_TRACEBACKS.formatException(record.exc_info))
        return True


_TRACEBACKS = logging.Formatter()
