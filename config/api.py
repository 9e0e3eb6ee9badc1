"""The REST API's shared plumbing: one JSON error shape, pagination, permissions, throttles, conditional GET.

The apps' endpoints live in ``papers/api.py`` and ``catalog/api.py``; ``config/api_urls.py`` mounts them.
"""

import functools

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db.models import ProtectedError
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.cache import set_response_etag
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import conditional_page
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

from config.api_policy import IsStaffOrReadOnly
from pages import cache as page_cache

ERROR_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    409: "conflict",
    415: "unsupported_media_type",
    429: "throttled",
}


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is larger than the server accepts."
    default_code = "too_large"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The record is still in use."
    default_code = "conflict"


def _field_errors(detail) -> dict:
    """Flatten DRF's nested validation detail into ``{"field": ["message", ...]}`` (nested: ``a.0.b``)."""
    out: dict[str, list[str]] = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), sub)
        elif isinstance(value, list) and value and not all(isinstance(v, str) for v in value):
            for index, sub in enumerate(value):
                if sub:
                    walk(f"{prefix}.{index}" if prefix else str(index), sub)
        else:
            messages = value if isinstance(value, list) else [value]
            out.setdefault(prefix or api_settings.NON_FIELD_ERRORS_KEY, []).extend(str(m) for m in messages)

    walk("", detail)
    return out


def error_body(*, status_code: int, detail: str, code: str = "", fields: dict | None = None) -> dict:
    return {
        "status": status_code,
        "code": code or ERROR_CODES.get(status_code, "error"),
        "detail": detail,
        "fields": fields or {},
    }


def api_exception_handler(exc, context):
    """Every error as ``{"status", "code", "detail", "fields"}``, always rendered as JSON."""
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None  # a real server error: Django's 500 handling and logging take over
    if isinstance(exc, exceptions.ValidationError):
        body = error_body(
            status_code=response.status_code,
            detail="The request has invalid fields; see 'fields'.",
            fields=_field_errors(exc.detail),
        )
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(detail, "code", "") or ""
        if isinstance(detail, dict | list):
            body = error_body(
                status_code=response.status_code, detail="See 'fields'.", fields=_field_errors(detail)
            )
        else:
            body = error_body(status_code=response.status_code, detail=str(detail), code=code)
    response.data = body
    # An error for a client that asked for BibTeX or RIS is still JSON: citation renderers only know papers.
    request = context.get("request")
    if request is not None and not isinstance(getattr(request, "accepted_renderer", None), JSONRenderer):
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = "application/json"
    return response


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """Unknown paths under /api/ answer in the API's error shape, not Django's HTML page."""
    return JsonResponse(error_body(status_code=404, detail=f"No API endpoint at {request.path}."), status=404)


class ErrorSerializer(serializers.Serializer):
    """The one error shape (documented in the schema for every error status)."""

    status = serializers.IntegerField(help_text="The HTTP status, repeated.")
    code = serializers.CharField(help_text="Machine-readable: invalid, not_found, throttled ...")
    detail = serializers.CharField(help_text="Human-readable explanation.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Field name → messages (400 only; nested fields as 'authors.0.family').",
    )


class ConditionalGetMixin:
    """ETag (a hash of the rendered body) on every GET, and 304 for a matching If-None-Match.

    Last-Modified, where a view sets it, is honoured too (If-Modified-Since).
    """

    @method_decorator(conditional_page)
    def dispatch(self, request, *args, **kwargs):
        return super().dispatch(request, *args, **kwargs)


class _NotCached(Exception):
    """A read that answered something other than 200 OK: handed back, never stored."""

    def __init__(self, response):
        super().__init__()
        self.response = response


class ContentCachedReadsMixin:
    """List and detail GETs answered from the content-version cache (``pages/cache.py``).

    Only the handler's rendered answer is cached. Authentication, permissions, throttles and content
    negotiation run in ``initial()`` on every request, the ETag and 304 after the handler, and an error is
    raised out of the cache, never stored. The key is the absolute URL with its query (bodies hold absolute
    links, so scheme and host count) and the negotiated media type. For viewsets whose every row lives in a
    table that bumps the content version (papers and catalog) and whose bodies do not depend on the user:
    nothing in them does today; a per-user or staff-only field would have to leave this mixin out.
    """

    cached_actions = ("list", "retrieve")

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        method = request.method.lower()
        if method in ("get", "head") and self.action in self.cached_actions and hasattr(self, method):
            # DRF looks the handler up after initial(); the viewset set it per request, as we do here.
            setattr(self, method, functools.partial(self._cached_read, getattr(self, method)))

    def _cached_read(self, handler, request, *args, **kwargs):
        def build() -> dict:
            response = self.finalize_response(request, handler(request, *args, **kwargs), *args, **kwargs)
            if response.status_code != 200:
                raise _NotCached(response)
            response.render()
            set_response_etag(response)  # what conditional_page would compute, hashed once per version
            return {"content": response.content, "headers": list(response.items())}

        key = f"api:{request.accepted_media_type}:{request.build_absolute_uri()}"
        try:
            stored = page_cache.cached(key, build)
        except _NotCached as answer:
            return answer.response
        response = HttpResponse(stored["content"])
        for name, value in stored["headers"]:
            response[name] = value
        return response


