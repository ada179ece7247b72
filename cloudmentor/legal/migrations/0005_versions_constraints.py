from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("legal", "0004_merge_languages")]

    operations = [
        migrations.RemoveField(
            model_name="policydocument",
            name="body",
        ),
        migrations.RemoveField(
            model_name="policydocument",
            name="language",
        ),
        migrations.RemoveField(
            model_name="policydocument",
            name="title",
        ),
        migrations.AddIndex(
            model_name="policydocument",
            index=models.Index(fields=["published_at"], name="legal_policy_published_idx"),
        ),
        migrations.AddConstraint(
            model_name="policydocument",
            constraint=models.UniqueConstraint(fields=("kind", "version"), name="legal_policy_kind_version_unique"),
        ),
        migrations.AddConstraint(
            model_name="policydocument",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("published_at__isnull", True), ("version__isnull", True)),
                    models.Q(("published_at__isnull", False), ("version__isnull", False)),
                    _connector="OR",
                ),
                name="legal_policy_published_has_version",
            ),
        ),
        migrations.AddConstraint(
            model_name="policyacceptance",
            constraint=models.UniqueConstraint(fields=("user", "kind", "version"), name="legal_acceptance_unique"),
        ),
        migrations.AddConstraint(
            model_name="policynotice",
            constraint=models.UniqueConstraint(fields=("document", "user"), name="legal_notice_once_per_member"),
        ),
    ]
