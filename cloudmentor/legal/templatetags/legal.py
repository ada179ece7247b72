from __future__ import annotations

from typing import Any

from django import template

from cloudmentor.legal.selectors import terms_notice_due

register = template.Library()


@register.filter
def terms_notice_due_for(user: Any) -> bool:
    """Whether `user` (the template's user: nobody in a shared layout) must see the notice of new terms."""
    return terms_notice_due(user)
