"""Full-text index of the catalog on SQLite: an FTS5 table kept in sync by triggers (LM-1).

PostgreSQL needs nothing here (search.py builds the document in the query). Note for later
migrations: SQLite rebuilds a table to alter it, which drops its triggers; a migration
that alters ``learning_course`` must create these triggers again (``TRIGGERS`` below).
"""

from django.db import migrations

COLUMNS = "title, title_en, summary, summary_en, search_document"
NEW = "new.title, new.title_en, new.summary, new.summary_en, new.search_document"
OLD = "old.title, old.title_en, old.summary, old.summary_en, old.search_document"

TABLE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS learning_course_fts USING fts5({COLUMNS}, "
    "content='learning_course', content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
)
TRIGGERS = [
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
DROP = [
    "DROP TRIGGER IF EXISTS learning_course_fts_insert",
    "DROP TRIGGER IF EXISTS learning_course_fts_delete",
    "DROP TRIGGER IF EXISTS learning_course_fts_update",
    "DROP TABLE IF EXISTS learning_course_fts",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in [TABLE, *TRIGGERS, REBUILD]:
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in DROP:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("learning", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
