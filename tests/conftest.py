import random

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519


@pytest.fixture
def rng() -> random.Random:
    return random.Random(20261123)


@pytest.fixture(scope="session")
def hub_sealing_key() -> x25519.X25519PrivateKey:
    return x25519.X25519PrivateKey.from_private_bytes(bytes(range(32)))


@pytest.fixture(scope="session")
def device_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


@pytest.fixture(scope="session")
def hub_signing_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(2, 34)))
