"""The discovery documents (RFC 7644 §4): ServiceProviderConfig, ResourceTypes, Schemas."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from .resources import USER_SCHEMA_URN

SPC_URN = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_URN = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_URN = "urn:ietf:params:scim:schemas:core:2.0:Schema"
DOCS = "/docs/sso.md#scim"


def _attribute(name: str, *, required: bool = False, uniqueness: str = "none", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": extra.pop("type", "string"),
        "multiValued": extra.pop("multiValued", False),
        "description": extra.pop("description", name),
        "required": required,
        "caseExact": False,
        "mutability": extra.pop("mutability", "readWrite"),
        "returned": extra.pop("returned", "default"),
        "uniqueness": uniqueness,
        **extra,
    }


USER_ATTRIBUTES = [
    _attribute(
        "userName",
        required=True,
        uniqueness="server",
        description="Unique identifier for the User in the group's directory (often the work email).",
    ),
    _attribute(
        "name",
        type="complex",
        description="The components of the user's name.",
        subAttributes=[
            _attribute("givenName", description="Given name."),
            _attribute("familyName", description="Family name."),
        ],
    ),
    _attribute("displayName", description="The name of the User, suitable for display."),
    _attribute(
        "emails",
        type="complex",
        multiValued=True,
        required=True,
        description=(
            "Email addresses; the work one (or the primary one) is the account's address at creation."
            " Accepted missing when the userName is an email address."
        ),
        subAttributes=[
            _attribute("value", required=True, description="Email address."),
            _attribute("type", description="work, home or other.", canonicalValues=["work", "home", "other"]),
            _attribute("primary", type="boolean", description="The primary address."),
        ],
    ),
    _attribute(
        "active",
        type="boolean",
        required=True,
        description=(
            "false frees the seat and ends every session of the member at once. Always returned: it tells"
            " whether the person holds a seat now (true when a document leaves it out)."
        ),
    ),
]


def _location(path: str) -> str:
    return f"{settings.SITE_URL}/scim/v2/{path}"


def service_provider_config() -> dict[str, Any]:
    max_results = int(settings.SCIM_PAGE_SIZE_MAX)
    return {
        "schemas": [SPC_URN],
        "documentationUri": f"{settings.SITE_URL}{DOCS}",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": max_results},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "A token the group's owner creates on the group page (Provisionnement SCIM).",
                "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
                "primary": True,
            }
        ],
        "meta": {"resourceType": "ServiceProviderConfig", "location": _location("ServiceProviderConfig")},
    }


def user_resource_type() -> dict[str, Any]:
    return {
        "schemas": [RESOURCE_TYPE_URN],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "A member of the group, holding one of its seats while active.",
        "schema": USER_SCHEMA_URN,
        "schemaExtensions": [],
        "meta": {"resourceType": "ResourceType", "location": _location("ResourceTypes/User")},
    }


def user_schema() -> dict[str, Any]:
    return {
        "schemas": [SCHEMA_URN],
        "id": USER_SCHEMA_URN,
        "name": "User",
        "description": "User Account",
        "attributes": USER_ATTRIBUTES,
        "meta": {"resourceType": "Schema", "location": _location(f"Schemas/{USER_SCHEMA_URN}")},
    }
