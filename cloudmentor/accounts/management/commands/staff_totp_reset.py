from __future__ import annotations

import base64
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cloudmentor.accounts.models import User
from cloudmentor.accounts.services import staff_totp_devices_reset


class Command(BaseCommand):
    help = (
        "Give a staff member a new TOTP authenticator key (the old devices stop working) and print it. "
        "For a lost phone, or a first staff account created from the command line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_staff=True).first()
        if user is None:
            raise CommandError(f"No staff account named {options['username']!r}.")
        device = staff_totp_devices_reset(user=user)
        self.stdout.write(f"Authenticator secret (base32): {base64.b32encode(device.bin_key).decode()}")
        self.stdout.write(f"otpauth URL (for a QR code): {device.config_url}")
