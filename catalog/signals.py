"""Signals the catalog sends, so that other apps can follow it without the catalog importing them."""

from django.dispatch import Signal

# Sent by catalog_load inside its transaction, after the records are written. The generation app listens
# and syncs its demos (whose family links need the families to exist).
catalog_loaded = Signal()
