#!/usr/bin/python3
"""Test certificates for the postern test smarthost.

What it does
    Creates, in one directory, a throw-away test PKI made at test time:

      ca.pem, ca.key                   the test CA (trust anchor for tests)
      server-good.pem/.key             CA-signed; localhost, 127.0.0.1, ::1
      server-selfsigned.pem/.key       same names, but self-signed (not CA-signed)
      server-wronghost.pem/.key        CA-signed, but only for wrong.example
      server-expired.pem/.key          CA-signed, validity ended in the past
      server-notyetvalid.pem/.key      CA-signed, validity starts in the future
      client.pem, client.key           CA-signed client certificate
                                       (CN=postern-test-client, clientAuth)
      client-untrusted.pem/.key        self-signed client certificate
      certs.done                       written last; marks a complete set

    Keys are unencrypted PEM (PKCS#8), mode 0600.  Every file is written
    atomically (temporary name, then rename).

Interface
    As a library:
        ensure_certs(directory, key_type="ec") -> dict
            Reuses a complete set already in `directory` (certs.done present),
            otherwise generates a fresh one.  Returns a dict of paths:
            {"ca": ..., "ca_key": ..., "client": ..., "client_key": ...,
             "client_untrusted": ..., "client_untrusted_key": ...,
             "server": {KIND: (cert_path, key_path), ...}}
        generate(directory, key_type="ec") -> dict
            Always generates a fresh set (same return value).
        server_paths(directory, kind) -> (cert_path, key_path)
        SERVER_KINDS: the tuple of valid KIND names
            ("good", "selfsigned", "wronghost", "expired", "notyetvalid").
    As a command:
        testcerts.py DIR [--key-type ec|rsa] [--force]
            Ensures (or with --force regenerates) the set in DIR and prints
            the path dict as JSON on stdout.

How it fails
    Raises (library) or exits non-zero with a Python traceback (command) when
    the cryptography package is missing or DIR cannot be written.  A set is
    only reused when certs.done exists, so an interrupted generation is
    simply redone.
"""

import argparse
import datetime
import ipaddress
import json
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SERVER_KINDS = ("good", "selfsigned", "wronghost", "expired", "notyetvalid")
GOOD_NAMES = ("localhost",)
GOOD_IPS = ("127.0.0.1", "::1")
WRONG_HOST = "wrong.example"
CLIENT_CN = "postern-test-client"
DONE_MARKER = "certs.done"


def _new_key(key_type):
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError("key_type must be 'ec' or 'rsa', not %r" % (key_type,))


def _name(cn, org="postern test PKI"):
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def _write_atomic(path, data, mode=0o644):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    os.rename(tmp, path)


def _write_pair(directory, stem, cert, key):
    cert_path = os.path.join(directory, stem + ".pem")
    key_path = os.path.join(directory, stem + ".key")
    _write_atomic(key_path, key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()), 0o600)
    _write_atomic(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def _leaf(subject, key, issuer_name, issuer_key, *, dns=(), ips=(),
          not_before, not_after, client=False, issuer_cert=None):
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer_name)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(not_before)
               .not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None),
                              critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(
                   key.public_key()), critical=False))
    if issuer_cert is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuer_cert.public_key()), critical=False)
    if isinstance(key, rsa.RSAPrivateKey):
        usage = dict(digital_signature=True, key_encipherment=True)
    else:
        usage = dict(digital_signature=True, key_encipherment=False)
    builder = builder.add_extension(x509.KeyUsage(
        content_commitment=False, data_encipherment=False,
        key_agreement=False, key_cert_sign=False, crl_sign=False,
        encipher_only=False, decipher_only=False, **usage), critical=True)
    eku = [ExtendedKeyUsageOID.CLIENT_AUTH] if client else \
        [ExtendedKeyUsageOID.SERVER_AUTH]
    builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    sans = [x509.DNSName(d) for d in dns] + \
        [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans),
                                        critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def server_paths(directory, kind):
    """Return (cert_path, key_path) of the server certificate KIND."""
    if kind not in SERVER_KINDS:
        raise ValueError("unknown server certificate kind %r (one of %s)"
                         % (kind, ", ".join(SERVER_KINDS)))
    stem = os.path.join(directory, "server-" + kind)
    return stem + ".pem", stem + ".key"


