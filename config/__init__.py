"""The Django project: settings, URLs, the Celery app, WSGI and ASGI entry points."""

# The Celery app is loaded with Django so that tasks sent from the web process use its configuration.
from config.celery import app as celery_app

__all__ = ("celery_app",)
