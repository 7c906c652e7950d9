"""A throwaway certificate authority for the emulator's HTTPS endpoint.

Each emulator (or each local-EKS run, which may share one CA between clusters) gets a fresh
ECDSA P-256 CA and a server certificate for ``127.0.0.1``/``localhost``. Clients verify the
server against :attr:`CertificateAuthority.ca_pem`, exactly as they verify a real EKS cluster
against ``certificateAuthority.data``. ``cryptography`` is imported lazily, so importing this
module costs nothing when no emulator is started.
"""

from __future__ import annotations

import base64
import datetime as _dt
import ipaddress
import os
import ssl
import tempfile
from dataclasses import dataclass
from typing import Any

__all__ = ["CertificateAuthority", "ServerCertificate"]

_DEFAULT_HOSTS = ("127.0.0.1", "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc")


@dataclass(frozen=True, slots=True)
class ServerCertificate:
    """A server certificate and its private key, both PEM."""

    cert_pem: str
    key_pem: str
    chain_pem: str

    def ssl_context(self) -> ssl.SSLContext:
        """A server-side TLS context (TLS 1.2+, HTTP/1.1 only) holding this certificate."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_alpn_protocols(["http/1.1"])
        # load_cert_chain only reads files: write to a private directory and remove it at once.
        with tempfile.TemporaryDirectory(prefix="aslrun-kube-tls-") as tmp:
            os.chmod(tmp, 0o700)
            cert_path = os.path.join(tmp, "tls.crt")
            key_path = os.path.join(tmp, "tls.key")
            with open(cert_path, "w", encoding="ascii") as fh:
                fh.write(self.chain_pem)
            fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(self.key_pem)
            ctx.load_cert_chain(cert_path, key_path)
        return ctx


class CertificateAuthority:
    """A self-signed CA that issues server certificates.

    >>> ca = CertificateAuthority.generate()            # doctest: +SKIP
    >>> ctx = ca.issue_server_cert().ssl_context()      # doctest: +SKIP
    """

    def __init__(self, key: Any, cert: Any) -> None:
        self._key = key
        self._cert = cert

    def __repr__(self) -> str:
        return f"<CertificateAuthority {self._cert.subject.rfc4514_string()}>"

    @classmethod
    def generate(cls, common_name: str = "aslrun-kube-ca") -> CertificateAuthority:
        """Create a new CA valid for ten years."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = _dt.datetime.now(_dt.UTC)
        ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _dt.timedelta(hours=1))
            .not_valid_after(now + _dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True, content_commitment=False, key_encipherment=False,
                    data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                    encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(ski, critical=False)
            .sign(key, hashes.SHA256())
        )
        return cls(key, cert)

    @property
    def ca_pem(self) -> str:
        """The CA certificate, PEM (what clients trust)."""
        from cryptography.hazmat.primitives.serialization import Encoding

        return str(self._cert.public_bytes(Encoding.PEM).decode("ascii"))

    @property
    def ca_b64(self) -> str:
        """The CA certificate PEM in base64: EKS ``certificateAuthority.data`` and kubeconfig form."""
        return base64.b64encode(self.ca_pem.encode("ascii")).decode("ascii")

    def issue_server_cert(self, hosts: tuple[str, ...] = _DEFAULT_HOSTS, days: int = 365) -> ServerCertificate:
        """Issue a TLS server certificate whose SANs are ``hosts`` (IP addresses or DNS names)."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        sans: list[x509.GeneralName] = []
        for host in hosts:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                sans.append(x509.DNSName(host))
        now = _dt.datetime.now(_dt.UTC)
        ca_ski = self._cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
            .issuer_name(self._cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _dt.timedelta(hours=1))
            .not_valid_after(now + _dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True, content_commitment=False, key_encipherment=True,
                    data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                    encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode("ascii")
        return ServerCertificate(cert_pem=cert_pem, key_pem=key_pem, chain_pem=cert_pem)
