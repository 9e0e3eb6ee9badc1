"""Input no part of the site can store or walk safely, refused with a 400 before it reaches a view.

* NUL characters: PostgreSQL cannot hold them in text, so a query parameter, a form field or a JSON string
  with one used to reach the database and fail there (a 500). The middleware checks the path, the query and
  form fields; the JSON parser checks every key and string of a body.
* Deeply nested JSON: Python's parser recurses, and so does everything that walks the result; a 10 KB body
  of nested brackets raised RecursionError (a 500) on every JSON endpoint. Bodies nested deeper than
  MAX_JSON_DEPTH are refused.
"""

from django.http import HttpResponseBadRequest, JsonResponse
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# No request of this site nests deeper than a handful of levels (a job's parameters, a paper's authors).
MAX_JSON_DEPTH = 32
NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _first_nul(items) -> str | None:
    """The name of the first (key, value) pair of a QueryDict holding a NUL, or None."""
    for key, values in items:
        if NUL in key or any(NUL in value for value in values):
            return key.replace(NUL, "\\0")
    return None


class RejectNulMiddleware:
    """400 for a NUL character in the path, a query parameter or a form field, naming where it was."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        where = None
        if NUL in request.path:
            where = "the path"
        elif (name := _first_nul(request.GET.lists())) is not None:
            where = f"the query parameter '{name}'"
        elif (
            request.method == "POST"
            and request.content_type in FORM_TYPES
            and (name := _first_nul(request.POST.lists())) is not None
        ):
            where = f"the form field '{name}'"
        if where is None:
            return self.get_response(request)
        message = f"{where[0].upper()}{where[1:]} contains a NUL character, which no field accepts."
        if request.path.startswith("/api/"):
            from config.api import error_body

            return JsonResponse(error_body(status_code=400, detail=message), status=400)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


def _check_tree(data) -> None:
    """Walk the parsed body without recursion: refuse it if it nests too deep or holds a NUL."""
    stack = [(data, 1, "")]
    while stack:
        value, depth, path = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels (at '{path}').")
        if isinstance(value, str):
            if NUL in value:
                raise ParseError(f"NUL character in the string at '{path or '(body)'}'.")
        elif isinstance(value, dict):
            for key, sub in value.items():
                if NUL in key:
                    raise ParseError(f"NUL character in a key at '{path or '(body)'}'.")
                stack.append((sub, depth + 1, f"{path}.{key}" if path else key))
        elif isinstance(value, list):
            stack.extend((sub, depth + 1, f"{path}.{i}" if path else str(i)) for i, sub in enumerate(value))


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing too deep nesting and NUL characters with a 400 that says where."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.") from error
        _check_tree(data)
        return data
