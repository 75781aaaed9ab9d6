"""Who is calling: API keys with scopes, end-user tokens, sign-in cookies, rate limits.

The checks run as FastAPI dependencies (:class:`service.auth.access.Access`) declared
per router in ``service/routes/__init__.py``; the state they share lives in one
:class:`service.auth.access.Gate` per process, on ``app.state.gate``.
"""
