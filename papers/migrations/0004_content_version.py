"""A content version for the explorer's page cache (papers/page_cache.py), on PostgreSQL only.

One row, bumped by statement-level triggers on every table the explorer's pages read (papers and catalog),
in the writing transaction: bulk writes, admin edits, imports and raw SQL all change it, and readers see the
new version exactly when they see the new data. Cached fragments are keyed by it, so none is ever stale.
"""

from django.db import migrations

TABLES = [
    "papers_venue",
    "papers_author",
    "papers_paper",
    "papers_authorship",
    "papers_paperlink",
    "papers_erratum",
    "catalog_taxonomynode",
    "catalog_concept",
    "catalog_concept_papers",
    "catalog_domain",
    "catalog_family",
    "catalog_family_concepts",
    "catalog_familydomain",
    "catalog_familypaper",
    "catalog_examplemodel",
    "catalog_examplemodel_families",
    "catalog_examplemodel_domains",
]
FORWARD = [
    "CREATE TABLE atlas_content_version (n bigint NOT NULL)",
    "INSERT INTO atlas_content_version (n) VALUES (1)",
    """CREATE FUNCTION atlas_bump_content_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE atlas_content_version SET n = n + 1;
        RETURN NULL;
    END $$""",
    *(
        f"CREATE TRIGGER atlas_content_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION atlas_bump_content_version()"
        for table in TABLES
    ),
]
BACKWARD = [
    *(f"DROP TRIGGER IF EXISTS atlas_content_version ON {table}" for table in TABLES),
    "DROP FUNCTION IF EXISTS atlas_bump_content_version()",
    "DROP TABLE IF EXISTS atlas_content_version",
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
    # The catalog's tables must exist: this migration sits after the catalog's current last one.
    dependencies = [("papers", "0003_search_vector_column"), ("catalog", "0002_timestamps")]

    operations = [PostgresSQL(sql=FORWARD, reverse_sql=BACKWARD)]