def _paths(directory):
    j = os.path.join
    return {
        "ca": j(directory, "ca.pem"),
        "ca_key": j(directory, "ca.key"),
        "client": j(directory, "client.pem"),
        "client_key": j(directory, "client.key"),
        "client_untrusted": j(directory, "client-untrusted.pem"),
        "client_untrusted_key": j(directory, "client-untrusted.key"),
        "server": {k: server_paths(directory, k) for k in SERVER_KINDS},
    }


def generate(directory, key_type="ec"):
    """Generate a complete fresh set in DIRECTORY; return the path dict."""
    os.makedirs(directory, exist_ok=True)
    marker = os.path.join(directory, DONE_MARKER)
    try:
        os.unlink(marker)
    except FileNotFoundError:
        pass

    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    day = datetime.timedelta(days=1)
    valid = dict(not_before=now - day, not_after=now + 30 * day)

    # Test CA.
    ca_key = _new_key(key_type)
    ca_name = _name("postern test CA")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (x509.CertificateBuilder()
               .subject_name(ca_name)
               .issuer_name(ca_name)
               .public_key(ca_key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - 2 * day)
               .not_valid_after(now + 60 * day)
               .add_extension(x509.BasicConstraints(ca=True, path_length=0),
                              critical=True)
               .add_extension(x509.KeyUsage(
                   digital_signature=False, content_commitment=False,
                   key_encipherment=False, data_encipherment=False,
                   key_agreement=False, key_cert_sign=True, crl_sign=True,
                   encipher_only=False, decipher_only=False), critical=True)
               .add_extension(ca_ski, critical=False)
               .sign(ca_key, hashes.SHA256()))
    _write_pair(directory, "ca", ca_cert, ca_key)

    def signed(cn, **kw):
        key = _new_key(key_type)
        cert = _leaf(_name(cn), key, ca_name, ca_key, issuer_cert=ca_cert,
                     **kw)
        return cert, key

    good = dict(dns=GOOD_NAMES, ips=GOOD_IPS)
    cert, key = signed("localhost", **good, **valid)
    _write_pair(directory, "server-good", cert, key)

    cert, key = signed(WRONG_HOST, dns=(WRONG_HOST,), **valid)
    _write_pair(directory, "server-wronghost", cert, key)

    cert, key = signed("localhost", **good,
                       not_before=now - 60 * day, not_after=now - 2 * day)
    _write_pair(directory, "server-expired", cert, key)

    cert, key = signed("localhost", **good,
                       not_before=now + 10 * day, not_after=now + 40 * day)
    _write_pair(directory, "server-notyetvalid", cert, key)

    # Self-signed: same names as "good", but its own issuer.
    ss_key = _new_key(key_type)
    ss_name = _name("localhost", org="postern self-signed")
    ss_cert = _leaf(ss_name, ss_key, ss_name, ss_key, **good, **valid)
    _write_pair(directory, "server-selfsigned", ss_cert, ss_key)

    cert, key = signed(CLIENT_CN, client=True, **valid)
    _write_pair(directory, "client", cert, key)

    cu_key = _new_key(key_type)
    cu_name = _name(CLIENT_CN, org="postern untrusted")
    cu_cert = _leaf(cu_name, cu_key, cu_name, cu_key, client=True, **valid)
    _write_pair(directory, "client-untrusted", cu_cert, cu_key)

    _write_atomic(marker, (key_type + "\n").encode())
    return _paths(directory)


def ensure_certs(directory, key_type="ec"):
    """Reuse a complete set in DIRECTORY, or generate one; return paths."""
    marker = os.path.join(directory, DONE_MARKER)
    if os.path.exists(marker):
        paths = _paths(directory)
        files = [paths["ca"], paths["client"], paths["client_key"]]
        for cert, key in paths["server"].values():
            files += [cert, key]
        if all(os.path.exists(f) for f in files):
            return paths
    return generate(directory, key_type)


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Create the test CA, server and client certificates.")
    ap.add_argument("dir", help="directory to write the certificates into")
    ap.add_argument("--key-type", choices=("ec", "rsa"), default="ec",
                    help="key algorithm (default: ec, P-256)")
    ap.add_argument("--force", action="store_true",
                    help="regenerate even if a complete set exists")
    args = ap.parse_args(argv)
    if args.force:
        paths = generate(args.dir, args.key_type)
    else:
        paths = ensure_certs(args.dir, args.key_type)
    json.dump(paths, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
