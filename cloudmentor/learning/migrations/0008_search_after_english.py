"""Search after migration 0007 (LX-3, LX-5).

SQLite rebuilt ``learning_course`` to add its English columns, which dropped the triggers
that keep ``learning_course_fts`` current (migration 0002): they are created again and the
course index rebuilt. The lessons' index is rewritten with their English title and text.

A later migration that alters ``learning_course`` on SQLite must do the same (the test
``test_lx3_the_course_index_triggers_exist_after_every_migration`` fails otherwise).
"""

from django.db import migrations
from django.db.models import F

COLUMNS = "title, title_en, summary, summary_en, search_document"
NEW = "new.title, new.title_en, new.summary, new.summary_en, new.search_document"
OLD = "old.title, old.title_en, old.summary, old.summary_en, old.search_document"
COURSE_TRIGGERS = [
    f"""CREATE TRIGGER IF NOT EXISTS learning_course_fts_insert AFTER INSERT ON learning_course BEGIN
        INSERT INTO learning_course_fts(rowid, {COLUMNS}) VALUES (new.id, {NEW});
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS learning_course_fts_delete AFTER DELETE ON learning_course BEGIN
        INSERT INTO learning_course_fts(learning_course_fts, rowid, {COLUMNS}) VALUES ('delete', old.id, {OLD});
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS learning_course_fts_update AFTER UPDATE ON learning_course BEGIN
        INSERT INTO learning_course_fts(learning_course_fts, rowid, {COLUMNS}) VALUES ('delete', old.id, {OLD});
        INSERT INTO learning_course_fts(rowid, {COLUMNS}) VALUES (new.id, {NEW});
    END""",
]
REBUILD = "INSERT INTO learning_course_fts(learning_course_fts) VALUES ('rebuild')"


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for statement in [*COURSE_TRIGGERS, REBUILD]:
            schema_editor.execute(statement)
    if vendor not in ("sqlite", "postgresql"):
        return
    from cloudmentor.learning.search import lesson_text

    LessonRevision = apps.get_model("learning", "LessonRevision")
    revisions = LessonRevision.objects.filter(lesson__revision_id=F("pk")).values_list(
        "pk", "title", "title_en", "body", "body_en", "lesson__course__language"
    )
    with schema_editor.connection.cursor() as cursor:
        for pk, title, title_en, body, body_en, language in revisions.iterator(chunk_size=500):
            title, body = f"{title} {title_en}".strip(), f"{lesson_text(body)} {lesson_text(body_en)}".strip()
            if vendor == "postgresql":
                cursor.execute("DELETE FROM learning_lesson_search WHERE revision_id = %s", [pk])
                cursor.execute(
                    "INSERT INTO learning_lesson_search (revision_id, language, title, body) VALUES (%s, %s, %s, %s)",
                    [pk, language, title, body],
                )
            else:
                cursor.execute("DELETE FROM learning_lesson_fts WHERE rowid = %s", [pk])
                cursor.execute(
                    "INSERT INTO learning_lesson_fts (rowid, title, body) VALUES (%s, %s, %s)", [pk, title, body]
                )


class Migration(migrations.Migration):
    dependencies = [("learning", "0007_lesson_english")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop, elidable=False)]
