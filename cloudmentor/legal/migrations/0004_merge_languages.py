from django.conf import settings
from django.db import migrations


def merge_languages(apps, schema_editor):
    """Make one row per version holding both languages; number versions per kind; record acceptances.

    Versions published before this migration are not announced again: no member email.
    """
    PolicyDocument = apps.get_model("legal", "PolicyDocument")
    PolicySequence = apps.get_model("legal", "PolicySequence")
    PolicyAcceptance = apps.get_model("legal", "PolicyAcceptance")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    groups = {}
    for row in PolicyDocument.objects.order_by("kind", "version", "pk"):
        groups.setdefault((row.kind, row.version), []).append(row)
    for (kind, _version), rows in groups.items():
        keep = next((row for row in rows if row.language == "fr"), rows[0])
        for row in rows:
            if row.language == "en":
                keep.body_en = row.body
            else:
                keep.body_fr = keep.body_fr or row.body
        if keep.published_at is None:
            keep.version = None
        else:
            keep.notified_at = keep.published_at
        keep.save()
        PolicyDocument.objects.filter(pk__in=[row.pk for row in rows if row.pk != keep.pk]).delete()
    for kind in ("cookies", "privacy", "terms"):
        last = PolicyDocument.objects.filter(kind=kind).exclude(version=None).order_by("-version").first()
        PolicySequence.objects.update_or_create(kind=kind, defaults={"last_version": last.version if last else 0})
    PolicyAcceptance.objects.bulk_create(
        [
            PolicyAcceptance(
                user_id=user.pk,
                kind="terms",
                version=user.terms_version,
                accepted_at=user.terms_accepted_at or user.date_joined,
                source="registration",
            )
            for user in User.objects.exclude(terms_version=None).only(
                "pk", "terms_version", "terms_accepted_at", "date_joined"
            )
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("legal", "0003_policy_versions")]
    operations = [migrations.RunPython(merge_languages, migrations.RunPython.noop)]
