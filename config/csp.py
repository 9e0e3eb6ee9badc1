"""Content-Security-Policy: scripts, styles and everything else from this site only.

Django 5.2 has no CSP setting of its own. Pages use no inline script or style (htmx's indicator styles are
turned off in base.html), so 'self' is enough. Paths in ``CSP_EXEMPT_PATH_PREFIXES`` (a setting; by default
drf-spectacular's Swagger UI and ReDoc pages, whose templates start the viewers with inline scripts) are left
alone.
"""

from django.conf import settings

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


DEFAULT_EXEMPT = ("/api/docs/", "/api/redoc/")


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.exempt = tuple(getattr(settings, "CSP_EXEMPT_PATH_PREFIXES", DEFAULT_EXEMPT))

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response and not (
            self.exempt and request.path.startswith(self.exempt)
        ):
            response["Content-Security-Policy"] = POLICY
        return response
