"""CareKey as an OpenID Connect provider (django-oauth-toolkit, extended for acr/amr)."""
