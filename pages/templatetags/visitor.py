"""``{% visitor "name" arg=value %}``: a per-visitor slot in a cached template (pages/fragments.py)."""

from django import template

from pages import fragments

register = template.Library()


@register.simple_tag
def visitor(name: str, **args) -> str:
    return fragments.slot(name, **args)
