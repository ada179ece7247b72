"""Template filters of the learning pages."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from cloudmentor.learning import badges
from cloudmentor.learning.models import Certificate
from cloudmentor.learning.rendering import inline_code

register = template.Library()


@register.filter
def duration(minutes: int | None) -> str:
    """Return a duration in minutes as "45 min", "2 h" or "3 h 30"."""
    minutes = int(minutes or 0)
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("%(minutes)d min") % {"minutes": rest}
    if not rest:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(hours)d h %(minutes)02d") % {"hours": hours, "minutes": rest}


@register.filter(name="inline_code")
def inline_code_filter(text: str) -> SafeString:
    """Show a quiz answer with its `code` spans as code."""
    return inline_code(text)


@register.simple_tag
def linkedin_add_url(certificate: Certificate) -> str:
    """LinkedIn's « add to profile » address for a certificate (a plain link, LX-2)."""
    with translation.override(settings.LANGUAGE_CODE):
        verify_path = reverse("learning:certificate_verify", kwargs={"code": certificate.code})
    return badges.linkedin_add_url(
        name=certificate.course_title,
        issued_at=certificate.issued_at,
        verify_url=str(settings.SITE_URL) + verify_path,
        code=certificate.code,
    )
