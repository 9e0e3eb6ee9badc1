from django.apps import AppConfig


class BenchmarksConfig(AppConfig):
    name = "benchmarks"
    verbose_name = "Benchmarks and leaderboards"

    def ready(self) -> None:
        # The catalog does not import this app; when it announces a load, load the boards in the same
        # transaction, so that a bad board file undoes the whole load like any other content file.
        from benchmarks.services import load_after_catalog
        from catalog.signals import catalog_loaded

        catalog_loaded.connect(load_after_catalog, dispatch_uid="benchmarks-load")
