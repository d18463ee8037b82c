"""The bundle format on its own: round trip, size, trust files, the TOML writer."""

from __future__ import annotations

import base64
import tomllib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from appliance.ops import bundle, certs
from hall import tomlwrite
from tests.ops.pki import City


def test_round_trip_and_qr_size() -> None:
    city = City()
    text = city.bundle(catalog=None)
    payload = bundle.verify(text, [city.prov_key.public_key()])
    assert payload.hall_id == "410411-ZH01" and payload.city is not None
    # one line of base64url text that a QR code (version 40, binary: 2953 bytes) can carry
    assert "\n" not in text and len(text) < 2953, len(text)
    import qrcode

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_L)
    qr.add_data(text)
    qr.make(fit=True)
    assert qr.version <= 40


def test_unknown_fields_are_ignored_for_later_versions() -> None:
    city = City()
    payload = bundle.verify(city.bundle(future_field={"x": 1}), [city.prov_key.public_key()])
    assert payload.bundle_id == "B-0001"


def test_missing_field_is_named() -> None:
    city = City()
    data = city.payload()
    del data["hall_id"]
    with pytest.raises(bundle.BundleError, match="hall_id"):
        bundle.verify(bundle.sign(data, city.prov_key), [city.prov_key.public_key()])


def test_oversized_payload() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    text = bundle.sign({"pad": "x" * (bundle.MAX_PAYLOAD + 10)}, key)
    with pytest.raises(bundle.BundleError, match="too large"):
        bundle.verify(text, [key.public_key()])


def test_trust_file_formats(tmp_path: Path) -> None:
    one, two = ed25519.Ed25519PrivateKey.generate(), ed25519.Ed25519PrivateKey.generate()
    raw = one.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pem = two.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "a.pub").write_text(f"# 2026 key\n{base64.b64encode(raw).decode()}  # note\n")
    (tmp_path / "b.pub").write_bytes(pem)
    (tmp_path / "bad.pub").write_text("not a key\n")
    (tmp_path / "empty.pub").write_text("# nothing\n")
    assert len(bundle.load_trust(tmp_path / "a.pub")) == 1
    assert len(bundle.load_trust(tmp_path / "b.pub")) == 1
    with pytest.raises(bundle.BundleError, match="not an Ed25519"):
        bundle.load_trust(tmp_path / "bad.pub")
    with pytest.raises(bundle.BundleError, match="no Ed25519"):
        bundle.load_trust(tmp_path / "empty.pub")
    # a key rotation: the bundle signed with the second of two trusted keys
    text = bundle.sign(City().payload(), two)
    keys = bundle.load_trust(tmp_path / "a.pub") + bundle.load_trust(tmp_path / "b.pub")
    assert bundle.verify(text, keys).hall_id


def test_read_source(tmp_path: Path) -> None:
    (tmp_path / "b").write_text("HP1.x.y\n")
    assert bundle.read_source(str(tmp_path / "b")).strip() == "HP1.x.y"
    assert bundle.read_source("HP1.a.b") == "HP1.a.b"
    with pytest.raises(bundle.BundleError, match="no such file"):
        bundle.read_source(str(tmp_path / "none"))


keys = st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,8}", fullmatch=True) | st.text(
    min_size=1, max_size=5
)
scalars = (
    st.booleans()
    | st.integers(-(2**62), 2**62)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
values = st.recursive(
    scalars | st.lists(scalars, max_size=3),
    lambda inner: (
        st.dictionaries(keys, inner, max_size=3)
        | st.lists(st.dictionaries(keys, scalars, min_size=1, max_size=3), min_size=1, max_size=2)
    ),
    max_leaves=12,
)


@given(st.dictionaries(keys, values, max_size=5))
def test_toml_round_trip(data: dict[str, object]) -> None:
    assert tomllib.loads(tomlwrite.dumps(data, header="a\nb")) == data


def test_key_encodings_of_contract_v11() -> None:
    """The identity-hash key: 64 hex characters (the city's form) or base64 of the same 32
    bytes; the token key: PEM SubjectPublicKeyInfo or base64 of the raw 32 bytes."""
    raw = bytes(range(32))
    for text in (raw.hex(), raw.hex().upper(), base64.b64encode(raw).decode(), f" {raw.hex()}\n"):
        assert certs.check_hash_key(text) == raw
    for bad, says in (("ab" * 31, "62 hex characters"), ("%%%", "not base64")):
        with pytest.raises(certs.CertError, match=says):
            certs.check_hash_key(bad)
    public = ed25519.Ed25519PrivateKey.generate().public_key()
    raw_pub = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    pem = public.public_bytes(serialization.Encoding.PEM, spki).decode()
    b64 = base64.b64encode(raw_pub).decode()
    assert certs.check_ed25519_public(pem) == raw_pub == certs.check_ed25519_public(b64)
    assert certs.token_key_text(pem) == b64
    x25519 = X25519PrivateKey.generate().public_key().public_bytes(serialization.Encoding.PEM, spki)
    with pytest.raises(certs.CertError, match="not Ed25519"):  # PEM, but not for signatures
        certs.check_ed25519_public(x25519.decode())
