"""Who is asking: bearer tokens (``api/tokens.py``) checked against the role a route needs.
No token is anonymous: answered for queries when ``ILBIRS_ANONYMOUS_QUERIES`` allows it,
refused (401) for writes; a token whose role is too low is refused with 403.

The token goes in ``Authorization: Bearer <token>``, or, for clients that know only HTTP
Basic (rdflib's ``auth=``, SPARQLWrapper's ``setCredentials``, Jena, curl ``-u``), as the
password of ``Authorization: Basic`` (the user name is not checked)."""

from __future__ import annotations

import base64

from fastapi import Request

from .errors import ProblemError
from .tokens import RANK, Token

__all__ = ["require"]

_CHALLENGE = 'Bearer realm="ilbirs", Basic realm="ilbirs"'
_HOW = "send the token as `Authorization: Bearer <token>`, or as the password of HTTP Basic"


def _token(request: Request) -> Token | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, secret = header.strip().partition(" ")
    if scheme.lower() == "basic":
        try:
            secret = base64.b64decode(secret.strip(), validate=True).decode("utf-8").partition(":")[2]
        except (ValueError, UnicodeDecodeError):
            secret = ""
    elif scheme.lower() != "bearer":
        secret = ""
    if not secret.strip():
        raise ProblemError(401, "Unauthorized", _HOW, headers={"WWW-Authenticate": _CHALLENGE})
    token: Token | None = request.app.state.tokens.find(secret.strip())
    if token is None:
        raise ProblemError(
            401,
            "Unauthorized",
            "the token is unknown or revoked",
            headers={"WWW-Authenticate": _CHALLENGE + ', error="invalid_token"'},
        )
    return token


def require(request: Request, role: str) -> Token | None:
    """The caller's token if it may act as ``role``; ``None`` for an allowed anonymous reader.

    :raises ProblemError: 401 without a (valid) token where one is needed, 403 for a lower role.
    """
    token = _token(request)
    if token is None:
        if role == "reader" and request.app.state.settings.anonymous_queries:
            return None
        what = "writing" if RANK[role] > RANK["reader"] else "querying"
        raise ProblemError(
            401,
            "Unauthorized",
            f"{what} needs a {role} token: `Authorization: Bearer <token>` (see `ilbirs token create`)",
            headers={"WWW-Authenticate": _CHALLENGE},
        )
    if not token.may(role):
        raise ProblemError(
            403, "Forbidden", f"the token {token.name!r} has the role {token.role}; this needs {role}"
        )
    return token
