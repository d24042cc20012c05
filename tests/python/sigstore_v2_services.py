"""Local stand-ins for a Rekor v2 log and an RFC 3161 timestamp authority.

Served over HTTP on 127.0.0.1 (an ephemeral port), both on one server:

* ``POST /api/v2/log/entries`` - Rekor v2. Accepts a
  ``hashedRekordRequestV002`` the way the real service does: the digest
  must be a SHA-256, the verifier exactly one certificate or public key
  whose type matches ``keyDetails``, and the signature must verify over
  the digest, or the request is refused (400). The canonical entry body is
  appended to an RFC 6962 Merkle tree; the reply is a
  ``TransparencyLogEntry`` with an inclusion proof and a C2SP signed-note
  checkpoint (Ed25519, key ID SHA-256(origin || 0x0A || 0x01 || key)), and
  no SET and no integrated time. The checkpoint origin is the log's
  host:port, as a real log's is its host name.
* ``POST /api/v1/timestamp`` - an RFC 3161 TSA: a DER ``TimeStampReq``
  (``application/timestamp-query``) in, a ``TimeStampResp`` whose token is
  CMS SignedData over a TSTInfo (signed attributes with the message digest
  and an ESS signing-certificate-v2) out, signed with an ECDSA P-384 key
  whose certificate carries the critical timeStamping EKU and chains to a
  local root.

Usage: ``python sigstore_v2_services.py TRUST.json``. Writes the trust
material for both services (trusted-root ``tlogs`` and
``timestampAuthorities`` entries) to TRUST.json, prints one JSON line
``{"url": ...}`` and serves until killed. ``--tsa-status N`` makes the TSA
answer every request with PKIStatus N and no token (a refusing TSA).
"""

import base64
import datetime
import hashlib
import json
import secrets
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, utils
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = datetime.datetime.now(datetime.timezone.utc)
VALID_FROM = NOW - datetime.timedelta(days=1)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# --- RFC 6962 Merkle tree ------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than n."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves: list) -> bytes:
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def path(m: int, leaves: list) -> list:
    """RFC 6962 section 2.1.1: the audit path of leaf m, bottom up."""
    if len(leaves) == 1:
        return []
    k = split(len(leaves))
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


# --- Rekor v2 ------------------------------------------------------------


