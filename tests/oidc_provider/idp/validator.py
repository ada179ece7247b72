"""The provider's claims: email, email_verified, name and preferred_username of each person."""

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator

from .people import people


class Validator(OAuth2Validator):
    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        claims = people().get(request.user.username, {})
        return {
            "email": claims.get("email", ""),
            "email_verified": claims.get("email_verified", True),
            "name": claims.get("name", request.user.username),
            "preferred_username": request.user.username,
        }
