from django.conf import settings
from django.db import migrations
from django.utils import timezone


def seed(apps, schema_editor):
    """Publish version 1 of each policy (French and English) so a new site is never without them."""
    from cloudmentor.legal.services import _read_seed

    PolicyDocument = apps.get_model("legal", "PolicyDocument")
    now = timezone.now()
    for kind in ("cookies", "privacy", "terms"):
        for language, _name in settings.LANGUAGES:
            if PolicyDocument.objects.filter(kind=kind, language=language).exists():
                continue
            title, body = _read_seed(kind, language)
            PolicyDocument.objects.create(kind=kind, version=1, language=language, title=title, body=body, published_at=now)


class Migration(migrations.Migration):
    dependencies = [("legal", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
