"""The demo form, built from a demo's parameter schema (the zoo's Param list) so new demos need no code."""

from django import forms
from django.core.validators import RegexValidator

from generation.models import Demo

_FIELD_CLASSES = {"int": forms.IntegerField, "float": forms.FloatField, "str": forms.CharField}


def demo_form_class(demo: Demo) -> type[forms.Form]:
    """A Form class whose fields mirror the demo's parameters (types, ranges, choices, defaults, help)."""
    fields = {}
    for param in demo.params_schema:
        options = {"required": False, "initial": param["default"], "help_text": param.get("help", "")}
        options["label"] = param["name"].replace("_", " ").capitalize()
        if param["kind"] == "choice":
            choices = [(str(c), str(c)) for c in param.get("choices", [])]
            fields[param["name"]] = forms.ChoiceField(choices=choices, **options)
            continue
        field_class = _FIELD_CLASSES.get(param["kind"], forms.CharField)
        if param["kind"] in ("int", "float"):
            if param.get("minimum") is not None:
                options["min_value"] = param["minimum"]
            if param.get("maximum") is not None:
                options["max_value"] = param["maximum"]
        if param.get("pattern"):
            message = param.get("pattern_error") or f"Must match {param['pattern']}."
            options["validators"] = [RegexValidator(rf"\A(?:{param['pattern']})\Z", message)]
        field = field_class(**options)
        if param["kind"] == "float":
            field.widget.attrs["step"] = "any"
        if param.get("pattern"):
            field.widget.attrs["pattern"] = param["pattern"]  # the browser checks it before sending
            field.widget.attrs["title"] = param.get("pattern_error") or param.get("help", "")
        fields[param["name"]] = field
    return type(f"{demo.slug.title().replace('-', '')}Form", (forms.Form,), fields)


def demo_form(demo: Demo, data=None, initial=None) -> forms.Form:
    """A bound (data) or unbound (initial values) form for a demo, with ids unique on a page of demos."""
    return demo_form_class(demo)(data=data, initial=initial, prefix=None, auto_id=f"id_{demo.slug}_%s")


def typed_params(demo: Demo, form: forms.Form) -> dict:
    """The valid form's values, typed, blanks left out so that the zoo fills its defaults (and validates)."""
    params = {}
    for param in demo.params_schema:
        value = form.cleaned_data.get(param["name"])
        if value is None or value == "":
            continue
        if param["kind"] == "choice":
            value = next((c for c in param.get("choices", []) if str(c) == value), value)
        params[param["name"]] = value
    return params
