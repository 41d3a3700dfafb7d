"""An orders API on FastAPI that trusts a running Gatehouse, verifying its access tokens
locally with PyJWT's PyJWKClient.

Start it with:  /usr/bin/python3 examples/fastapi/app.py
GATEHOUSE_ISSUER (default http://127.0.0.1:8000) names the Gatehouse, GATEHOUSE_AUDIENCE
the audience its tokens carry (default: the issuer, as Gatehouse issues them); PORT
defaults to 8004. Needs fastapi, uvicorn and PyJWT with cryptography (Debian:
python3-fastapi python3-uvicorn python3-jwt python3-cryptography).
"""

import os
import threading
import time
from typing import List, Optional

import jwt
import uvicorn
from fastapi import Body, Depends, FastAPI, HTTPException, Security
from fastapi.security import OAuth2PasswordBearer, SecurityScopes
from pydantic import BaseModel

ISSUER = os.environ.get("GATEHOUSE_ISSUER", "http://127.0.0.1:8000")
AUDIENCE = os.environ.get("GATEHOUSE_AUDIENCE", ISSUER)
PORT = int(os.environ.get("PORT", "8004"))
LEEWAY_SECONDS = 30
# The key decides the algorithm (RFC 8725 §3.1): a token cannot choose HS256 for a public key.
ALGORITHM_FOR_KEY_TYPE = {"EC": "ES256", "OKP": "EdDSA", "RSA": "RS256"}


class GatehouseJWKClient(jwt.PyJWKClient):
    """PyJWKClient, with two habits a resource server needs.

    PyJWT 2.6 refetches the JWKS for every unknown kid, so forged kids would become a
    request storm on the issuer: here at most one refetch per 30 s. And a failed fetch
    empties its cache: here the keys already known stay in use while the issuer is down.
    """

    cooldown_seconds = 30.0

    def __init__(self, uri: str):
        super().__init__(uri, lifespan=60)
        self._lock = threading.Lock()
        self._last_forced = float("-inf")
        self._last_good = None

    def get_signing_keys(self, refresh: bool = False):
        if refresh:
            with self._lock:
                now = time.monotonic()
                if now - self._last_forced < self.cooldown_seconds:
                    refresh = False
                else:
                    self._last_forced = now
        return super().get_signing_keys(refresh)

    def fetch_data(self):
        try:
            data = super().fetch_data()
        except jwt.PyJWKClientError:
            if self._last_good is None:
                raise
            self.jwk_set_cache.put(self._last_good)
            return self._last_good
        self._last_good = data
        return data


jwks = GatehouseJWKClient(f"{ISSUER}/.well-known/jwks.json")
# /docs gets a working Authorize button: the password flow at Gatehouse's /token.
oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl=f"{ISSUER}/token",
    scopes={"items:read": "Read your orders", "items:write": "Place orders"},
)


class Principal(BaseModel):
    sub: str
    username: Optional[str] = None
    scopes: List[str]
    client_id: str


def refuse(status: int, detail: str, challenge: str) -> HTTPException:
    # The answers Gatehouse's own routes give (RFC 6750 §3).
    return HTTPException(status, detail, headers={"WWW-Authenticate": challenge, "Cache-Control": "no-store"})


def current_principal(security_scopes: SecurityScopes, token: str = Depends(oauth2_scheme)) -> Principal:
    try:
        header = jwt.get_unverified_header(token)
        # RFC 9068 §4: an access token says so in its type.
        if str(header.get("typ", "")).lower().removeprefix("application/") != "at+jwt":
            raise jwt.InvalidTokenError("not an access token")
        signing_key = jwks.get_signing_key(header.get("kid"))
        claims = jwt.decode(
            token,
            signing_key.key,
            algorithms=[ALGORITHM_FOR_KEY_TYPE.get(signing_key.key_type, "none")],
            audience=AUDIENCE,
            issuer=ISSUER,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
        )
    except jwt.PyJWTError:
        raise refuse(401, "Could not validate credentials", 'Bearer error="invalid_token"')
    granted = str(claims.get("scope", "")).split()
    if any(scope not in granted for scope in security_scopes.scopes):
        raise refuse(403, "Not enough permissions", f'Bearer error="insufficient_scope", scope="{security_scopes.scope_str}"')
    return Principal(
        sub=claims["sub"],
        username=claims.get("preferred_username"),
        scopes=granted,
        client_id=claims.get("client_id", ""),
    )


app = FastAPI(title="Orders API")
orders: dict = {}


@app.get("/hello")
def hello():
    return {"hello": "world"}


@app.get("/me")
def me(principal: Principal = Depends(current_principal)):
    return principal


@app.get("/items")
def list_items(principal: Principal = Security(current_principal, scopes=["items:read"])):
    return {"owner": principal.sub, "items": orders.get(principal.sub, [])}


@app.post("/items", status_code=201)
def add_item(name: str = Body("item", embed=True), principal: Principal = Security(current_principal, scopes=["items:write"])):
    orders.setdefault(principal.sub, []).append(name)
    return {"owner": principal.sub, "name": name}


if __name__ == "__main__":
    print(f"orders API (FastAPI) on http://127.0.0.1:{PORT}, trusting {ISSUER}", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning")
