"""The staff's second factor: verify a TOTP code, or pair an authenticator app first (django-otp)."""

from __future__ import annotations

import base64
import io

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from .. import services
from ..forms import OtpTokenForm
from ..http import AuthenticatedHttpRequest
from .base import _safe_next


def _staff_only(request: AuthenticatedHttpRequest) -> HttpResponseBase | None:
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return render(
            request, "core/error.html", {"title": _("Accès refusé"), "message": _("Réservé à l'équipe.")}, status=403
        )
    return None


@login_required
@never_cache
def staff_verify(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """Second factor of staff: a TOTP code after the password (django-otp)."""
    refused = _staff_only(request)
    if refused is not None:
        return refused
    from django_otp import devices_for_user

    next_url = _safe_next(request, reverse("admin:index"))
    if not any(True for _device in devices_for_user(request.user, confirmed=True)):
        return redirect(f"{reverse('accounts:staff_enroll')}?next={next_url}")
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.staff_otp_verify(request=request, user=request.user, token=form.cleaned_data["token"]):
            return redirect(next_url)
        form.add_error("token", _("Code incorrect ou expiré. Attendez le code suivant et réessayez."))
    return render(request, "accounts/staff_verify.html", {"form": form, "next": next_url})


@login_required
@never_cache
def staff_enroll(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """First visit of a staff member without a device: pair an authenticator app."""
    refused = _staff_only(request)
    if refused is not None:
        return refused
    from django_otp import devices_for_user

    next_url = _safe_next(request, reverse("admin:index"))
    if any(True for _device in devices_for_user(request.user, confirmed=True)):
        return redirect(f"{reverse('accounts:staff_verify')}?next={next_url}")
    device = services.staff_totp_device_start(user=request.user)
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.staff_totp_device_confirm(request=request, device=device, token=form.cleaned_data["token"]):
            return redirect(next_url)
        form.add_error("token", _("Code incorrect. Vérifiez l'heure de votre téléphone et réessayez."))
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/staff_enroll.html",
        {"form": form, "next": next_url, "secret": secret, "qr_data_uri": _qr_data_uri(device.config_url)},
    )


def _qr_data_uri(text: str) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()
