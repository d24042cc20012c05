#!/usr/bin/env python3
"""An independent check of Tollgate's decision log, written from the texts:
RFC 9162 (Merkle tree hash, inclusion and consistency proof verification),
C2SP signed-note (key IDs, verifier keys, signature lines), C2SP
tlog-checkpoint, C2SP tlog-cosignature (cosignature/v1) and the tlog-witness
add-checkpoint request body. It shares no code with the Rust implementation;
Ed25519 comes from the `cryptography` package.

Usage:
  translog_check.py log LOG VKEY            recompute the tree; every checkpoint
                                            in LOG.checkpoints must be signed by
                                            VKEY and match the records
  translog_check.py inclusion PROOF VKEY    a `tollgate log prove` JSON proof
  translog_check.py consistency REQ OLD VKEY  a `tollgate log consistency` request
                                            from the checkpoint in file OLD
  translog_check.py cosigned NOTE VKEY WVKEY...  log signature and one valid
                                            cosignature/v1 per witness key

Exit 0 and "ok: ..." when everything verifies; exit 1 with "FAIL: ..." otherwise.
"""

import base64
import hashlib
import json
import struct
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

EM_DASH = "\u2014"


class Fail(Exception):
    pass


# --- RFC 9162 section 2.1.1 -------------------------------------------------

def sha256(data):
    return hashlib.sha256(data).digest()


def leaf_hash(entry):
    return sha256(b"\x00" + entry)


def node_hash(left, right):
    return sha256(b"\x01" + left + right)


def largest_power_of_two_below(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves, lo, hi, memo):
    """MTH(D[lo:hi]) over leaf hashes, as defined recursively in 2.1.1."""
    n = hi - lo
    if n == 0:
        return sha256(b"")
    if n == 1:
        return leaves[lo]
    key = (lo, hi)
    if key in memo:
        return memo[key]
    k = largest_power_of_two_below(n)
    h = node_hash(mth(leaves, lo, lo + k, memo), mth(leaves, lo + k, hi, memo))
    memo[key] = h
    return h


# --- RFC 9162 section 2.1.3.2 -----------------------------------------------

