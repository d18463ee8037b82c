"""Passwords of the hall bus: made, hashed for Mosquitto's password file, read back.

Every process on the hall bus logs in to the hall's Mosquitto with its device id as username
(and client id: the broker pins them, `use_username_as_clientid`) and a password of its own:
192 random bits, shown once (the enrollment bundle) and kept on the device in a file only its
service user can read. The broker keeps PBKDF2-SHA512 hashes in Mosquitto 2.0's own format
(`$7$<iterations>$<salt>$<hash>`, what `mosquitto_passwd` writes), made with the standard
library's `hashlib.pbkdf2_hmac`.

The salt is derived from the username, so the same password always gives the same line: the
password file is a pure function of the devices and their passwords, and writing it again
changes nothing that did not change. (A salt guards guessable passwords against tables made
in advance; these passwords are 192 random bits, out of reach of any table.)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable

ITERATIONS = 101  # mosquitto_passwd's default in 2.0; the broker hashes on every CONNECT
SALT_BYTES = 12
_HASH = re.compile(r"^\$7\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$")
_USER = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class PasswordError(ValueError):
    """A password or hash that cannot be used; the message says which and why."""


def new_password() -> str:
    """192 random bits as 32 URL-safe characters."""
    return secrets.token_urlsafe(24)


def check_password(password: str) -> str:
    if not 16 <= len(password) <= 128 or not password.isprintable() or ":" in password:
        raise PasswordError("a hall-bus password is 16-128 printable characters without ':'")
    return password


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _salt(username: str) -> bytes:
    return hashlib.sha512(b"hall-bus/" + username.encode("utf-8")).digest()[:SALT_BYTES]


def hash_password(username: str, password: str) -> str:
    """The Mosquitto 2.0 hash (`$7$…`) of `password` for `username`."""
    if not _USER.match(username):
        raise PasswordError(f"invalid hall-bus username {username!r}")
    salt = _salt(username)
    derived = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, ITERATIONS)
    return f"$7${ITERATIONS}${_b64(salt)}${_b64(derived)}"


def check_hash(value: str) -> str:
    if not _HASH.match(value):
        raise PasswordError("not a Mosquitto password hash ($7$<iterations>$<salt>$<hash>)")
    return value


def verify(username: str, password: str, hashed: str) -> bool:
    """Whether `password` is the one `hashed` was made from (any salt and iteration count)."""
    m = _HASH.match(hashed)
    if m is None:
        return False
    iterations, salt, want = int(m.group(1)), base64.b64decode(m.group(2)), m.group(3)
    got = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations)
    return hmac.compare_digest(_b64(got), want)


def passwd_text(entries: Iterable[tuple[str, str]]) -> str:
    """Mosquitto's password file: one `username:hash` a line, sorted by username."""
    lines = []
    seen: set[str] = set()
    for username, hashed in sorted(entries):
        if username in seen:
            raise PasswordError(f"{username} is listed twice")
        seen.add(username)
        if not _USER.match(username):
            raise PasswordError(f"invalid hall-bus username {username!r}")
        lines.append(f"{username}:{check_hash(hashed)}")
    return "".join(line + "\n" for line in lines)


def parse_passwd(text: str) -> dict[str, str]:
    """username -> hash of a Mosquitto password file (blank lines and comments skipped)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, hashed = line.partition(":")
        if sep:
            out[user] = hashed
    return out
