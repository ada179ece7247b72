"""The demo group's provisioning by a company directory (ID-2): a token and a short history, through scim's services.

The token's value is thrown away (the demo owner creates their own on /account/group/scim/);
what shows is what a real directory leaves: two colleagues provisioned, one of them later
deactivated (their seat freed). Nothing is emailed.
"""

from __future__ import annotations

from cloudmentor.accounts.models import Group
from cloudmentor.accounts.selectors import user_by_identifier
from cloudmentor.scim.models import ScimToken
from cloudmentor.scim.services import scim_user_create, scim_user_patch, token_create

COLLEAGUES = (
    ("camille.martin@acme.example", "Camille", "Martin", True),
    ("yanis.benali@acme.example", "Yanis", "Benali", False),
)


def demo_scim_history(*, owner_username: str) -> int:
    """Give the demo owner's group a directory token and its history, once; return how many people it provisioned."""
    owner = user_by_identifier(owner_username)
    group = Group.objects.filter(owner=owner).first() if owner is not None else None
    if owner is None or group is None or ScimToken.objects.filter(group=group).exists():
        return 0
    token, _value = token_create(group=group, actor=owner, name="Okta (démo)")
    for address, given, family, stays in COLLEAGUES:
        scim_user, _active = scim_user_create(
            token=token,
            data={
                "userName": address,
                "name": {"givenName": given, "familyName": family},
                "displayName": f"{given} {family}",
                "emails": [{"value": address, "type": "work", "primary": True}],
            },
            language="fr",
        )
        if not stays:
            scim_user_patch(
                token=token,
                scim_user=scim_user,
                body={"Operations": [{"op": "replace", "path": "active", "value": False}]},
            )
    return len(COLLEAGUES)
