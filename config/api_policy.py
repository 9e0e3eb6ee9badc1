"""Who may call the API, how often, and how many rows a page holds (named in settings.REST_FRAMEWORK).

Kept apart from ``config/api.py`` because DRF imports these while ``rest_framework.views`` loads.
"""

import math

from rest_framework import exceptions, negotiation, pagination, permissions, throttling
from rest_framework.settings import api_settings

from config.client_address import client_ip


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=`` and ``?page_size=`` (capped by settings)."""

    page_size_query_param = "page_size"

    @property
    def max_page_size(self):
        return api_settings.user_settings.get("MAX_PAGE_SIZE", 500)


class IsStaffOrReadOnly(permissions.BasePermission):
    """Anyone reads; only staff (session or token) write."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class _RuntimeRateMixin:
    # DRF reads THROTTLE_RATES once at import; reading per request keeps override_settings and env honest.
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def wait(self):
        # DRF gives None when the history holds more hits than the rate now allows (a lowered rate): a 429
        # without Retry-After. Then the client waits until the oldest hit leaves the window.
        wait = super().wait()
        if wait is None and getattr(self, "history", None):
            wait = self.duration - (self.now - self.history[-1])
        return max(1, math.ceil(wait)) if wait is not None else None

    def get_ident(self, request):
        # DRF believes any X-Forwarded-For; only the proxies in TRUSTED_PROXIES are believed here.
        return client_ip(request)


class AnonThrottle(_RuntimeRateMixin, throttling.AnonRateThrottle):
    pass


class UserThrottle(_RuntimeRateMixin, throttling.UserRateThrottle):
    pass


class ContentNegotiation(negotiation.DefaultContentNegotiation):
    """``?format=`` wins over the Accept header (a link that says bibtex gives BibTeX); an unknown format
    is a 406 (it cannot be given) rather than DRF's 404."""

    def select_renderer(self, request, renderers, format_suffix=None):
        wanted = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        if wanted:
            for renderer in renderers:
                if renderer.format == wanted:
                    return renderer, renderer.media_type
            raise exceptions.NotAcceptable(available_renderers=renderers)
        return super().select_renderer(request, renderers, format_suffix)
