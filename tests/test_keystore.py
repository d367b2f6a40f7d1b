"""The keystore: encrypted private keys on disk, public halves readable without the passphrase, rotation."""

from __future__ import annotations

import base64
import logging
import os
import stat
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from mcbadge.config import Settings
from mcbadge.keystore import Keystore, KeystoreError, WrongPassphrase, keystore_from_settings
from mcbadge.vc.dids import did_web_document, find_verification_method
from mcbadge.vc.keys import Signer

DID = "did:web:badges.example.org:issuers:north-district"
SLUG = "north-district"


def _seed(keystore: Keystore) -> bytes:
    key = keystore.load_or_create(SLUG, DID).private_key_object()
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())


def test_round_trip_gives_the_same_key_bound_to_the_did(tmp_path: Path) -> None:
    first = Keystore(tmp_path, b"correct horse").load_or_create(SLUG, DID)
    again = Keystore(tmp_path, b"correct horse").load_or_create(SLUG, DID)
    assert again.public_key == first.public_key
    assert again.verification_method == f"{DID}#key-1"
    assert isinstance(again, Signer)
    data = b"the canonical hash of a credential"
    assert first.public_key.verify(again.sign(data), data)


def test_private_key_file_is_encrypted_and_holds_no_raw_seed(tmp_path: Path) -> None:
    keystore = Keystore(tmp_path, b"correct horse")
    seed = _seed(keystore)
    pem = (tmp_path / SLUG / "key-1.pem").read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert seed not in pem
    assert base64.b64encode(seed)[:40] not in pem
    assert seed not in base64.b64decode(b"".join(pem.splitlines()[1:-1]))
    with pytest.raises(TypeError):  # cryptography: a password is required
        serialization.load_pem_private_key(pem, password=None)


def test_wrong_passphrase_is_a_clear_error(tmp_path: Path) -> None:
    Keystore(tmp_path, b"correct horse").load_or_create(SLUG, DID)
    with pytest.raises(WrongPassphrase, match="wrong key passphrase"):
        Keystore(tmp_path, b"battery staple").load_or_create(SLUG, DID)


def test_public_keys_need_no_passphrase(tmp_path: Path) -> None:
    created = Keystore(tmp_path, b"correct horse").load_or_create(SLUG, DID)
    public_only = Keystore(tmp_path, None)
    assert public_only.public_keys(SLUG) == [created.public_key]
    with pytest.raises(KeystoreError, match="no passphrase"):
        public_only.load_or_create(SLUG, DID)


def test_files_are_0600_and_directories_0700(tmp_path: Path) -> None:
    keystore = Keystore(tmp_path / "keys", b"correct horse")
    keystore.load_or_create(SLUG, DID)
    keystore.rotate(SLUG)
    issuer_dir = tmp_path / "keys" / SLUG
    assert stat.S_IMODE(issuer_dir.stat().st_mode) == 0o700
    files = sorted(p.name for p in issuer_dir.iterdir())
    assert files == ["key-1.pem", "key-1.pub", "key-2.pem", "key-2.pub"]
    for path in issuer_dir.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_repr_never_shows_private_material(tmp_path: Path) -> None:
    keystore = Keystore(tmp_path, b"correct horse")
    seed = _seed(keystore)
    pair = keystore.load_or_create(SLUG, DID)
    texts = [repr(pair), str(pair), repr(keystore), repr(keystore.entries(SLUG))]
    secret_forms = [seed.hex(), base64.b64encode(seed).decode(), pair.export_private_multibase(), "correct horse"]
    for text in texts:
        for secret in secret_forms:
            assert secret not in text
    assert "redacted" in repr(pair)


def test_rotation_makes_a_new_signing_key_and_keeps_the_old_ones_listed(tmp_path: Path) -> None:
    keystore = Keystore(tmp_path, b"correct horse")
    old = keystore.load_or_create(SLUG, DID)
    entry = keystore.rotate(SLUG)
    new = keystore.load_or_create(SLUG, DID)
    assert entry.key_id == "key-2"
    assert new.public_key == entry.public_key != old.public_key
    assert new.verification_method == f"{DID}#key-2"
    assert keystore.public_keys(SLUG) == [old.public_key, new.public_key]
    # Both keys stay in the DID document under assertionMethod: old credentials still verify.
    document = did_web_document(DID, keystore.public_keys(SLUG), key_ids=[e.key_id for e in keystore.entries(SLUG)])
    for pair in (old, new):
        method = find_verification_method(document, pair.verification_method)
        assert method.public_key == pair.public_key
        assert "assertionMethod" in method.relationships


