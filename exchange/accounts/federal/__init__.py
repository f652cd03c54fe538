"""Sign-in through the Federal Authentication Service (eID, itsme): OpenID Connect,
authorisation code flow with PKCE, checked state, nonce, issuer, audience, expiry and
signature. django-allauth's ``openid_connect`` provider with three things added: the
nonce, the ID token's signature checked always (allauth skips it when the token came
straight from the token endpoint) and the discovery document's issuer held to
``OIDC_ISSUER``. Settings: ``OIDC_*`` (exchange/settings.py)."""
