"""Real PEM certificates for tests (self-signed, EC P-256, made with ``cryptography``)."""

from __future__ import annotations

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def make_pem_certificate(
    common_name: str = "client.example.com",
    valid_from: datetime.datetime | None = None,
    days: int = 365,
) -> tuple[str, int, int]:
    """``(pem, valid_at, expires_at)``: a self-signed certificate and its validity in unix seconds."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    start = (valid_from or datetime.datetime.now(datetime.UTC)).replace(microsecond=0)
    end = start + datetime.timedelta(days=days)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    return pem, int(start.timestamp()), int(end.timestamp())
