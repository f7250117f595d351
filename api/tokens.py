"""Bearer tokens and roles: ``reader`` may query, ``steward`` may also write, ``admin`` may do
everything. A token is shown once, when it is created; the file keeps only its SHA-256 (a
token is 256 random bits, so a fast hash is enough: nothing to guess from it).

The file (``ILBIRS_TOKENS_FILE``, by default ``tokens.json`` in the data directory) is
replaced atomically on every change and re-read by the API processes when it changes, so a
revoked token stops working at once in every worker.

>>> import tempfile, pathlib
>>> tokens = TokenStore(pathlib.Path(tempfile.mkdtemp()) / "tokens.json")
>>> secret = tokens.create("aigerim", "steward")
>>> tokens.find(secret).role, tokens.find("ilb_wrong")
('steward', None)
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import secrets
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["RANK", "ROLES", "Token", "TokenStore"]

ROLES = ("reader", "steward", "admin")
#: A role may do what every lower role may.
RANK = {role: rank for rank, role in enumerate(ROLES, start=1)}


@dataclass(frozen=True)
class Token:
    """A token as the file keeps it: who, which role, since when, and the hash of the secret."""

    name: str
    role: str
    created: str
    sha256: str

    def may(self, role: str) -> bool:
        """Whether this token's role covers ``role``."""
        return RANK[self.role] >= RANK[role]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class TokenStore:
    """The tokens of one Ilbirs installation, in a JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._cache: tuple[float, list[Token]] | None = None

    def list(self) -> list[Token]:
        """Every token (hashes only), re-read when the file changed."""
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            return []
        if self._cache is None or self._cache[0] != mtime:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self._cache = (mtime, [Token(**item) for item in data.get("tokens", [])])
        return list(self._cache[1])

    def find(self, secret: str) -> Token | None:
        """The token whose secret this is, or ``None``."""
        digest = _digest(secret)
        for token in self.list():
            if hmac.compare_digest(token.sha256, digest):
                return token
        return None

    def create(self, name: str, role: str) -> str:
        """Create a token; return its secret (shown once, never stored).

        :raises ValueError: an unknown role, an empty name, or a name already in use.
        """
        if role not in RANK:
            raise ValueError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
        if not name.strip():
            raise ValueError("a token needs a name (who or what uses it)")
        secret = "ilb_" + secrets.token_urlsafe(32)
        created = datetime.now(UTC).replace(microsecond=0).isoformat()

        def add(tokens: list[Token]) -> list[Token]:
            if any(t.name == name for t in tokens):
                raise ValueError(f"a token named {name!r} exists: revoke it first, or choose another name")
            return [*tokens, Token(name, role, created, _digest(secret))]

        self._change(add)
        return secret

    def revoke(self, name: str) -> bool:
        """Remove the token named ``name``; return whether there was one."""
        found = False

        def remove(tokens: list[Token]) -> list[Token]:
            nonlocal found
            kept = [t for t in tokens if t.name != name]
            found = len(kept) != len(tokens)
            return kept

        self._change(remove)
        return found

    def _change(self, edit: object) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with (self.path.parent / (self.path.name + ".lock")).open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._cache = None
            tokens = edit(self.list())  # type: ignore[operator]
            handle, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tokens-")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump({"tokens": [asdict(t) for t in tokens]}, out, indent=2)
            Path(tmp).chmod(0o600)
            Path(tmp).replace(self.path)
            self._cache = None
