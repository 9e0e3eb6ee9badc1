"""Limits on guessing credentials. Passwords (the admin's login form, any login through ``authenticate``)
are counted by django-axes: after LOGIN_FAILURE_LIMIT failures from one client address, that address is
locked out for LOGIN_COOLOFF_MINUTES, with a 429 and Retry-After (:func:`lockout_response`). API tokens are
counted here, in the cache: after as many wrong tokens from one address, every token from it is refused
with a 429 until the window has passed (:class:`TokenAuthentication`). Addresses come from
``config.client_address`` (X-Forwarded-For only from TRUSTED_PROXIES).
"""

import math
import time

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from rest_framework import authentication, exceptions

from config.client_address import client_ip


class LoginLimitBackend(AxesStandaloneBackend):
    """django-axes' check before a sign-in, skipped when there is no request (the test client's login(), a
    shell): with no client address there is nothing to count, and no visitor can call it that way."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def cooloff_seconds() -> int:
    return max(1, math.ceil(settings.AXES_COOLOFF_TIME.total_seconds()))


def lockout_response(request, original_response=None, credentials=None, *args, **kwargs) -> HttpResponse:
    """django-axes' answer to a locked-out client: 429, with the seconds to wait in Retry-After."""
    wait = cooloff_seconds()
    message = (
        f"Too many failed sign-in attempts from this address; try again in {math.ceil(wait / 60)} minutes."
    )
    if request.path.startswith("/api/"):
        from config.api import error_body

        response = JsonResponse(error_body(status_code=429, detail=message), status=429)
    else:
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(wait)
    return response


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, with the same limit on wrong tokens per client address as on passwords."""

    def authenticate(self, request):
        if not authentication.get_authorization_header(request):
            return None
        key = f"login-limits:token:{client_ip(request)}"
        now = time.time()
        window = cooloff_seconds()
        failures = [moment for moment in cache.get(key, []) if moment > now - window]
        if len(failures) >= settings.AXES_FAILURE_LIMIT:
            raise exceptions.Throttled(
                wait=math.ceil(failures[0] + window - now), detail="Too many wrong tokens from this address."
            )
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            cache.set(key, [*failures, now], window)
            raise
