"""A supply chain made with the in-toto reference implementation (in-toto
3.x, securesystemslib 1.x), for tests/intoto_cli.rs: keys written as
PKCS#8 / SPKI PEM, and a root layout signed by the owner.

usage: intoto_layout.py DIR [EXPIRES]

DIR gets owner (ECDSA P-256), alice (Ed25519) and bob (ECDSA P-256)
key pairs as NAME.pem / NAME.pub, and root.layout: `build` (alice) turns
src/ into app.tar, `review` (bob) signs off on that app.tar, and the
`untar` inspection checks that app.tar unpacks to what was built.
EXPIRES (YYYY-MM-DDTHH:MM:SSZ) defaults to four months from now.
"""
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from in_toto.models.layout import Inspection, Layout, Step
from in_toto.models.metadata import Metablock
from securesystemslib.signer import CryptoSigner

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)


def keypair(name, private_key):
    (out / f"{name}.pem").write_bytes(
        private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (out / f"{name}.pub").write_bytes(
        private_key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
    )
    return CryptoSigner(private_key)


owner = keypair("owner", ec.generate_private_key(ec.SECP256R1()))
alice = keypair("alice", ed25519.Ed25519PrivateKey.generate())
bob = keypair("bob", ec.generate_private_key(ec.SECP256R1()))

layout = Layout()
for signer in (alice, bob):
    key = signer.public_key.to_dict()
    key["keyid"] = signer.public_key.keyid
    layout.keys[key["keyid"]] = key
if len(sys.argv) > 2:
    layout.expires = sys.argv[2]
else:
    layout.set_relative_expiration(months=4)

build = Step(name="build")
build.pubkeys = [alice.public_key.keyid]
build.expected_command = ["tar", "cf", "app.tar", "src"]
build.expected_materials = [["ALLOW", "src/*"], ["DISALLOW", "*"]]
build.expected_products = [["CREATE", "app.tar"], ["DISALLOW", "*"]]

review = Step(name="review")
review.pubkeys = [bob.public_key.keyid]
review.expected_materials = [
    ["MATCH", "app.tar", "WITH", "PRODUCTS", "FROM", "build"],
    ["DISALLOW", "*"],
]

untar = Inspection(name="untar")
untar.run = ["tar", "xf", "app.tar"]
untar.expected_materials = [
    ["MATCH", "app.tar", "WITH", "PRODUCTS", "FROM", "build"],
    ["ALLOW", "*.pub"],
    ["ALLOW", "root.layout"],
    ["DISALLOW", "*"],
]
untar.expected_products = [
    ["MATCH", "src/*", "WITH", "MATERIALS", "FROM", "build"],
    ["ALLOW", "app.tar"],
    ["ALLOW", "*.pub"],
    ["ALLOW", "root.layout"],
    ["DISALLOW", "*"],
]

layout.steps = [build, review]
layout.inspect = [untar]
metablock = Metablock(signed=layout)
metablock.create_signature(owner)
metablock.dump(str(out / "root.layout"))
