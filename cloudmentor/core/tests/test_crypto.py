from __future__ import annotations

import time_machine

from cloudmentor.core import crypto


def test_ck1_sealed_value_reads_back_only_under_its_own_name() -> None:
    """A sealed value opens under its cookie name and under no other."""
    token = crypto.seal("cm_form_login", "secret-id", expires_at=None)

    assert crypto.unseal("cm_form_login", token) == "secret-id"
    assert crypto.unseal("cm_form_register", token) is None
    assert "secret-id" not in token


def test_ck1_previous_key_still_decrypts_after_rotation(settings) -> None:
    """After a key rotation, cookies sealed with the previous key stay valid; a removed key does not."""
    settings.COOKIE_KEYS = ["old-key"]
    token = crypto.seal("cm_account", "value", expires_at=None)

    settings.COOKIE_KEYS = ["new-key", "old-key"]
    assert crypto.unseal("cm_account", token) == "value"
    assert crypto.seal("cm_account", "x", expires_at=None) != token

    settings.COOKIE_KEYS = ["new-key"]
    assert crypto.unseal("cm_account", token) is None


def test_ck1_expired_payload_is_treated_as_absent() -> None:
    """A value replayed after the expiry it was sealed with is refused server-side."""
    with time_machine.travel("2027-01-01 12:00:00+00:00", tick=False):
        token = crypto.seal("cm_form_login", "id", expires_at=crypto._now() + 60)
    with time_machine.travel("2027-01-01 12:00:59+00:00", tick=False):
        assert crypto.unseal("cm_form_login", token) == "id"
    with time_machine.travel("2027-01-01 12:01:01+00:00", tick=False):
        assert crypto.unseal("cm_form_login", token) is None


def test_ck1_every_flipped_byte_truncation_or_garbage_is_absent() -> None:
    """Tampering anywhere in the token, truncating it or sending garbage gives 'absent'."""
    token = crypto.seal("cm_form_contact", "abc", expires_at=None)
    for position in range(len(token)):
        replacement = "A" if token[position] != "A" else "B"
        tampered = token[:position] + replacement + token[position + 1 :]
        assert crypto.unseal("cm_form_contact", tampered) is None, position
    for bad in (token[:-1], token[:10], "", "%%%", "a" * 5000, "é"):
        assert crypto.unseal("cm_form_contact", bad) is None
