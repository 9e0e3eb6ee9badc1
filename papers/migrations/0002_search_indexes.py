"""GIN expression indexes for full-text search (papers/search.py), on PostgreSQL only.

The indexed expressions are the ones papers/search.py queries with (written out here, so that this migration
does not change when that module does); the planner only uses an expression index for the same expression.
0003 replaces the paper index with a stored vector column. The operation changes no model state (the
indexes are not in the models' Meta: SQLite has no such index), which keeps ``makemigrations --check`` clean
on every database.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

PAPER_VECTOR = SearchVector("title", weight="A", config="english") + SearchVector(
    "abstract", weight="B", config="english"
)
AUTHOR_VECTOR = SearchVector("given", "von", "family", config="simple")


class AddPostgresIndex(migrations.AddIndex):
    """AddIndex that runs on PostgreSQL only and leaves the migration state alone."""

    reduces_to_sql = False

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            model = to_state.apps.get_model(app_label, self.model_name)
            schema_editor.add_index(model, self.index)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            model = from_state.apps.get_model(app_label, self.model_name)
            schema_editor.remove_index(model, self.index)

    def describe(self):
        return f"Create PostgreSQL index {self.index.name} on {self.model_name} (skipped elsewhere)"


class Migration(migrations.Migration):
    dependencies = [("papers", "0001_initial")]

    operations = [
        AddPostgresIndex(model_name="paper", index=GinIndex(PAPER_VECTOR, name="paper_search_gin")),
        AddPostgresIndex(model_name="author", index=GinIndex(AUTHOR_VECTOR, name="author_search_gin")),
    ]