class ApiAutoSchema(AutoSchema):
    """Adds the error responses every operation can give, in the one error shape."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        # 400 everywhere: any request may carry input no field accepts (a NUL byte, config/input_guard.py).
        statuses = ["400", "429", "406"]
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            statuses += ["401", "403"]
        if self._is_detail_path():
            statuses.append("404")
        if self.method == "GET" and not self._is_detail_path():
            statuses += ["404"]  # a page past the end
        for code in statuses:
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    ErrorSerializer, code, media_types=["application/json"]
                )
        return responses

    def get_auth(self):
        # Reads are open to everyone: say so (an empty requirement), as drf-spectacular does for AllowAny.
        auths = super().get_auth()
        permissions = self.view.get_permissions()
        reads_open = any(isinstance(p, IsStaffOrReadOnly) for p in permissions)
        if self.method in ("GET", "HEAD", "OPTIONS") and reads_open and {} not in auths:
            auths.append({})
        return auths

    def _is_detail_path(self) -> bool:
        return "{" in self.path

    def _writes(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH") and bool(
            getattr(self.view, "write_serializer_class", None)
        )

    def get_request_serializer(self):
        return self.view.write_serializer_class if self._writes() else super().get_request_serializer()

    def get_response_serializers(self):
        return self.view.serializer_class if self._writes() else super().get_response_serializers()

    def get_examples(self):
        examples = list(super().get_examples())
        read = getattr(self.view, "schema_example", None)
        write = getattr(self.view, "schema_write_example", None)
        if read is not None:
            examples.append(OpenApiExample("Example", value=read, response_only=True))
        if write is not None and self.method in ("POST", "PUT", "PATCH"):
            examples.append(OpenApiExample("Input", value=write, request_only=True))
        for code, detail, fields in ERROR_EXAMPLES:
            examples.append(
                OpenApiExample(
                    f"Error {code}",
                    value=error_body(status_code=code, detail=detail, fields=fields),
                    response_only=True,
                    status_codes=[str(code)],
                )
            )
        return examples


ERROR_EXAMPLES = [
    (
        400,
        "The request has invalid fields; see 'fields'.",
        {"year": ["Ensure this value is less than or equal to 2100."]},
    ),
    (401, "Authentication credentials were not provided.", None),
    (403, "You do not have permission to perform this action.", None),
    (404, "No Paper matches the given query.", None),
    (406, "Could not satisfy the request Accept header.", None),
    (429, "Request was throttled. Expected available in 42 seconds.", None),
]


class ApiModelViewSet(ConditionalGetMixin, viewsets.ModelViewSet):
    """Reads for everyone, writes for staff; lists, details and writes may each have their serializer.

    ``serializer_class`` is the detail representation, ``list_serializer_class`` the list row, and
    ``write_serializer_class`` the input of create/update, whose answer is the detail representation.
    """

    list_serializer_class = None
    write_serializer_class = None
    schema_example: dict | None = None  # one realistic object, shown in the OpenAPI documents
    schema_write_example: dict | None = None

    def get_serializer_class(self):
        if self.action == "list" and self.list_serializer_class is not None:
            return self.list_serializer_class
        if self.action in ("create", "update", "partial_update") and self.write_serializer_class:
            return self.write_serializer_class
        return self.serializer_class

    def _read_response(self, instance, status_code):
        instance = self.get_queryset().get(pk=instance.pk)  # re-read with the list's prefetches
        data = self.serializer_class(instance, context=self.get_serializer_context()).data
        return Response(data, status=status_code)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instance = self.perform_create(serializer)
        response = self._read_response(instance, status.HTTP_201_CREATED)
        if response.data.get("api_url"):
            response["Location"] = response.data["api_url"]
        return response

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return self._read_response(self.perform_update(serializer), status.HTTP_200_OK)

    # The write hooks return the record. A viewset whose writes live in a service overrides them (and
    # delete_instance) to call it with the serializer's validated_data; by default the serializer saves.

    def perform_create(self, serializer):
        return serializer.save()

    def perform_update(self, serializer):
        return serializer.save()

    def delete_instance(self, instance) -> None:
        instance.delete()

    def perform_destroy(self, instance):
        try:
            self.delete_instance(instance)
        except ProtectedError as exc:
            raise Conflict(
                f"{instance} is still referenced by {len(exc.protected_objects)} record(s); "
                "remove those links first."
            ) from exc
