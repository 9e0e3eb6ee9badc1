"""A stored, generated tsvector column for paper search, with its GIN index, on PostgreSQL only.

Ranking needs each match's vector: computing it from title and abstract per row made a common word cost a
second on 5,000 papers, so PostgreSQL now keeps it (GENERATED ALWAYS ... STORED, updated with the row).
The column is not a model field (SQLite has no such thing; Django never writes it), so no model state
changes and ``makemigrations --check`` stays clean. The expression index of 0002 gives way to the column's.
"""

from django.db import migrations

VECTOR = (
    "setweight(to_tsvector('english'::regconfig, COALESCE(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, COALESCE(abstract, '')), 'B')"
)
FORWARD = [
    f"ALTER TABLE papers_paper ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({VECTOR}) STORED",
    "CREATE INDEX paper_search_vector_gin ON papers_paper USING gin (search_vector)",
    "DROP INDEX IF EXISTS paper_search_gin",
]
BACKWARD = [
    f"CREATE INDEX IF NOT EXISTS paper_search_gin ON papers_paper USING gin (({VECTOR}))",
    "DROP INDEX IF EXISTS paper_search_vector_gin",
    "ALTER TABLE papers_paper DROP COLUMN IF EXISTS search_vector",
]


class PostgresSQL(migrations.RunSQL):
    """RunSQL that runs on PostgreSQL only."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("papers", "0002_search_indexes")]

    operations = [PostgresSQL(sql=FORWARD, reverse_sql=BACKWARD)]
