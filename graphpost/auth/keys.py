"""The local issuer's RS256 signing key, generated into the data directory on first use."""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_FILE = "signing-key.pem"


class SigningKeyError(Exception):
    """The key cannot be made or read; the message names the file and the cause, for the operator."""


@dataclass(frozen=True)
class SigningKey:
    private_key: rsa.RSAPrivateKey
    kid: str

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.private_key.public_key()


def _kid(key: rsa.RSAPrivateKey) -> str:
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()[:15]).decode()


def load_or_create(data_dir: Path) -> SigningKey:
    path = data_dir / KEY_FILE
    if data_dir.exists() and not data_dir.is_dir():
        raise SigningKeyError(f"the data directory {data_dir} is a file, not a directory")
    if not path.exists():
        try:
            _create(data_dir, path)
        except OSError as exc:
            raise SigningKeyError(f"cannot create the signing key {path}: {exc.strerror}") from None
    try:
        pem = path.read_bytes()
    except OSError as exc:
        raise SigningKeyError(f"cannot read the signing key {path}: {exc.strerror}") from None
    key = _parse(pem)
    if key is None:
        raise SigningKeyError(f"{path} is not an unencrypted PEM RSA private key (move it away to have a new "
                              "key made; tokens signed with the old one then stop working)")
    return key


# Loading checks the RSA key's consistency (its primes), a tenth of a second or so: a process that
# opens the same key again (an app built per test, a CLI command run in-process) pays it once. Keyed
# by the file's bytes, so a replaced key is parsed anew.
@lru_cache(maxsize=8)
def _parse(pem: bytes) -> SigningKey | None:
    try:
        loaded = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        return None
    if not isinstance(loaded, rsa.RSAPrivateKey):
        return None
    return SigningKey(loaded, _kid(loaded))


def _create(data_dir: Path, path: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    # O_EXCL: two processes starting at once on a fresh data dir keep one key, not two.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
