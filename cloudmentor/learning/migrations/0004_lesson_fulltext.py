"""Full-text index of the lessons (LX-3): one row per lesson's published revision.

SQLite: the FTS5 table ``learning_lesson_fts`` (rowid = the revision's id), tokenized without
accents. PostgreSQL: the table ``learning_lesson_search`` with one GIN index per language
configuration (French for every course not in English, English), on the expression
``cloudmentor.learning.search.pg_vector`` builds (copied here: a migration never changes).

No trigger: the table is written by ``search.lesson_index`` when a lesson is published
(revisions never change), so a later migration that rebuilds a lesson table drops nothing.
"""

from django.db import migrations
from django.db.models import F

ACCENTED = "àáâäãåçèéêëìíîïñòóôöõùúûüýÿÀÁÂÄÃÅÇÈÉÊËÌÍÎÏÑÒÓÔÖÕÙÚÛÜÝŸ"
PLAIN = "aaaaaaceeeeiiiinooooouuuuyyAAAAAACEEEEIIIINOOOOOUUUUYY"


def _vector(config: str) -> str:
    def both(column: str) -> str:
        text = f"translate({column}, '{ACCENTED}', '{PLAIN}')"
        return f"(to_tsvector('{config}'::regconfig, {text}) || to_tsvector('simple'::regconfig, {text}))"

    return f"setweight({both('title')}, 'A') || setweight({both('body')}, 'B')"


SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS learning_lesson_fts USING fts5("
    "title, body, tokenize='unicode61 remove_diacritics 2')"
]
POSTGRESQL = [
    """CREATE TABLE IF NOT EXISTS learning_lesson_search (
        revision_id integer PRIMARY KEY,
        language varchar(8) NOT NULL,
        title text NOT NULL,
        body text NOT NULL
    )""",
    f"CREATE INDEX IF NOT EXISTS learning_lesson_search_fr ON learning_lesson_search "
    f"USING gin (({_vector('french')})) WHERE language <> 'en'",
    f"CREATE INDEX IF NOT EXISTS learning_lesson_search_en ON learning_lesson_search "
    f"USING gin (({_vector('english')})) WHERE language = 'en'",
]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in POSTGRESQL if vendor == "postgresql" else SQLITE if vendor == "sqlite" else []:
        schema_editor.execute(statement)
    # The lessons published before this migration.
    LessonRevision = apps.get_model("learning", "LessonRevision")
    from cloudmentor.learning.search import lesson_text

    revisions = LessonRevision.objects.filter(lesson__revision_id=F("pk")).values_list(
        "pk", "title", "body", "lesson__course__language"
    )
    with schema_editor.connection.cursor() as cursor:
        for pk, title, body, language in revisions.iterator(chunk_size=500):
            if vendor == "postgresql":
                cursor.execute(
                    "INSERT INTO learning_lesson_search (revision_id, language, title, body) VALUES (%s, %s, %s, %s)",
                    [pk, language, lesson_text(title), lesson_text(body)],
                )
            else:
                cursor.execute(
                    "INSERT INTO learning_lesson_fts (rowid, title, body) VALUES (%s, %s, %s)",
                    [pk, lesson_text(title), lesson_text(body)],
                )


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP TABLE IF EXISTS learning_lesson_search")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS learning_lesson_fts")


class Migration(migrations.Migration):
    dependencies = [("learning", "0003_exams_and_badges")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
