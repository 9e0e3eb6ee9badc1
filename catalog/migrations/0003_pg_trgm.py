"""pg_trgm on PostgreSQL, for the search page's "did you mean" (trigram similarity). Nothing on SQLite."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_timestamps")]

    operations = [TrigramExtension()]
