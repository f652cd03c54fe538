"""A local OpenID Connect provider for the tests, standing in for the Federal
Authentication Service: a separate process on 127.0.0.1, built on Authlib's
authorization server (authorisation code flow, PKCE required, nonce required,
client secret, RS256 ID tokens, userinfo, discovery, JWKS).

    python tests/support/oidc_provider.py [--token-issuer URL] [--id-token-lifetime S]
        [--tamper-id-token] [--nonce VALUE] [--client-id ID] [--client-secret SECRET]

It binds port 0 and prints ``PORT <n>`` once it listens. Its sign-in page asks for the
person's claims (as eID or itsme would give them): the tests, or a tester, fill them.
The options make it misbehave on purpose (an ID token with another issuer, already
expired, with a broken signature, or with another nonce) so that the tests can check
that the platform refuses them.
"""

import argparse
import base64
import json
import secrets
import sys
import time

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, jsonify, request
from joserfc import jwk, jwt
from markupsafe import escape
from werkzeug.serving import make_server

CLAIM_FIELDS = ("sub", "email", "email_verified", "given_name", "family_name", "locale")


class Client:
    def __init__(self, client_id: str, secret: str) -> None:
        self.client_id = client_id
        self.client_secret = secret

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        return " ".join(s for s in scope.split() if s in {"openid", "email", "profile"})

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri.startswith(
            ("http://127.0.0.1:", "http://localhost:", "http://testserver/")
        )

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


class Code:
    def __init__(self, **fields) -> None:
        self.__dict__.update(fields)
        self.auth_time = int(time.time())

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return None

    def get_amr(self):
        return None

    def is_expired(self):
        return time.time() > self.auth_time + 120


class Token:
    def __init__(self, claims: dict, scope: str, expires_at: float) -> None:
        self.claims, self.scope, self.expires_at = claims, scope, expires_at

    def check_client(self, client):
        return True

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return int(self.expires_at - time.time())

    def is_expired(self):
        return time.time() > self.expires_at

    def is_revoked(self):
        return False


def create_app(options) -> Flask:
    app = Flask(__name__)
    key = jwk.RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig"})
    clients = {options.client_id: Client(options.client_id, options.client_secret)}
    codes: dict[str, Code] = {}
    tokens: dict[str, Token] = {}
    users: dict[str, dict] = {}
    used_nonces: set[str] = set()
    issuer = {"url": ""}  # set once the port is known

    def save_token(token, req):
        tokens[token["access_token"]] = Token(
            users[req.user], token.get("scope", ""), time.time() + token["expires_in"]
        )

    server = AuthorizationServer(app, query_client=clients.get, save_token=save_token)

    class CodeGrant(grants.AuthorizationCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

        def save_authorization_code(self, code, req):
            data = req.payload.data
            codes[code] = Code(
                code=code,
                client_id=req.client.client_id,
                redirect_uri=req.payload.redirect_uri,
                scope=req.payload.scope,
                nonce=data.get("nonce"),
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
                user=req.user,
            )

        def query_authorization_code(self, code, client):
            found = codes.get(code)
            if found and found.client_id == client.client_id and not found.is_expired():
                return found
            return None

        def delete_authorization_code(self, authorization_code):
            codes.pop(authorization_code.code, None)

        def authenticate_user(self, authorization_code):
            return authorization_code.user

    class IdToken(OpenIDCode):
        def exists_nonce(self, nonce, req):
            return nonce in used_nonces

        def generate_user_info(self, user, scope):
            claims = users[user]
            return UserInfo({k: v for k, v in claims.items() if v not in (None, "")})

        def encode_id_token(self, token, req):
            now = int(time.time())
            code = req.authorization_code
            claims = {
                "iss": options.token_issuer or issuer["url"],
                "aud": req.client.client_id,
                "iat": now,
                "auth_time": code.auth_time,
                "exp": now + options.id_token_lifetime,
                "nonce": options.nonce or code.nonce,
                **self.generate_user_info(req.user, token["scope"]),
            }
            id_token = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, key)
            if options.tamper_id_token:
                # Another address in the claims, the signature left as it was.
                header, payload, signature = id_token.split(".")
                body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
                body["email"] = "intruder@example.org"
                payload = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=")
                id_token = ".".join([header, payload.decode(), signature])
            return id_token

    server.register_grant(CodeGrant, [IdToken(require_nonce=True), CodeChallenge(required=True)])

    protector = ResourceProtector()

    class Bearer(BearerTokenValidator):
        def authenticate_token(self, token_string):
            return tokens.get(token_string)

    protector.register_token_validator(Bearer())

    @app.get("/.well-known/openid-configuration")
    def discovery():
        base = issuer["url"]
        return jsonify(
            issuer=base,
            authorization_endpoint=f"{base}/authorize",
            token_endpoint=f"{base}/token",
            userinfo_endpoint=f"{base}/userinfo",
            jwks_uri=f"{base}/jwks",
            response_types_supported=["code"],
            subject_types_supported=["public"],
            id_token_signing_alg_values_supported=["RS256"],
            code_challenge_methods_supported=["S256"],
            token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
            scopes_supported=["openid", "email", "profile"],
        )

    @app.get("/jwks")
    def jwks():
        return jsonify(keys=[key.as_dict(private=False)])

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize():
        args = request.values
        if not args.get("code_challenge") or args.get("code_challenge_method") != "S256":
            # PKCE is not optional here.
            return "invalid_request: PKCE (S256) is required", 400
        if request.method == "GET":
            grant = server.get_consent_grant(end_user=None)
            hidden = "".join(
                f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
                for k, v in request.args.items()
            )
            fields = "".join(
                f'<p><label for="{name}">{name}</label> <input id="{name}" name="{name}"></p>'
                for name in CLAIM_FIELDS
            )
            return (
                "<!DOCTYPE html><html lang='en'><head><title>Test federal sign-in</title></head>"
                f"<body><h1>Test federal sign-in</h1><p>for {escape(grant.client.client_id)}</p>"
                f"<form method='post' action='/authorize'>{hidden}{fields}"
                "<button type='submit'>Sign in</button></form></body></html>"
            )
        claims = {name: request.form.get(name, "") for name in CLAIM_FIELDS}
        claims["email_verified"] = claims["email_verified"].lower() in ("1", "true", "yes")
        sub = claims["sub"] or f"fas-{claims['email']}"
        claims["sub"] = sub
        users[sub] = claims
        response = server.create_authorization_response(grant_user=sub)
        if args.get("nonce"):
            used_nonces.add(args["nonce"])  # a nonce serves once
        return response

    @app.post("/token")
    def token():
        return server.create_token_response()

    @app.get("/userinfo")
    def userinfo():
        with protector.acquire("openid") as token:
            return jsonify({k: v for k, v in token.claims.items() if v not in (None, "")})

    return app, issuer


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--client-id", default="reuse-exchange")
    parser.add_argument("--client-secret", default="test-secret")
    parser.add_argument("--token-issuer", default="")
    parser.add_argument("--id-token-lifetime", type=int, default=300)
    parser.add_argument("--tamper-id-token", action="store_true")
    parser.add_argument("--nonce", default="")
    options = parser.parse_args(argv)
    app, issuer = create_app(options)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    issuer["url"] = f"http://127.0.0.1:{server.server_port}"
    print(f"PORT {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