class RekorV2:
    def __init__(self, origin: str):
        # Rekor v2's origin is its host, which clients find in the base URL.
        self.ORIGIN = origin
        self.key = ed25519.Ed25519PrivateKey.generate()
        raw = self.key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.spki = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.key_id = hashlib.sha256(self.ORIGIN.encode() + b"\n\x01" + raw).digest()
        self.leaves = []

    def trust(self, url: str) -> dict:
        return {
            "baseUrl": url,
            "hashAlgorithm": "SHA2_256",
            "publicKey": {
                "rawBytes": b64(self.spki),
                "keyDetails": "PKIX_ED25519",
                "validFor": {"start": VALID_FROM.strftime("%Y-%m-%dT%H:%M:%SZ")},
            },
            "logId": {"keyId": b64(self.key_id)},
        }

    def checkpoint(self, size: int, root: bytes) -> str:
        note = f"{self.ORIGIN}\n{size}\n{b64(root)}\n"
        signature = self.key.sign(note.encode())
        return f"{note}\n\u2014 {self.ORIGIN} {b64(self.key_id[:4] + signature)}\n"

    def add(self, request: dict) -> dict:
        """Validate and log a create-entry request; raises ValueError."""
        if set(request) != {"hashedRekordRequestV002"}:
            raise ValueError("expected exactly hashedRekordRequestV002 (Rekor v2 logs DSSE as hashedrekord)")
        req = request["hashedRekordRequestV002"]
        if set(req) != {"digest", "signature"}:
            raise ValueError("hashedRekordRequestV002: digest and signature are required")
        digest = base64.b64decode(req["digest"], validate=True)
        if len(digest) != 32:
            raise ValueError("digest: expected a SHA-256 digest")
        sig = req["signature"]
        if set(sig) != {"content", "verifier"}:
            raise ValueError("signature: content and verifier are required")
        content = base64.b64decode(sig["content"], validate=True)
        verifier = sig["verifier"]
        if verifier.get("keyDetails") != "PKIX_ECDSA_P256_SHA_256":
            raise ValueError(f"unsupported keyDetails {verifier.get('keyDetails')!r}")
        kinds = [k for k in ("x509Certificate", "publicKey") if k in verifier]
        if len(kinds) != 1 or set(verifier) != {"keyDetails", kinds[0]} or set(verifier[kinds[0]]) != {"rawBytes"}:
            raise ValueError("verifier: exactly one of x509Certificate or publicKey, with rawBytes")
        raw = base64.b64decode(verifier[kinds[0]]["rawBytes"], validate=True)
        if kinds[0] == "x509Certificate":
            public_key = x509.load_der_x509_certificate(raw).public_key()
        else:
            public_key = serialization.load_der_public_key(raw)
        if not isinstance(public_key, ec.EllipticCurvePublicKey) or public_key.curve.name != "secp256r1":
            raise ValueError("the verifier's key is not ECDSA P-256 as keyDetails says")
        try:
            public_key.verify(content, digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
        except InvalidSignature:
            raise ValueError("the signature does not verify against the verifier and digest")
        body = {
            "apiVersion": "0.0.2",
            "kind": "hashedrekord",
            "spec": {
                "hashedRekordV002": {
                    "data": {"algorithm": "SHA2_256", "digest": b64(digest)},
                    "signature": {"content": b64(content), "verifier": verifier},
                }
            },
        }
        # RFC 8785 for this body: sorted keys, no whitespace, ASCII strings.
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
        self.leaves.append(leaf_hash(canonical))
        index = len(self.leaves) - 1
        size = len(self.leaves)
        root = mth(self.leaves)
        return {
            "logIndex": str(index),
            "logId": {"keyId": b64(self.key_id)},
            "kindVersion": {"kind": "hashedrekord", "version": "0.0.2"},
            "inclusionProof": {
                "logIndex": str(index),
                "rootHash": b64(root),
                "treeSize": str(size),
                "hashes": [b64(h) for h in path(index, self.leaves)],
                "checkpoint": {"envelope": self.checkpoint(size, root)},
            },
            "canonicalizedBody": b64(canonical),
        }


# --- RFC 3161 TSA --------------------------------------------------------


def name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "tollgate.test"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


class Tsa:
    POLICY = "1.3.6.1.4.1.57264.2"

    def __init__(self, refuse_status=None):
        self.refuse_status = refuse_status
        root_key = ec.generate_private_key(ec.SECP384R1())
        self.key = ec.generate_private_key(ec.SECP384R1())
        not_after = NOW + datetime.timedelta(days=365)
        self.root = (
            x509.CertificateBuilder()
            .subject_name(name("tollgate-test-tsa-root"))
            .issuer_name(name("tollgate-test-tsa-root"))
            .public_key(root_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(VALID_FROM)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .sign(root_key, hashes.SHA384())
        )
        self.leaf = (
            x509.CertificateBuilder()
            .subject_name(name("tollgate-test-tsa"))
            .issuer_name(self.root.subject)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(VALID_FROM)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .sign(root_key, hashes.SHA384())
        )
        self.leaf_der = self.leaf.public_bytes(serialization.Encoding.DER)
        self.root_der = self.root.public_bytes(serialization.Encoding.DER)

    def trust(self, url: str) -> dict:
        return {
            "subject": {"organization": "tollgate.test", "commonName": "tollgate-test-tsa"},
            "uri": url + "/api/v1/timestamp",
            "certChain": {"certificates": [{"rawBytes": b64(self.leaf_der)}, {"rawBytes": b64(self.root_der)}]},
            "validFor": {"start": VALID_FROM.strftime("%Y-%m-%dT%H:%M:%SZ")},
        }

    @staticmethod
    def refusal(status: int, fail_bit: str = None) -> bytes:
        info = {"status": status}
        if fail_bit:
            info["fail_info"] = tsp.PKIFailureInfo({fail_bit})
        # TimeStampResp with no token (asn1crypto insists on the field).
        status_der = tsp.PKIStatusInfo(info).dump()
        return core.Sequence.load(bytes([0x30, len(status_der)]) + status_der).dump()

    def respond(self, der: bytes) -> bytes:
        if self.refuse_status is not None:
            return self.refusal(self.refuse_status, "system_failure")
        try:
            req = tsp.TimeStampReq.load(der, strict=True)
            version = req["version"].native
            imprint = req["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].native
            digest = imprint["hashed_message"].native
        except (ValueError, TypeError):
            return self.refusal(2, "bad_data_format")
        if version != "v1":
            return self.refusal(2, "bad_request")
        if algorithm != "sha256" or len(digest) != 32:
            return self.refusal(2, "bad_alg")
        tst = {
            "version": "v1",
            "policy": self.POLICY,
            "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": digest},
            "serial_number": secrets.randbits(64),
            "gen_time": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0),
            "accuracy": {"seconds": 1},
        }
        if req["nonce"].native is not None:
            tst["nonce"] = req["nonce"].native
        tst_der = tsp.TSTInfo(tst).dump()
        leaf = asn1_x509.Certificate.load(self.leaf_der)
        signed_attrs = cms.CMSAttributes(
            [
                cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
                cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha384(tst_der).digest()]}),
                cms.CMSAttribute(
                    {
                        "type": "signing_certificate_v2",
                        "values": [
                            {
                                "certs": [
                                    {
                                        "hash_algorithm": {"algorithm": "sha256"},
                                        "cert_hash": hashlib.sha256(self.leaf_der).digest(),
                                    }
                                ]
                            }
                        ],
                    }
                ),
            ]
        )
        signature = self.key.sign(signed_attrs.dump(), ec.ECDSA(hashes.SHA384()))
        signer = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    {
                        "issuer_and_serial_number": {
                            "issuer": leaf.issuer,
                            "serial_number": leaf.serial_number,
                        }
                    }
                ),
                "digest_algorithm": {"algorithm": "sha384"},
                "signed_attrs": signed_attrs,
                "signature_algorithm": {"algorithm": "sha384_ecdsa"},
                "signature": signature,
            }
        )
        signed_data = cms.SignedData(
            {
                "version": "v3",
                "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha384"})],
                "encap_content_info": {"content_type": "tst_info", "content": tsp.TSTInfo.load(tst_der)},
                "certificates": [leaf] if req["cert_req"].native else [],
                "signer_infos": [signer],
            }
        )
        token = cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
        return tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token}).dump()


