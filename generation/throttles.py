"""Rate limits on job creation, shared by the API and the htmx form (rates: GENERATION_RATE_ANON/_USER)."""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, BaseThrottle, UserRateThrottle


class JobCreateAnonThrottle(AnonRateThrottle):
    scope = "generation_jobs_anon"

    def get_rate(self):
        return settings.GENERATION_RATE_ANON


class JobCreateUserThrottle(UserRateThrottle):
    scope = "generation_jobs_user"

    def get_rate(self):
        return settings.GENERATION_RATE_USER

    def get_cache_key(self, request, view):
        # Signed-in users only: anonymous clients have the anon scope (DRF's would count them here too).
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


JOB_CREATE_THROTTLES = (JobCreateAnonThrottle, JobCreateUserThrottle)


def client_key(request) -> str:
    """Who is asking, for the active-jobs cap: the signed-in user, else the address DRF's throttles use."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{BaseThrottle().get_ident(request)}"


def job_create_wait(request) -> float | None:
    """Seconds to wait before this client may create another job, or None when it may now."""
    waits = []
    for throttle_class in JOB_CREATE_THROTTLES:
        throttle = throttle_class()
        if not throttle.allow_request(request, None):
            waits.append(throttle.wait() or 1.0)
    return max(waits) if waits else None
