#!/usr/bin/env python3
"""restic-history.py: grow a restic 0.14 repository's history fast.

    restic-history.py REPO N        (password in $RESTIC_PASSWORD)

Adds N copies of the latest snapshot, each one second later than the one
before, written as restic writes snapshot files: the JSON encrypted with
the repository's master key (AES-256-CTR, Poly1305-AES over the
ciphertext), named by the SHA-256 of the file.  A thousand real backups
take many minutes (each derives the key again); this takes seconds, and
restic reads the result like any other history (`restic check` agrees).
"""
import base64
import datetime
import glob
import hashlib
import json
import os
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

P1305 = (1 << 130) - 5
CLAMP = 0x0FFFFFFC0FFFFFFC0FFFFFFC0FFFFFFF


def aes_ctr(key, iv, data):
    c = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    return c.update(data) + c.finalize()


def mac(k, r, iv, msg):
    """restic's Poly1305-AES: s = AES-128_k(iv), r clamped."""
    e = Cipher(algorithms.AES(k), modes.ECB()).encryptor()
    s = int.from_bytes(e.update(iv) + e.finalize(), "little")
    rr = int.from_bytes(r, "little") & CLAMP
    acc = 0
    for i in range(0, len(msg), 16):
        acc = (acc + int.from_bytes(msg[i:i + 16] + b"\x01", "little")) * rr % P1305
    return ((acc + s) % (1 << 128)).to_bytes(16, "little")


def open_file(keys, data):
    ek, mk, mr = keys
    iv, ct, tag = data[:16], data[16:-16], data[-16:]
    if mac(mk, mr, iv, ct) != tag:
        sys.exit("restic-history.py: MAC mismatch (wrong password?)")
    return aes_ctr(ek, iv, ct)


def seal_file(keys, pt):
    ek, mk, mr = keys
    iv = os.urandom(16)
    ct = aes_ctr(ek, iv, pt)
    return iv + ct + mac(mk, mr, iv, ct)


def master_keys(repo, password):
    kf = json.load(open(sorted(glob.glob(repo + "/keys/*"))[0]))
    dk = hashlib.scrypt(password, salt=base64.b64decode(kf["salt"]), n=kf["N"],
                        r=kf["r"], p=kf["p"], dklen=64, maxmem=1 << 30)
    m = json.loads(open_file((dk[:32], dk[32:48], dk[48:]), base64.b64decode(kf["data"])))
    b = base64.b64decode
    return b(m["encrypt"]), b(m["mac"]["k"]), b(m["mac"]["r"])


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: restic-history.py REPO N")
    repo, n = sys.argv[1], int(sys.argv[2])
    keys = master_keys(repo, os.environ["RESTIC_PASSWORD"].encode())
    snaps = []
    for f in glob.glob(repo + "/snapshots/*"):
        pt = open_file(keys, open(f, "rb").read())
        if pt[:1] == b"\x02":
            sys.exit("restic-history.py: compressed snapshot files: init with --repository-version 1")
        snaps.append(json.loads(pt))
    base = max(snaps, key=lambda s: s["time"])
    t0 = datetime.datetime.now(datetime.timezone.utc)
    for i in range(n):
        s = dict(base)
        s["time"] = (t0 + datetime.timedelta(seconds=i + 1)).isoformat()
        data = seal_file(keys, json.dumps(s).encode())
        name = hashlib.sha256(data).hexdigest()
        with open(os.path.join(repo, "snapshots", name), "xb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
