"""Keys: Multikey encoding, and private keys that never leave the object in clear."""

from __future__ import annotations

import json
import pickle

import pytest

from mcbadge.vc.errors import KeyFormatError
from mcbadge.vc.keys import Ed25519KeyPair, decode_multikey

from tests.reference_data import EDDSA, OB_PUBLIC, OB_SECRET, read_json


def test_multikey_round_trip_from_the_w3c_vector():
    pair = read_json(EDDSA / "keyPair.json")
    key = Ed25519KeyPair.from_private_multibase(pair["privateKeyMultibase"])
    assert key.public_multibase == pair["publicKeyMultibase"]
    assert decode_multikey(pair["publicKeyMultibase"]).raw == key.public_key.raw
    assert key.export_private_multibase() == pair["privateKeyMultibase"]


def test_64_byte_secret_multikey_of_the_ob_vector():
    assert Ed25519KeyPair.from_private_multibase(OB_SECRET).public_multibase == OB_PUBLIC


@pytest.mark.parametrize("bad", ["", "6Mk", "z", "z0OIl", "zQmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"])
def test_bad_multikeys_are_refused(bad):
    with pytest.raises(KeyFormatError):
        decode_multikey(bad)


def test_private_key_never_serializes():
    key = Ed25519KeyPair.generate().bound("did:web:district.example")
    secret = key.export_private_multibase()
    assert secret not in repr(key) and secret not in str(key) and "redacted" in repr(key)
    with pytest.raises(TypeError):
        pickle.dumps(key)
    with pytest.raises(TypeError):
        json.dumps(key)
    assert not hasattr(key, "__dict__")


def test_signature_verifies_and_detects_change():
    key = Ed25519KeyPair.generate()
    signature = key.sign(b"award")
    assert key.public_key.verify(signature, b"award")
    assert not key.public_key.verify(signature, b"award!")
    assert not key.public_key.verify(b"short", b"award")