def test_key_ids_see_a_rotation_made_by_another_process(tmp_path: Path) -> None:
    # The service remembers each issuer's key listing (verification asks for it every time); a rotation
    # made elsewhere (``mcbadge rotate-key`` is another process, with its own Keystore) must still show.
    service = Keystore(tmp_path, None)
    Keystore(tmp_path, b"correct horse").load_or_create(SLUG, DID)
    issuer_dir = tmp_path / SLUG
    settled = time.time_ns() - 10_000_000_000
    os.utime(issuer_dir, ns=(settled, settled))  # as if created long ago: the listing is remembered
    assert service.key_ids(SLUG) == ("key-1",)
    assert service.key_ids(SLUG) == ("key-1",)
    Keystore(tmp_path, b"correct horse").rotate(SLUG)
    assert service.key_ids(SLUG) == ("key-1", "key-2")
    # A change in the same coarse timestamp tick as the remembered listing is not missed either: a
    # listing made less than a second after the directory changed is not remembered.
    os.utime(issuer_dir, ns=(time.time_ns(), time.time_ns()))
    stamp = issuer_dir.stat().st_mtime_ns
    assert service.key_ids(SLUG) == ("key-1", "key-2")
    Keystore(tmp_path, b"correct horse").rotate(SLUG)
    os.utime(issuer_dir, ns=(stamp, stamp))  # the third key appeared without moving the timestamp
    assert service.key_ids(SLUG) == ("key-1", "key-2", "key-3")
    assert service.key_ids("no-such-issuer") == ()


def test_issuers_are_kept_apart_and_slugs_cannot_escape_the_directory(tmp_path: Path) -> None:
    keystore = Keystore(tmp_path, b"correct horse")
    a = keystore.load_or_create("district-a", "did:web:example.org:issuers:district-a")
    b = keystore.load_or_create("district-b", "did:web:example.org:issuers:district-b")
    assert a.public_key != b.public_key
    assert keystore.issuers() == ["district-a", "district-b"]
    for bad in ("../escape", "a/b", "", "UPPER", ".hidden"):
        with pytest.raises(KeystoreError):
            keystore.load_or_create(bad, DID)


def test_dev_passphrase_is_generated_once_0600_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(keys_dir=tmp_path / "keys")
    with caplog.at_level(logging.WARNING, logger="mcbadge.keystore"):
        key = keystore_from_settings(settings).load_or_create(SLUG, DID)
    passphrase_file = tmp_path / "keys" / ".passphrase"
    assert stat.S_IMODE(passphrase_file.stat().st_mode) == 0o600
    assert "MCBADGE_KEY_PASSPHRASE" in caplog.text
    assert passphrase_file.read_text().strip() not in caplog.text
    # A second start reuses the same passphrase, so the key still decrypts.
    assert keystore_from_settings(settings).load_or_create(SLUG, DID).public_key == key.public_key


def test_configured_passphrase_is_used_and_no_passphrase_file_is_written(tmp_path: Path) -> None:
    settings = Settings(keys_dir=tmp_path / "keys", key_passphrase="from-the-secret-store")
    keystore_from_settings(settings).load_or_create(SLUG, DID)
    assert not (tmp_path / "keys" / ".passphrase").exists()
    assert "from-the-secret-store" not in repr(settings)
    Keystore(tmp_path / "keys", b"from-the-secret-store").load_or_create(SLUG, DID)


def test_a_sealing_key_comes_from_the_passphrase_and_the_purpose(tmp_path: Path) -> None:
    key = Keystore(tmp_path, "correct horse").sealing_key("ob-connection tokens")
    assert len(key) == 32
    assert Keystore(tmp_path / "elsewhere", b"correct horse").sealing_key("ob-connection tokens") == key
    assert Keystore(tmp_path, "correct horse").sealing_key("another purpose") != key
    assert Keystore(tmp_path, "battery staple").sealing_key("ob-connection tokens") != key
    with pytest.raises(KeystoreError):
        Keystore(tmp_path, None).sealing_key("ob-connection tokens")