def verify_inclusion(leaf_index, tree_size, leaf, path, root):
    if leaf_index >= tree_size:
        raise Fail("leaf_index >= tree_size")
    fn, sn = leaf_index, tree_size - 1
    r = leaf
    for p in path:
        if sn == 0:
            raise Fail("inclusion proof too long")
        if fn & 1 == 1 or fn == sn:
            r = node_hash(p, r)
            if fn & 1 == 0:
                while not (fn & 1 == 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise Fail("inclusion proof too short")
    if r != root:
        raise Fail("inclusion proof does not reach the root")


# --- RFC 9162 section 2.1.4.2 -----------------------------------------------

def verify_consistency(first, second, first_hash, second_hash, path):
    if first > second:
        raise Fail("first > second")
    if first == second:
        if path or first_hash != second_hash:
            raise Fail("equal sizes need equal roots and an empty proof")
        return
    if first == 0:
        if path:
            raise Fail("a proof from the empty tree is empty")
        return
    if first & (first - 1) == 0:
        path = [first_hash] + list(path)
    if not path:
        raise Fail("empty consistency proof")
    fn, sn = first - 1, second - 1
    while fn & 1 == 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise Fail("consistency proof too long")
        if fn & 1 == 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if fn & 1 == 0:
                while not (fn & 1 == 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise Fail("consistency proof too short")
    if fr != first_hash or sr != second_hash:
        raise Fail("consistency proof does not reach both roots")


# --- C2SP signed-note, tlog-checkpoint, tlog-cosignature ---------------------

def parse_vkey(text):
    """<name>+<hex key id>+<base64(type || public key)>"""
    name, key_id_hex, b64 = text.strip().split("+", 2)
    raw = base64.b64decode(b64, validate=True)
    alg, pub = raw[0], raw[1:]
    if len(pub) != 32 or alg not in (0x01, 0x04):
        raise Fail("unsupported verifier key")
    expected = sha256(name.encode() + b"\n" + bytes([alg]) + pub)[:4]
    if expected.hex() != key_id_hex:
        raise Fail("verifier key ID mismatch")
    return {"name": name, "id": expected, "alg": alg, "key": Ed25519PublicKey.from_public_bytes(pub)}


def parse_note(text):
    if "\n\n" not in text:
        raise Fail("note has no blank line")
    i = text.index("\n\n")
    body, sig_block = text[: i + 1], text[i + 2 :]
    sigs = []
    for line in sig_block.splitlines():
        if not line.startswith(EM_DASH + " "):
            raise Fail("bad signature line: %r" % line)
        name, b64 = line[2:].split(" ", 1)
        raw = base64.b64decode(b64, validate=True)
        sigs.append((name, raw[:4], raw[4:]))
    return body, sigs


def note_signed_by(body, sigs, vkey):
    for name, key_id, sig in sigs:
        if name != vkey["name"] or key_id != vkey["id"]:
            continue
        try:
            if vkey["alg"] == 0x01:
                vkey["key"].verify(sig, body.encode())
                return True
            if vkey["alg"] == 0x04 and len(sig) == 72:
                (timestamp,) = struct.unpack(">Q", sig[:8])
                message = "cosignature/v1\ntime %d\n" % timestamp + body
                vkey["key"].verify(sig[8:], message.encode())
                return True
        except InvalidSignature:
            continue
    return False


def parse_checkpoint(body):
    lines = body.split("\n")
    origin, size, root = lines[0], lines[1], lines[2]
    if not origin or not size.isdigit() or (len(size) > 1 and size[0] == "0"):
        raise Fail("bad checkpoint body")
    root = base64.b64decode(root, validate=True)
    if len(root) != 32:
        raise Fail("root hash is not 32 bytes")
    return origin, int(size), root


def signed_checkpoint(text, vkey):
    body, sigs = parse_note(text)
    if not note_signed_by(body, sigs, vkey):
        raise Fail("checkpoint not signed by %s" % vkey["name"])
    return parse_checkpoint(body)


def split_notes(text):
    """A sidecar file: notes, each followed by a blank line."""
    notes, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        if lines[i] == "":
            i += 1
            continue
        body = []
        while i < len(lines) and lines[i] != "":
            body.append(lines[i])
            i += 1
        i += 1
        sigs = []
        while i < len(lines) and lines[i] != "":
            sigs.append(lines[i])
            i += 1
        notes.append("\n".join(body) + "\n\n" + "\n".join(sigs) + "\n")
    return notes


# --- commands ---------------------------------------------------------------

def cmd_log(log_path, vkey_path):
    vkey = parse_vkey(open(vkey_path).read())
    data = open(log_path, "rb").read()
    if data and not data.endswith(b"\n"):
        raise Fail("torn last record")
    entries = data.split(b"\n")[:-1] if data else []
    leaves = [leaf_hash(e) for e in entries]
    # Each record names its index and the previous record's leaf hash.
    prev = bytes(32)
    for i, e in enumerate(entries):
        rec = json.loads(e)
        if rec["index"] != i or bytes.fromhex(rec["prev"]) != prev:
            raise Fail("record %d: index or prev wrong" % i)
        prev = leaves[i]
    checkpoints = split_notes(open(log_path + ".checkpoints", encoding="utf-8").read())
    if not checkpoints:
        raise Fail("no checkpoint")
    memo = {}
    last = 0
    for text in checkpoints:
        origin, size, root = signed_checkpoint(text, vkey)
        if size < last or size > len(leaves):
            raise Fail("checkpoint size %d out of order or beyond the log" % size)
        if mth(leaves, 0, size, memo) != root:
            raise Fail("checkpoint of size %d does not match the records" % size)
        last = size
    if last != len(leaves):
        raise Fail("records beyond the last checkpoint")
    print("ok: %d records, %d checkpoints, root %s" % (len(leaves), len(checkpoints), base64.b64encode(mth(leaves, 0, len(leaves), memo)).decode()))


def cmd_inclusion(proof_path, vkey_path):
    vkey = parse_vkey(open(vkey_path).read())
    p = json.load(open(proof_path))
    origin, size, root = signed_checkpoint(p["checkpoint"], vkey)
    if size != p["treeSize"]:
        raise Fail("proof and checkpoint sizes differ")
    leaf = leaf_hash(p["recordLine"].encode())
    if leaf.hex() != p["leafHash"]:
        raise Fail("leafHash is not SHA-256(0x00 || record)")
    path = [base64.b64decode(h) for h in p["proof"]]
    verify_inclusion(p["index"], size, leaf, path, root)
    print("ok: record %d is in %s at size %d" % (p["index"], origin, size))


def cmd_consistency(req_path, old_path, vkey_path):
    vkey = parse_vkey(open(vkey_path).read())
    text = open(req_path, encoding="utf-8").read()
    head, note = text.split("\n\n", 1)
    lines = head.split("\n")
    if not lines[0].startswith("old "):
        raise Fail("request does not start with `old N`")
    old_size = int(lines[0][4:])
    path = [base64.b64decode(l, validate=True) for l in lines[1:] if l]
    origin, size, root = signed_checkpoint(note, vkey)
    o_origin, o_size, o_root = signed_checkpoint(open(old_path, encoding="utf-8").read(), vkey)
    if o_origin != origin or o_size != old_size:
        raise Fail("request is not from the old checkpoint")
    verify_consistency(o_size, size, o_root, root, path)
    print("ok: size %d extends size %d" % (size, o_size))


def cmd_cosigned(note_path, vkey_path, *witness_paths):
    vkey = parse_vkey(open(vkey_path).read())
    text = open(note_path, encoding="utf-8").read()
    origin, size, root = signed_checkpoint(text, vkey)
    body, sigs = parse_note(text)
    for w in witness_paths:
        wkey = parse_vkey(open(w).read())
        if wkey["alg"] != 0x04 or not note_signed_by(body, sigs, wkey):
            raise Fail("no valid cosignature/v1 by %s" % wkey["name"])
    print("ok: %s size %d cosigned by %d witness(es)" % (origin, size, len(witness_paths)))


def main(argv):
    commands = {"log": cmd_log, "inclusion": cmd_inclusion, "consistency": cmd_consistency, "cosigned": cmd_cosigned}
    if len(argv) < 2 or argv[1] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        commands[argv[1]](*argv[2:])
    except (Fail, ValueError, KeyError, IndexError) as e:
        print("FAIL: %s" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
