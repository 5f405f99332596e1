"""The peers CareKey is measured against, each a small Django project of its own.

`floor_site` is the bare Django floor (Session, CSRF and Auth middleware and one view that
reads request.user), `otp_site` serves django-otp and `allauth_site` allauth.mfa (through
allauth's headless JSON API). They run in their own virtualenv (.cache/peers-venv, made by
bench/peer_env.py from bench/peers/requirements.txt), never in CareKey's, each on its own
PostgreSQL database, with PYTHONPATH=bench so that `peers.<site>.settings` imports.
"""
