"""Nothing to do: the content version's table, function and triggers are installed by pages/cache.py after
every migrate, on every content table, so that no list of tables has to be kept by hand. Databases migrated
before that keep what this migration once created; the same names are replaced in place."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("papers", "0003_search_vector_column"), ("catalog", "0002_timestamps")]

    operations = []
