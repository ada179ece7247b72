"""Database guards that keep issued invoices and credit notes as they were issued (BZ-3).

The models refuse such changes already (``IssuedDocumentChanged``); these triggers also
stop writes that bypass the models (``QuerySet.update``, raw SQL, a database shell).
They are (re)installed after every ``migrate`` (post_migrate, ``apps.py``): SQLite drops a
table's triggers when a migration rebuilds the table, so a migration alone would not last.

- An issued invoice (it has a number) keeps every column of ``INVOICE_FROZEN_FIELDS``; its
  status only moves from "open" to "paid" or "void", which are final with their dates.
- A credit note never changes.
- PostgreSQL also refuses deleting either. SQLite does not: the test suite empties
  tables with DELETE there (PostgreSQL uses TRUNCATE, which row triggers do not see), and
  the models refuse ``delete()`` on both.

Both databases report a refusal as an integrity error (``django.db.IntegrityError``).
"""

from __future__ import annotations

from typing import Any

from django.db import connections

from .models import INVOICE_FINAL_STATUSES, INVOICE_FROZEN_FIELDS, CreditNote, Invoice

INVOICE_MESSAGE = "billing: an issued invoice never changes (BZ-3): issue a credit note instead"
CREDIT_NOTE_MESSAGE = "billing: a credit note never changes (BZ-3)"


def _invoice_columns() -> list[str]:
    return [str(getattr(Invoice._meta.get_field(name), "column", name)) for name in INVOICE_FROZEN_FIELDS]


def _invoice_changed(distinct: str) -> str:
    """Return the SQL condition "an issued invoice's recorded details or final state changed"."""
    finals = ", ".join(f"'{status}'" for status in INVOICE_FINAL_STATUSES)
    parts = [f"NEW.{column} {distinct} OLD.{column}" for column in _invoice_columns()]
    parts.append(f"(OLD.status IN ({finals}) AND NEW.status {distinct} OLD.status)")
    parts += [
        f"(OLD.{column} IS NOT NULL AND NEW.{column} {distinct} OLD.{column})" for column in ("paid_at", "voided_at")
    ]
    return " OR ".join(parts)


def _sqlite_statements() -> list[str]:
    invoice, note = Invoice._meta.db_table, CreditNote._meta.db_table
    return [
        "DROP TRIGGER IF EXISTS billing_invoice_issued_frozen",
        f"CREATE TRIGGER billing_invoice_issued_frozen BEFORE UPDATE ON {invoice} FOR EACH ROW "
        f"WHEN OLD.number IS NOT NULL AND ({_invoice_changed('IS NOT')}) "
        f"BEGIN SELECT RAISE(ABORT, '{INVOICE_MESSAGE}'); END",
        "DROP TRIGGER IF EXISTS billing_credit_note_frozen",
        f"CREATE TRIGGER billing_credit_note_frozen BEFORE UPDATE ON {note} FOR EACH ROW "
        f"BEGIN SELECT RAISE(ABORT, '{CREDIT_NOTE_MESSAGE}'); END",
    ]


def _postgresql_statements() -> list[str]:
    invoice, note = Invoice._meta.db_table, CreditNote._meta.db_table
    return [
        f"""CREATE OR REPLACE FUNCTION billing_invoice_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.number IS NOT NULL AND (TG_OP = 'DELETE' OR {_invoice_changed("IS DISTINCT FROM")}) THEN
    RAISE EXCEPTION '{INVOICE_MESSAGE} (%)', OLD.number USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$""",
        f"DROP TRIGGER IF EXISTS billing_invoice_guard ON {invoice}",
        f"CREATE TRIGGER billing_invoice_guard BEFORE UPDATE OR DELETE ON {invoice} "
        "FOR EACH ROW EXECUTE FUNCTION billing_invoice_guard()",
        f"""CREATE OR REPLACE FUNCTION billing_credit_note_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '{CREDIT_NOTE_MESSAGE} (%)', OLD.number USING ERRCODE = 'integrity_constraint_violation';
END $$""",
        f"DROP TRIGGER IF EXISTS billing_credit_note_guard ON {note}",
        f"CREATE TRIGGER billing_credit_note_guard BEFORE UPDATE OR DELETE ON {note} "
        "FOR EACH ROW EXECUTE FUNCTION billing_credit_note_guard()",
    ]


def guards_install(*, using: str = "default") -> None:
    """Create (or replace) the guards on database `using`; other databases get none."""
    connection = connections[using]
    if connection.vendor == "sqlite":
        statements = _sqlite_statements()
    elif connection.vendor == "postgresql":
        statements = _postgresql_statements()
    else:
        return
    tables = set(connection.introspection.table_names())
    if not {Invoice._meta.db_table, CreditNote._meta.db_table} <= tables:
        return  # migrating backwards, or not migrated that far yet
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def guards_install_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """post_migrate receiver: the guards follow every migration (SQLite drops them on a table rebuild)."""
    guards_install(using=using)
