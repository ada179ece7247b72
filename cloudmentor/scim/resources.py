"""The User resource as SCIM sees it (RFC 7643 §4.1): the attributes served, checked, filtered and patched.

Only the attributes the schema (`discovery.USER_SCHEMA`) publishes are kept: userName,
name.givenName/familyName, displayName, emails (value, type, primary), active, and the
common externalId. Attribute names are case-insensitive (RFC 7643 §2.1).
"""

from __future__ import annotations

import copy
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from .exceptions import ScimError

USER_SCHEMA_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"

# Canonical spelling of every attribute, by lower-case name; complex ones list their sub-attributes.
SIMPLE = {"username": "userName", "displayname": "displayName", "active": "active", "externalid": "externalId"}
COMPLEX = {"name": ("name", {"givenname": "givenName", "familyname": "familyName"})}
MULTI = {"emails": ("emails", {"value": "value", "type": "type", "primary": "primary"})}
READ_ONLY = {"id", "meta", "schemas"}
MAX_LENGTH = 255


def _bad(detail: str, scim_type: str = "invalidValue") -> ScimError:
    return ScimError(400, detail, scim_type)


def _string(value: Any, attribute: str) -> str:
    if not isinstance(value, str):
        raise _bad(_("L'attribut %(attribute)s doit être une chaîne de caractères.") % {"attribute": attribute})
    if len(value) > MAX_LENGTH:
        raise _bad(
            _("L'attribut %(attribute)s dépasse %(max)s caractères.") % {"attribute": attribute, "max": MAX_LENGTH}
        )
    return value


def _boolean(value: Any, attribute: str) -> bool:
    # Some directories (Microsoft Entra ID) send "True"/"False" as strings.
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _bad(_("L'attribut %(attribute)s doit valoir true ou false.") % {"attribute": attribute})