# --- HTTP ----------------------------------------------------------------


def serve(trust_path: str, refuse_status=None) -> None:
    tsa = Tsa(refuse_status)
    rekor = None  # created once the port is known (its origin names it)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def reply(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            data = self.rfile.read(length)
            if self.path == "/api/v2/log/entries":
                try:
                    entry = rekor.add(json.loads(data))
                except (ValueError, KeyError, TypeError, AttributeError) as e:
                    self.reply(400, json.dumps({"code": 3, "message": str(e)}).encode(), "application/json")
                    return
                self.reply(201, json.dumps(entry).encode(), "application/json")
            elif self.path == "/api/v1/timestamp":
                if self.headers.get("Content-Type") != "application/timestamp-query":
                    self.reply(415, b"expected application/timestamp-query", "text/plain")
                    return
                self.reply(200, tsa.respond(data), "application/timestamp-reply")
            else:
                self.reply(404, b"not found", "text/plain")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    rekor = RekorV2(f"127.0.0.1:{server.server_address[1]}")
    with open(trust_path, "w") as f:
        json.dump({"tlogs": [rekor.trust(url)], "timestampAuthorities": [tsa.trust(url)]}, f, indent=2)
    print(json.dumps({"url": url}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    args = sys.argv[1:]
    refuse = None
    if args[:1] == ["--tsa-status"]:
        refuse = int(args[1])
        args = args[2:]
    serve(args[0], refuse)
