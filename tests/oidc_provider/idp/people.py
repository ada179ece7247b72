"""The provider's people and their claims, kept in a JSON file beside its database."""

import json
from typing import Any

from django.conf import settings

PEOPLE = settings.DIRECTORY / "people.json"
FAULT = settings.DIRECTORY / "fault.txt"


def people() -> dict[str, Any]:
    return json.loads(PEOPLE.read_text()) if PEOPLE.exists() else {}


def person_save(username: str, claims: dict[str, Any]) -> None:
    everyone = people()
    everyone[username] = claims
    PEOPLE.write_text(json.dumps(everyone))
