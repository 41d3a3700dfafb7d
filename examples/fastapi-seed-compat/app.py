"""A FastAPI backend that still verifies tokens the way the FastAPI JWT tutorial does
(PyJWT, HS256, a shared SECRET_KEY, `sub` = username), while Gatehouse issues them.

Run Gatehouse in the compatible profile with the same secret:

    GATEHOUSE_JWT_ALG=HS256 GATEHOUSE_JWT_SECRET="$SECRET_KEY" GATEHOUSE_SUBJECT=username npm start

then this app:

    SECRET_KEY=... /usr/bin/python3 -m uvicorn app:app --port 8100

A token from Gatehouse's POST /token opens GET /users/me here unchanged, so routes can
move to Gatehouse one at a time.
"""
import os

import jwt
from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.security import OAuth2PasswordBearer
from jwt.exceptions import InvalidTokenError

SECRET_KEY = os.environ["SECRET_KEY"]
ALGORITHM = "HS256"

# The users this backend knows, as the tutorial keeps them (no passwords needed here:
# Gatehouse checks those).
users = {
    "johndoe": {"username": "johndoe", "full_name": "John Doe", "email": "johndoe@example.com", "disabled": False},
}

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")
app = FastAPI()


def current_user(token: str = Depends(oauth2_scheme)) -> dict:
    unauthorized = HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="Could not validate credentials",
        headers={"WWW-Authenticate": "Bearer"},
    )
    try:
        # Exactly the tutorial's check: signature, exp (and nbf/iat when present); no audience.
        payload = jwt.decode(token, SECRET_KEY, algorithms=[ALGORITHM])
    except InvalidTokenError:
        raise unauthorized
    user = users.get(payload.get("sub"))
    if user is None:
        raise unauthorized
    if user["disabled"]:
        raise HTTPException(status_code=400, detail="Inactive user")
    return user


@app.get("/users/me")
def read_users_me(user: dict = Depends(current_user)) -> dict:
    return user
