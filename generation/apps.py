from django.apps import AppConfig


class GenerationConfig(AppConfig):
    name = "generation"
    verbose_name = "Live generation"

    def ready(self) -> None:
        # The catalog must not import generation; when it announces a load, sync the demos so that their
        # family links exist (`manage.py sync_demos` does the same by hand).
        from catalog.signals import catalog_loaded

        catalog_loaded.connect(_sync_after_catalog_load, dispatch_uid="generation-sync-demos")


def _sync_after_catalog_load(sender, **kwargs) -> None:
    """Runs inside the catalog's transaction; demos_sync is a savepoint of its own, so a zoo that cannot be
    read (a missing checkpoint, a broken family file) is logged and never undoes the catalog's load."""
    import logging

    from generation.services import demos_sync

    try:
        report = demos_sync()
    except Exception:
        logging.getLogger(__name__).exception("demos not synced after the catalog load; run sync_demos")
        return
    logging.getLogger(__name__).info(
        "demos synced: %d created, %d updated", len(report.created), len(report.updated)
    )
