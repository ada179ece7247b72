"""PostgreSQL: the lessons' search document stored, not recomputed (LX-3).

Ranking (`ts_rank`) needs each match's tsvector; on an expression index PostgreSQL computes it
again from the text for every match, 30 to 100 µs a lesson: too slow for a word in a thousand
lessons. ``document`` is a stored generated column — the lesson's stems under its language's
configuration (french, or english for English courses) and its whole words under `simple`,
title weighted A, text B, accents removed by `translate()` — with one partial GIN index per
language configuration. SQLite: nothing (FTS5 keeps its own index).
"""

from django.db import migrations

ACCENTED = "àáâäãåçèéêëìíîïñòóôöõùúûüýÿÀÁÂÄÃÅÇÈÉÊËÌÍÎÏÑÒÓÔÖÕÙÚÛÜÝŸ"
PLAIN = "aaaaaaceeeeiiiinooooouuuuyyAAAAAACEEEEIIIINOOOOOUUUUYY"


def _vector(config: str) -> str:
    def both(column: str) -> str:
        text = f"translate({column}, '{ACCENTED}', '{PLAIN}')"
        return f"(to_tsvector('{config}'::regconfig, {text}) || to_tsvector('simple'::regconfig, {text}))"

    return f"setweight({both('title')}, 'A') || setweight({both('body')}, 'B')"


POSTGRESQL = [
    "DROP INDEX IF EXISTS learning_lesson_search_fr",
    "DROP INDEX IF EXISTS learning_lesson_search_en",
    "ALTER TABLE learning_lesson_search ADD COLUMN document tsvector GENERATED ALWAYS AS "
    f"(CASE WHEN language = 'en' THEN {_vector('english')} ELSE {_vector('french')} END) STORED",
    "CREATE INDEX learning_lesson_search_fr ON learning_lesson_search USING gin (document) WHERE language <> 'en'",
    "CREATE INDEX learning_lesson_search_en ON learning_lesson_search USING gin (document) WHERE language = 'en'",
]
BACK = [
    "DROP INDEX IF EXISTS learning_lesson_search_fr",
    "DROP INDEX IF EXISTS learning_lesson_search_en",
    "ALTER TABLE learning_lesson_search DROP COLUMN IF EXISTS document",
    f"CREATE INDEX learning_lesson_search_fr ON learning_lesson_search USING gin (({_vector('french')})) "
    "WHERE language <> 'en'",
    f"CREATE INDEX learning_lesson_search_en ON learning_lesson_search USING gin (({_vector('english')})) "
    "WHERE language = 'en'",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRESQL:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACK:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("learning", "0008_search_after_english")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
