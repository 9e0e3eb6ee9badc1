"""The demo form, built from a demo's parameters (``selectors.demo_params``) so new demos need no code.

The form does not check values itself: its ``clean`` calls the one validator (``generation.zoo.params``), so
a page and the API refuse a value with the same words. The widgets carry the ranges and patterns for the
browser's own checks.
"""

from django import forms

from generation.models import Demo
from generation.selectors import demo_params
from generation.zoo.params import Param, ParamError, validate


def _widget(param: Param) -> forms.Widget:
    if param.kind == "choice":
        return forms.Select(choices=[(str(choice), str(choice)) for choice in param.choices])
    if param.kind in ("int", "float"):
        attrs = {"step": "1" if param.kind == "int" else "any"}
        attrs.update({k: v for k, v in (("min", param.minimum), ("max", param.maximum)) if v is not None})
        return forms.NumberInput(attrs=attrs)
    attrs = {k: v for k, v in (("minlength", param.minimum), ("maxlength", param.maximum)) if v is not None}
    if param.pattern:
        attrs["pattern"] = param.pattern  # the browser checks it before sending
        attrs["title"] = param.pattern_error or param.help
    return forms.TextInput(attrs=attrs)


class DemoForm(forms.Form):
    """One text field per parameter; ``params`` holds the typed, validated values once the form is valid."""

    def __init__(self, demo: Demo, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.demo = demo
        self.schema = demo_params(demo=demo)
        self.params: dict = {}
        for param in self.schema:
            self.fields[param.name] = forms.CharField(
                required=False,
                initial=param.default,
                label=param.name.replace("_", " ").capitalize(),
                help_text=param.help,
                widget=_widget(param),
            )

    def clean(self):
        # Blanks are left out so that the defaults fill them.
        raw = {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
        try:
            self.params = validate(self.schema, raw, owner=self.demo.slug)
        except ParamError as error:
            for name, message in error.errors.items():
                self.add_error(name if name in self.fields else None, message)
        return self.cleaned_data


def demo_form(demo: Demo, data=None, initial=None) -> DemoForm:
    """A bound (data) or unbound (initial values) form for a demo, with ids unique on a page of demos."""
    return DemoForm(demo, data=data, initial=initial, prefix=None, auto_id=f"id_{demo.slug}_%s")


def typed_params(demo: Demo, form: DemoForm) -> dict:
    """The valid form's values, typed and with defaults filled."""
    return dict(form.params)
