from django.contrib import admin

from generation.models import Demo, GenerationJob, Sample


@admin.register(Demo)
class DemoAdmin(admin.ModelAdmin):
    list_display = ["slug", "family_slug", "model_name", "is_active", "synced_at"]
    list_filter = ["family_slug", "is_active"]
    search_fields = ["slug", "title"]


class SampleInline(admin.TabularInline):
    model = Sample
    extra = 0
    fields = ["name", "role", "content_type", "file", "size"]
    readonly_fields = fields


@admin.register(GenerationJob)
class GenerationJobAdmin(admin.ModelAdmin):
    list_display = ["id", "demo", "status", "attempts", "worker", "device", "created_at", "finished_at"]
    list_filter = ["status", "demo", "queue", "device"]
    search_fields = ["id", "client", "worker"]
    readonly_fields = ["cache_key", "timings", "created_at", "started_at", "finished_at", "heartbeat_at"]
    inlines = [SampleInline]


@admin.register(Sample)
class SampleAdmin(admin.ModelAdmin):
    list_display = ["id", "job", "name", "role", "content_type", "size", "created_at"]
    list_filter = ["role", "kind"]
