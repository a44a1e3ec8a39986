from roles.audit import serving


class AuditContextMiddleware:
    """Makes the request known to ``audit_record`` while it is served.

    Placed after AuthenticationMiddleware, so the user is known too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with serving(request):
            return self.get_response(request)
