from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PagesConfig(AppConfig):
    name = "pages"
    verbose_name = "Pages and their cache"

    def ready(self):
        from pages import cache

        # After every migrate, whichever app it migrated: a new content table gets its trigger at once.
        post_migrate.connect(cache.install_triggers, sender=self, dispatch_uid="pages.install_triggers")
