"""``{% load showcase %}{% showcase_image family %}``: a family's committed showcase grid, for pages the
catalog renders (the home page's cards) without the catalog importing generation. Server-rendered, so it
shows without JavaScript; htmx may then swap in the latest live samples beside it."""

from django import template
from django.templatetags.static import static
from django.utils.html import format_html

from generation.showcase import showcase_for

register = template.Library()


@register.simple_tag
def showcase_image(family) -> str:
    found = showcase_for(family.slug)
    if found is None:
        return ""
    return format_html(
        '<img src="{}" alt="Sixteen samples from the {} model of the zoo ({})" width="96" height="96" '
        'class="pixelated showcase-thumb" loading="lazy">',
        static(found.static_path),
        found.model,
        family.short_name,
    )