def _email_item(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise _bad(_("Chaque élément de emails doit être un objet (value, type, primary)."))
    clean: dict[str, Any] = {}
    for key, value in item.items():
        name = MULTI["emails"][1].get(str(key).lower())
        if name is None or value is None:
            continue
        clean[name] = _boolean(value, f"emails.{name}") if name == "primary" else _string(value, f"emails.{name}")
    if not clean.get("value"):
        raise _bad(_("Chaque adresse de emails doit avoir une valeur (value)."))
    return clean


def clean_user(data: Any) -> dict[str, Any]:
    """Return the known attributes of a User document, checked and canonically named (400 otherwise)."""
    if not isinstance(data, dict):
        raise _bad(_("Le corps de la requête doit être un objet JSON."), "invalidSyntax")
    clean: dict[str, Any] = {}
    for key, value in data.items():
        lower = str(key).lower()
        if lower.startswith(USER_SCHEMA_URN.lower() + ":"):
            lower = lower[len(USER_SCHEMA_URN) + 1 :]
        if value is None or lower in READ_ONLY:
            continue
        if lower in SIMPLE:
            name = SIMPLE[lower]
            clean[name] = _boolean(value, name) if name == "active" else _string(value, name)
        elif lower in COMPLEX:
            if not isinstance(value, dict):
                raise _bad(_("L'attribut name doit être un objet (givenName, familyName)."))
            parts = {
                COMPLEX["name"][1][str(k).lower()]: _string(v, f"name.{k}")
                for k, v in value.items()
                if str(k).lower() in COMPLEX["name"][1] and v is not None
            }
            if parts:
                clean["name"] = parts
        elif lower in MULTI:
            items = value if isinstance(value, list) else [value]
            emails = [_email_item(item) for item in items]
            if emails:
                clean["emails"] = emails
    if not str(clean.get("userName", "")).strip():
        raise _bad(_("L'attribut userName est obligatoire."))
    clean.setdefault("active", True)
    return clean


def work_email(user: dict[str, Any]) -> str:
    """Return the address the account goes by: the work email, else the primary, else the first, else the userName."""
    emails = user.get("emails") or []
    chosen = (
        next((e for e in emails if str(e.get("type", "")).lower() == "work"), None)
        or next((e for e in emails if e.get("primary")), None)
        or (emails[0] if emails else None)
    )
    candidate = str(chosen["value"]) if chosen else str(user.get("userName", ""))
    # As accounts stores addresses: NFKC (a full-width look-alike is the plain address, TR-7).
    candidate = unicodedata.normalize("NFKC", candidate).strip()
    try:
        validate_email(candidate)
    except ValidationError as error:
        raise _bad(
            _(
                "Une adresse e-mail valide est nécessaire : dans emails (type work de préférence) "
                "ou comme userName. Reçu : « %(value)s »."
            )
            % {"value": candidate[:100]}
        ) from error
    return candidate


# --- filters (RFC 7644 §3.4.2.2): `<path> eq "<value>"`, the forms directories use -------------------------

_FILTER = re.compile(
    r"""^\s*(?P<attr>[A-Za-z][\w.:-]*?)(?:\[\s*(?P<sub>[A-Za-z]\w*)\s+eq\s+"(?P<subvalue>(?:[^"\\]|\\.)*)"\s*\]
        (?:\.(?P<after>[A-Za-z]\w*))?)?\s+(?P<op>eq)\s+(?P<value>"(?:[^"\\]|\\.)*"|true|false)\s*$""",
    re.IGNORECASE | re.VERBOSE,
)


@dataclass(frozen=True)
class Filter:
    """One equality: `attribute` (canonical, dotted for a sub-attribute) equals `value`."""

    attribute: str
    value: str | bool
    # For emails[type eq "work"].value: the sub-attribute and value that select the item.
    item_attribute: str = ""
    item_value: str = ""

    def matches(self, user: dict[str, Any]) -> bool:
        if self.attribute.startswith("emails"):
            sub = self.attribute.split(".", 1)[1] if "." in self.attribute else "value"
            return any(
                (not self.item_attribute or str(e.get(self.item_attribute, "")).lower() == self.item_value.lower())
                and _equal(e.get(sub), self.value)
                for e in user.get("emails") or []
            )
        if "." in self.attribute:
            outer, inner = self.attribute.split(".", 1)
            return _equal((user.get(outer) or {}).get(inner), self.value)
        return _equal(user.get(self.attribute), self.value)


def _equal(found: Any, wanted: str | bool) -> bool:
    if isinstance(wanted, bool) or isinstance(found, bool):
        return found is wanted
    return found is not None and str(found).lower() == str(wanted).lower()


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _canonical_path(path: str) -> str:
    lower = path.lower()
    if lower.startswith(USER_SCHEMA_URN.lower() + ":"):
        lower = lower[len(USER_SCHEMA_URN) + 1 :]
    head, _dot, tail = lower.partition(".")
    if lower == "id":
        return "id"
    if head in SIMPLE and not tail:
        return SIMPLE[head]
    if head in COMPLEX and not tail:
        return COMPLEX[head][0]
    if head in COMPLEX and tail in COMPLEX[head][1]:
        return f"{COMPLEX[head][0]}.{COMPLEX[head][1][tail]}"
    if head in MULTI and not tail:
        return MULTI[head][0]
    if head in MULTI and tail in MULTI[head][1]:
        return f"emails.{MULTI[head][1][tail]}"
    raise _bad(_("Filtre non pris en charge : attribut « %(path)s » inconnu.") % {"path": path[:100]}, "invalidFilter")


def parse_filter(text: str) -> Filter:
    """Parse the filters directories send (at least `eq`); anything else is 400 invalidFilter."""
    match = _FILTER.match(text or "")
    if match is None:
        raise _bad(
            _(
                'Filtre non pris en charge. Formes acceptées : userName eq "…", externalId eq "…", '
                'emails.value eq "…", emails[type eq "work"].value eq "…".'
            ),
            "invalidFilter",
        )
    raw = match.group("value")
    value: str | bool = _unquote(raw) if raw.startswith('"') else raw.lower() == "true"
    attribute = match.group("attr")
    if match.group("sub"):
        if attribute.lower() != "emails":
            raise _bad(_("Filtre non pris en charge : seul emails[…] accepte un filtre d'élément."), "invalidFilter")
        item_attribute = _canonical_path(f"emails.{match.group('sub')}").split(".", 1)[1]
        after = _canonical_path(f"emails.{match.group('after') or 'value'}")
        return Filter(after, value, item_attribute, _unquote('"' + match.group("subvalue") + '"'))
    return Filter(_canonical_path(attribute), value)


# --- attributes / excludedAttributes (RFC 7644 §3.4.2.5) --------------------------------------------------

ALWAYS = {"id", "schemas", "meta"}


def project(document: dict[str, Any], attributes: str, excluded: str) -> dict[str, Any]:
    """Keep only the asked attributes (id, schemas and meta always), or drop the excluded ones."""
    if attributes:
        wanted = [_path_or_none(a) for a in attributes.split(",")]
        result = {k: v for k, v in document.items() if k in ALWAYS}
        for path in filter(None, wanted):
            head, _dot, tail = path.partition(".")
            if head not in document:
                continue
            if not tail:
                result[head] = document[head]
            elif isinstance(document[head], dict) and tail in document[head]:
                result.setdefault(head, {})[tail] = document[head][tail]
            elif isinstance(document[head], list):
                items = [{tail: item[tail]} for item in document[head] if tail in item]
                if items:
                    result[head] = items
        return result
    if excluded:
        result = copy.deepcopy(document)
        for path in filter(None, (_path_or_none(a) for a in excluded.split(","))):
            head, _dot, tail = path.partition(".")
            if head in ALWAYS or head == "userName":  # returned "always" (id) or required by the client
                continue
            if not tail:
                result.pop(head, None)
            elif isinstance(result.get(head), dict):
                result[head].pop(tail, None)
            elif isinstance(result.get(head), list):
                for item in result[head]:
                    item.pop(tail, None)
        return result
    return document


def _path_or_none(path: str) -> str | None:
    path = path.strip()
    if not path:
        return None
    try:
        return _canonical_path(path)
    except ScimError:
        return None


# --- PATCH (RFC 7644 §3.5.2) --------------------------------------------------------------------------------

_PATH = re.compile(
    r"""^(?P<attr>[A-Za-z][\w:.-]*?)(?:\[\s*(?P<sub>[A-Za-z]\w*)\s+eq\s+"(?P<subvalue>(?:[^"\\]|\\.)*)"\s*\])?
        (?:\.(?P<after>[A-Za-z]\w*))?$""",
    re.VERBOSE,
)


def _no_target(path: str) -> ScimError:
    return _bad(_("Chemin PATCH non pris en charge : « %(path)s ».") % {"path": path[:100]}, "invalidPath")


def apply_patch(user: dict[str, Any], body: Any) -> dict[str, Any]:
    """Return `user` (its known attributes) with the PatchOp's operations applied in order; 400 otherwise."""
    if not isinstance(body, dict) or not isinstance(body.get("Operations"), list) or not body["Operations"]:
        raise _bad(_("Une requête PATCH porte une liste Operations non vide (PatchOp)."), "invalidSyntax")
    result = copy.deepcopy(user)
    for operation in body["Operations"]:
        if not isinstance(operation, dict):
            raise _bad(_("Chaque opération est un objet (op, path, value)."), "invalidSyntax")
        op = str(operation.get("op", "")).lower()
        path = operation.get("path")
        value = operation.get("value")
        if op not in ("add", "replace", "remove"):
            raise _bad(_("Opération inconnue : op vaut add, replace ou remove."), "invalidSyntax")
        if not path:
            if op == "remove":
                raise _bad(_("Une opération remove doit indiquer un chemin (path)."), "noTarget")
            if not isinstance(value, dict):
                raise _bad(_("Sans chemin, la valeur d'une opération est un objet d'attributs."), "invalidValue")
            for key, item in value.items():
                _apply_path(result, op, str(key), item)
        else:
            if op != "remove" and "value" not in operation:
                raise _bad(_("Une opération add ou replace porte une valeur (value)."), "invalidValue")
            _apply_path(result, op, str(path), value)
    return result


def _apply_path(user: dict[str, Any], op: str, path: str, value: Any) -> None:
    lower = path.lower()
    if lower.startswith(USER_SCHEMA_URN.lower() + ":"):
        path = path[len(USER_SCHEMA_URN) + 1 :]
    match = _PATH.match(path)
    if match is None:
        raise _no_target(path)
    head = match.group("attr").lower()
    after = (match.group("after") or "").lower()
    if "." in head and not match.group("sub"):
        head, after = head.split(".", 1)
    if head in READ_ONLY:
        raise _bad(_("L'attribut %(attribute)s ne peut pas être modifié.") % {"attribute": head}, "mutability")
    if head in SIMPLE and not after and not match.group("sub"):
        name = SIMPLE[head]
        if op == "remove":
            if name == "userName":
                raise _bad(_("L'attribut userName est obligatoire."), "mutability")
            user.pop(name, None)
        else:
            user[name] = value
        return
    if head in COMPLEX and not match.group("sub"):
        name, subs = COMPLEX[head]
        current = dict(user.get(name) or {})
        if after:
            if after not in subs:
                raise _no_target(path)
            if op == "remove":
                current.pop(subs[after], None)
            else:
                current[subs[after]] = value
        elif op == "remove":
            current = {}
        elif isinstance(value, dict):
            current = {**current, **value} if op == "add" else dict(value)
        else:
            raise _bad(_("L'attribut name doit être un objet (givenName, familyName)."))
        if current:
            user[name] = current
        else:
            user.pop(name, None)
        return
    if head in MULTI:
        _apply_emails(user, op, path, match, after, value)
        return
    raise _no_target(path)


def _apply_emails(user: dict[str, Any], op: str, path: str, match: re.Match[str], after: str, value: Any) -> None:
    subs = MULTI["emails"][1]
    if after and after not in subs:
        raise _no_target(path)
    emails: list[dict[str, Any]] = [dict(e) for e in user.get("emails") or []]
    sub = match.group("sub")
    if sub:
        item_attribute = subs.get(sub.lower())
        if item_attribute is None:
            raise _no_target(path)
        wanted = re.sub(r"\\(.)", r"\1", match.group("subvalue"))
        selected = [e for e in emails if str(e.get(item_attribute, "")).lower() == wanted.lower()]
        if op == "remove":
            if after:
                for item in selected:
                    item.pop(subs[after], None)
            else:
                emails = [e for e in emails if e not in selected]
        elif after:
            if not selected:
                # Entra ID adds the work address this way: create the item the filter describes.
                selected = [{item_attribute: wanted}]
                emails.append(selected[0])
            for item in selected:
                item[subs[after]] = value
        else:
            if not isinstance(value, dict):
                raise _bad(_("Chaque élément de emails doit être un objet (value, type, primary)."))
            for item in selected:
                item.update(value)
    elif after:
        if op == "remove":
            for item in emails:
                item.pop(subs[after], None)
        else:
            for item in emails:
                item[subs[after]] = value
    elif op == "remove":
        emails = []
    else:
        items = value if isinstance(value, list) else [value]
        emails = emails + list(items) if op == "add" else list(items)
    emails = [e for e in emails if e]
    if emails:
        user["emails"] = emails
    else:
        user.pop("emails", None)
