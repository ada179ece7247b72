"""TR-7: the unique NFKC + case-folded form of each address (decision 0106).
CK-4: a group's paid-up date, for its members' account cookie (decision 0107)."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.db import migrations, models
from django.db.models import Max


def email_keys_fill(apps: Any, schema_editor: Any) -> None:
    """Give every row its key, oldest first; a later look-alike of an address keeps none (and says so)."""
    user_model = apps.get_model("accounts", "User")
    taken: set[str] = set()
    for pk, email in user_model.objects.order_by("pk").values_list("pk", "email").iterator():
        key = unicodedata.normalize("NFKC", (email or "").strip()).casefold() or None
        if key is not None and key in taken:
            print(f"\n  accounts.User {pk}: its address is a look-alike of an older account's; no email login for it")
            key = None
        if key is not None:
            taken.add(key)
        user_model.objects.filter(pk=pk).update(email_key=key)


def group_ends_fill(apps: Any, schema_editor: Any) -> None:
    """Copy each group's paid-up date from its billing periods (billing keeps it from now on)."""
    group_model = apps.get_model("accounts", "Group")
    subscription_model = apps.get_model("billing", "Subscription")
    ends = (
        subscription_model.objects.filter(customer__group__isnull=False)
        .values("customer__group_id")
        .annotate(end=Max("ends_at"))
    )
    for row in ends:
        group_model.objects.filter(pk=row["customer__group_id"]).update(access_ends_at=row["end"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_staff_roles_and_access_audit"),
        ("billing", "0003_customer_group"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_key",
            field=models.CharField(
                editable=False, max_length=320, null=True, verbose_name="forme normalisée de l'adresse"
            ),
        ),
        migrations.RunPython(email_keys_fill, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="user",
            name="email_key",
            field=models.CharField(
                editable=False, max_length=320, null=True, unique=True, verbose_name="forme normalisée de l'adresse"
            ),
        ),
        migrations.AddField(
            model_name="group",
            name="access_ends_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="fin de validité du groupe"),
        ),
        migrations.RunPython(group_ends_fill, migrations.RunPython.noop, elidable=True),
    ]
