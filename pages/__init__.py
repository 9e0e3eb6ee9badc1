"""Pages shared by every app: a page or its htmx partial, per-visitor fragments of a cached page, and the
content-version cache with the triggers that keep it fresh. It belongs to no content app and imports none."""
