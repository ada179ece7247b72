"""`make audit` (tools/audit.py): the checks of issue 11 from outside, form fuzzing, the cookie key matrix.

Every test here carries the `audit` marker and runs only when the marker is asked for
(`-m audit`): the normal runs (`make test`) leave them out, `make audit` runs nothing else.
"""

from __future__ import annotations

from typing import Any

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave the audit out unless `-m` names it."""
    for item in items:
        if "tests/audit/" in item.nodeid or item.nodeid.startswith("tests/audit"):
            item.add_marker(pytest.mark.audit)
    if "audit" in (config.getoption("markexpr") or ""):
        return
    kept = [item for item in items if "audit" not in item.keywords]
    left = [item for item in items if "audit" in item.keywords]
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


@pytest.fixture(autouse=True)
def _generous_throttles(settings: Any) -> None:
    """The fuzzing sends hundreds of forms from one address: the throttles (tested elsewhere) stand aside."""
    for name in (
        "ACCOUNTS_LOGIN_MAX_PER_IP",
        "ACCOUNTS_LOGIN_MAX_PER_ACCOUNT_IP",
        "ACCOUNTS_REGISTER_MAX_PER_IP",
        "ACCOUNTS_RECOVERY_MAX_PER_IP",
        "ACCOUNTS_RECOVERY_MAX_PER_ACCOUNT",
        "OPERATIONS_CONTACT_MAX_PER_IP",
        "NEWSLETTER_REQUEST_MAX_PER_IP",
        "NEWSLETTER_CONFIRM_MAX_PER_ADDRESS",
        "DONATIONS_MAX_PER_IP",
        "LEARNING_ERROR_REPORT_MAX_PER_MEMBER",
    ):
        setattr(settings, name, 1_000_000)
