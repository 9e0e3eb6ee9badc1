"""Venue names read before imports turned LaTeX dashes into Unicode ("May 7--9") kept them, and the next load
then made a second venue ("May 7–9", slug "...-2"). Give each old venue its Unicode name and its papers back, and
drop the duplicate, so that venue slugs stay what earlier releases published."""

from django.db import migrations


def forwards(apps, schema_editor):
    Venue = apps.get_model("papers", "Venue")
    Paper = apps.get_model("papers", "Paper")
    for old in Venue.objects.filter(name__contains="--"):
        name = old.name.replace("---", "\u2014").replace("--", "\u2013")
        for twin in Venue.objects.filter(name=name).exclude(pk=old.pk):
            Paper.objects.filter(venue=twin).update(venue=old)
            twin.delete()
        old.name = name
        old.save(update_fields=["name"])


class Migration(migrations.Migration):
    dependencies = [("papers", "0005_author_variants")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
