"""The filters of the benchmark pages, parsed from the query string. An invalid value is a 400 that says
which field and why, never a silently ignored filter."""

from __future__ import annotations

from django import forms

from benchmarks.models import Benchmark, Dataset, Metric, Result
from benchmarks.selectors import BoardFilters
from catalog.models import Family

# Django's message repeats the value; a NUL byte or a long string has no business in the page.
NOT_A_CHOICE = {"invalid_choice": "Select a valid choice; this one is not in the list."}


def _family_choices() -> list[tuple[str, str]]:
    return [("", "Any family"), *Family.objects.values_list("slug", "name")]


class BoardFilterForm(forms.Form):
    family = forms.ChoiceField(required=False, label="Family", error_messages=NOT_A_CHOICE)
    year_from = forms.IntegerField(required=False, min_value=1900, max_value=2100, label="From year")
    year_to = forms.IntegerField(required=False, min_value=1900, max_value=2100, label="To year")
    kind = forms.ChoiceField(
        required=False,
        choices=[("", "Published and measured"), *Result.Kind.choices],
        label="Source",
        error_messages=NOT_A_CHOICE,
    )
    no_extra_data = forms.BooleanField(required=False, label="Without extra training data")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["family"].choices = _family_choices()

    def clean(self):
        data = super().clean()
        low, high = data.get("year_from"), data.get("year_to")
        if low is not None and high is not None and low > high:
            raise forms.ValidationError("'From year' is after 'to year'.")
        return data

    def filters(self) -> BoardFilters:
        data = self.cleaned_data
        return BoardFilters(
            family=data["family"],
            year_from=data["year_from"],
            year_to=data["year_to"],
            kind=data["kind"],
            no_extra_data=data["no_extra_data"],
        )


class IndexFilterForm(forms.Form):
    dataset = forms.ChoiceField(required=False, label="Dataset", error_messages=NOT_A_CHOICE)
    metric = forms.ChoiceField(required=False, label="Metric", error_messages=NOT_A_CHOICE)
    conditioning = forms.ChoiceField(
        required=False,
        choices=[("", "Any conditioning"), *Benchmark.Conditioning.choices],
        label="Conditioning",
        error_messages=NOT_A_CHOICE,
    )
    family = forms.ChoiceField(required=False, label="Family", error_messages=NOT_A_CHOICE)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dataset"].choices = [("", "Any dataset"), *Dataset.objects.values_list("slug", "name")]
        self.fields["metric"].choices = [("", "Any metric"), *Metric.objects.values_list("slug", "name")]
        self.fields["family"].choices = _family_choices()


def form_errors(form: forms.Form) -> str:
    """One line naming each bad field and what was wrong."""
    parts = []
    for name, errors in form.errors.items():
        label = "Filters" if name == "__all__" else form.fields[name].label
        parts.append(f"{label}: {' '.join(errors)}")
    return "; ".join(parts)
