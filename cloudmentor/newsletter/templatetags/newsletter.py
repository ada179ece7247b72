from __future__ import annotations

from django import template

from cloudmentor.accounts.models import User
from cloudmentor.newsletter.selectors import MemberStatus, member_status

register = template.Library()


@register.simple_tag
def newsletter_member_status(member: User) -> MemberStatus:
    """Return the member's newsletter status (cached: no query in steady state)."""
    return member_status(user=member)
