"""The hub's two key pairs, kept in the data folder, readable only by their owner.

``signing.pem`` (Ed25519) signs every answer the hub gives; ``sealing.pem`` (X25519) opens the
personal data devices sealed to it. Losing the sealing key loses every sealed record: back the
keys folder up with the database.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519

from sync.sealing import sealing_key_to_text
from sync.signing import public_key_to_text


@dataclass(frozen=True)
class HubKeys:
    signing: ed25519.Ed25519PrivateKey
    sealing: x25519.X25519PrivateKey

    @property
    def signing_public_text(self) -> str:
        return public_key_to_text(self.signing.public_key())

    @property
    def sealing_public_text(self) -> str:
        return sealing_key_to_text(self.sealing.public_key())


def _write_private(path: Path, key: ed25519.Ed25519PrivateKey | x25519.X25519PrivateKey) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)


def create_keys(folder: Path) -> HubKeys:
    """Make both key pairs; refuses to overwrite existing ones."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    signing, sealing = ed25519.Ed25519PrivateKey.generate(), x25519.X25519PrivateKey.generate()
    _write_private(folder / "signing.pem", signing)
    _write_private(folder / "sealing.pem", sealing)
    return HubKeys(signing=signing, sealing=sealing)


def load_keys(folder: Path) -> HubKeys:
    """Load both key pairs from the data folder."""
    signing = serialization.load_pem_private_key((folder / "signing.pem").read_bytes(), None)
    sealing = serialization.load_pem_private_key((folder / "sealing.pem").read_bytes(), None)
    if not isinstance(signing, ed25519.Ed25519PrivateKey):
        raise ValueError(f"{folder / 'signing.pem'} is not an Ed25519 key")
    if not isinstance(sealing, x25519.X25519PrivateKey):
        raise ValueError(f"{folder / 'sealing.pem'} is not an X25519 key")
    return HubKeys(signing=signing, sealing=sealing)
