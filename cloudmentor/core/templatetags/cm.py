"""Template tags shared by every app."""

from __future__ import annotations

from django import template
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from cloudmentor.core.formcookies import FIELD_NAME, form_cookie_token

register = template.Library()


@register.simple_tag(takes_context=True)
def form_cookie_field(context: template.Context) -> SafeString:
    """Render the hidden field that ties the form to its form cookie."""
    request: HttpRequest = context["request"]
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD_NAME, form_cookie_token(request))
