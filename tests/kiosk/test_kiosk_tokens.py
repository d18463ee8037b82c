"""Appointment tokens (Ed25519), identity hashes (HMAC-SHA256) and what a scan means."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hall import tokens
from kiosk.checkin import CheckInRequest, Keys, Problem, classify, describe
from tests.kiosk.conftest import HASH_KEY, at

CLAIMS = {
    "id": "AP20261127000123",
    "hall": "410411-ZH01",
    "service": "SB-001",
    "date": "2026-11-27",
    "slot_start": "09:00",
    "slot_end": "09:30",
    "exp": "2026-11-27T23:59:59+08:00",
}
NOW = at("09:30")
VALID_ID = "11010519491231002X"  # the standard's own example


def test_sign_and_verify(city_key: Ed25519PrivateKey) -> None:
    token = tokens.sign_token(CLAIMS, city_key)
    assert token.startswith("CQ1.") and token.count(".") == 2
    verified = tokens.verify_token(token, city_key.public_key(), now=NOW)
    assert verified.claims == CLAIMS and verified.appointment_id == CLAIMS["id"]


def test_epoch_expiry_and_unknown_claims_dropped(city_key: Ed25519PrivateKey) -> None:
    token = tokens.sign_token({**CLAIMS, "exp": int(NOW) + 60, "extra": "x"}, city_key)
    claims = tokens.verify_token(token, city_key.public_key(), now=NOW).claims
    assert "extra" not in claims and claims["exp"] == int(NOW) + 60


def test_other_key_tampering_and_expiry(city_key: Ed25519PrivateKey) -> None:
    other = Ed25519PrivateKey.generate()
    token = tokens.sign_token(CLAIMS, other)
    with pytest.raises(tokens.TokenError) as info:
        tokens.verify_token(token, city_key.public_key(), now=NOW)
    assert info.value.code == "token_invalid"
    good = tokens.sign_token(CLAIMS, city_key)
    _body, sig = good[4:].split(".")
    forged = json.dumps({**CLAIMS, "hall": "410411-ZH02"}, separators=(",", ":")).encode()
    forged_token = "CQ1." + base64.urlsafe_b64encode(forged).rstrip(b"=").decode() + "." + sig
    with pytest.raises(tokens.TokenError, match="token_invalid"):
        tokens.verify_token(forged_token, city_key.public_key(), now=NOW)
    with pytest.raises(tokens.TokenError, match="token_expired"):
        tokens.verify_token(good, city_key.public_key(), now=at("23:59") + 61)


@pytest.mark.parametrize(
    "text",
    ["CQ1.", "CQ1.abc", "CQ1.a.b.c", "CQ2.abc.def", "CQ1.!!!.???", "CQ1." + "a" * 3000 + ".b"],
)
def test_malformed_tokens(text: str, city_key: Ed25519PrivateKey) -> None:
    with pytest.raises(tokens.TokenError) as info:
        tokens.verify_token(text, city_key.public_key(), now=NOW)
    assert info.value.code in ("token_malformed", "token_invalid")


@pytest.mark.parametrize(
    "claims",
    [
        {k: v for k, v in CLAIMS.items() if k != "service"},
        {**CLAIMS, "date": "27/11/2026"},
        {**CLAIMS, "slot_start": "9:00"},
        {**CLAIMS, "exp": "tomorrow"},
        {**CLAIMS, "exp": True},
        {**CLAIMS, "id": 5},
    ],
)
def test_signed_but_incomplete_claims(
    claims: dict[str, object], city_key: Ed25519PrivateKey
) -> None:
    token = tokens.sign_token(claims, city_key)
    with pytest.raises(tokens.TokenError, match="token_malformed"):
        tokens.verify_token(token, city_key.public_key(), now=NOW)


def test_public_key_forms(city_key: Ed25519PrivateKey) -> None:
    pub = city_key.public_key()
    text = tokens.public_key_text(pub)
    raw = base64.b64decode(text)
    pem = pub.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    urlsafe = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    for form in (text, pem, urlsafe):
        assert tokens.public_key_text(tokens.load_public_key(form)) == text
    for bad in ("", "not base64!!", base64.b64encode(b"short").decode()):
        with pytest.raises(tokens.KeyConfigError):
            tokens.load_public_key(bad)


def test_identity_numbers_and_hash() -> None:
    assert tokens.is_identity_number(VALID_ID)
    assert tokens.is_identity_number(VALID_ID.lower())
    assert not tokens.is_identity_number("110105194912310021")  # wrong check digit
    assert not tokens.is_identity_number("1101051949123100")
    expected = hmac.new(HASH_KEY, VALID_ID.encode(), hashlib.sha256).hexdigest()
    assert tokens.id_hash(VALID_ID.lower(), HASH_KEY) == expected
    assert tokens.id_hash(f" {VALID_ID} ", HASH_KEY) == expected
    with pytest.raises(tokens.KeyConfigError):
        tokens.id_hash(VALID_ID, b"")


def test_hash_key_file(tmp_path: Path) -> None:
    path = tmp_path / "id-hash.key"
    path.write_text(base64.b64encode(HASH_KEY).decode() + "\n", encoding="ascii")
    assert tokens.load_hash_key(path) == HASH_KEY
    path.write_text("???", encoding="ascii")
    with pytest.raises(tokens.KeyConfigError, match="not base64"):
        tokens.load_hash_key(path)
    with pytest.raises(tokens.KeyConfigError, match="cannot read"):
        tokens.load_hash_key(tmp_path / "missing")


def test_classify_scans(keys: Keys, city_key: Ed25519PrivateKey) -> None:
    token = tokens.sign_token(CLAIMS, city_key)
    found = classify(token, keys, now=NOW)
    assert isinstance(found, CheckInRequest) and found.args == {"token": token}
    found = classify(VALID_ID + "\r", keys, now=NOW)
    assert isinstance(found, CheckInRequest) and found.kind == "identity"
    assert VALID_ID not in repr(found) and len(found.args["id_hash"]) == 64
    assert classify("482913", keys, now=NOW) == CheckInRequest("code", {"code": "482913"})
    assert classify("110105194912310021", keys, now=NOW) == Problem("bad_identity")
    assert classify("hello", keys, now=NOW) == Problem("unknown_code")
    bad = classify(tokens.sign_token(CLAIMS, Ed25519PrivateKey.generate()), keys, now=NOW)
    assert isinstance(bad, Problem) and bad.code == "token_invalid"
    none = Keys(None, None)
    assert classify(token, none, now=NOW) == Problem("no_token_key")
    assert classify(VALID_ID, none, now=NOW) == Problem("no_identity_key")


def test_describe_never_shows_the_number(keys: Keys) -> None:
    key, values = describe(VALID_ID, keys, now=NOW)
    assert key == "scan_identity" and values == {}
    assert describe("482913", keys, now=NOW)[0] == "scan_code"
    assert describe("abc", keys, now=NOW) == ("scan_other", {"n": 3})
