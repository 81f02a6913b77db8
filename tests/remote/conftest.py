"""Fixtures for remote app-servers: a listening server (ws or unix), TLS material, a relay."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from codex_app_server import AppServerConfig, AppServerProcess, start_listening_server

from .relay import Relay


@pytest.fixture(params=["ws", "unix"])
def server(
    request: pytest.FixtureRequest, codex_config: AppServerConfig
) -> Iterator[AppServerProcess]:
    """A listening app-server on ws://127.0.0.1:<port> (with a token) or a Unix socket."""
    listen = "ws://127.0.0.1:0" if request.param == "ws" else "unix://"
    with start_listening_server(codex_config, listen=listen) as srv:
        yield srv


@pytest.fixture
def ws_server(codex_config: AppServerConfig) -> Iterator[AppServerProcess]:
    with start_listening_server(codex_config) as srv:
        yield srv


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/", 1)[0])


@pytest.fixture
def relay(ws_server: AppServerProcess) -> Iterator[Relay]:
    """A TCP relay in front of `ws_server` that the test can drop."""
    r = Relay(("127.0.0.1", port_of(ws_server.url or "")))
    yield r
    r.close()


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1/localhost and its key (PEM files)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "codex-test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def tls_relay(ws_server: AppServerProcess, tls_files: tuple[Path, Path]) -> Iterator[Relay]:
    """A TLS-terminating relay (wss://127.0.0.1:<port>) in front of the plain ws server."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*tls_files)
    r = Relay(("127.0.0.1", port_of(ws_server.url or "")), ssl_context=context)
    yield r
    r.close()
