"""Who is asking for jobs and how often (rates: GENERATION_RATE_ANON/_USER), for the API and the htmx form.

The rate counts accepted new work only: ``services.job_request`` asks :class:`JobRate` after validating the
request and after looking for an identical stored job, and records a hit only when a job is created; a
rejected, invalid or repeated request costs nothing. Clients are told apart by ``config.client_address``
(X-Forwarded-For only from TRUSTED_PROXIES)."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from config.client_address import client_ip

# The ids of the jobs a browser session asked for: with the token the API answers, what proves that a
# client owns a job (to cancel it), never its address.
SESSION_JOBS = "generation_jobs"


def client_key(request) -> str:
    """Who is asking, for the active-jobs cap and the rate: the signed-in user, else the client's address."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{client_ip(request)}"


class JobRate(SimpleRateThrottle):
    """The job-creation rate of one client: ``wait()`` peeks, ``record()`` counts one accepted job."""

    def __init__(self, request):
        self.client = client_key(request)
        anonymous = self.client.startswith("ip:")
        self.scope = "generation_jobs_anon" if anonymous else "generation_jobs_user"
        super().__init__()

    def get_rate(self):
        return settings.GENERATION_RATE_ANON if self.scope.endswith("anon") else settings.GENERATION_RATE_USER

    def get_cache_key(self, request=None, view=None):
        return self.cache_format % {"scope": self.scope, "ident": self.client}

    def _history(self) -> list[float]:
        self.key = self.get_cache_key()
        self.now = self.timer()
        history = self.cache.get(self.key, [])
        self.history = [moment for moment in history if moment > self.now - self.duration]
        return self.history

    def seconds_to_wait(self) -> float | None:
        """Seconds before this client may create another job, or None when it may now (nothing recorded)."""
        if self.rate is None or len(self._history()) < self.num_requests:
            return None
        return self.wait() or 1.0

    def record(self) -> None:
        if self.rate is not None:
            self._history()
            self.throttle_success()
