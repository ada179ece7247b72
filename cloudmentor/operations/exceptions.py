"""Domain errors of the operations app; forms and staff pages show their message."""

from __future__ import annotations

from typing import Any


class MaintenanceWindowRefused(Exception):
    """A maintenance window change the rules refuse (TM-5); `field` is the form field at fault, if any."""

    def __init__(self, message: Any, *, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field
