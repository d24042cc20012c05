#!/usr/bin/env python3
"""How the decision log's write-ahead file makes a batch durable, two ways,
in the same run: `pwrite` + `fdatasync` (the page-cache path) against one
`O_DIRECT | O_DSYNC` write of whole 4 KiB blocks (the same data sync per write as the `O_DIRECT` + `RWF_DSYNC` writes of `verifier/src/log/wal.rs`
where the file system allows it). Both overwrite blocks of a file
written full of zeros beforehand, as `LOG.wal` is. Prints wall time and CPU
time (user + system) per batch, as a ratio too.

    python3 benches/wal-write.py [DIR] [BATCH_BYTES]

DIR (default: a temporary directory under /tmp) must be on the disk to
measure; BATCH_BYTES (default 4500) is about five webhook records.
"""
import mmap
import os
import resource
import sys
import tempfile
import time

N = 3000
SIZE = 64 << 20
directory = sys.argv[1] if len(sys.argv) > 1 else None
batch = int(sys.argv[2]) if len(sys.argv) > 2 else 4500
blocks = -(-batch // 4096) * 4096

with tempfile.TemporaryDirectory(dir=directory) as d:
    path = os.path.join(d, "wal")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    zeros = b"\0" * (1 << 20)
    for at in range(0, SIZE, len(zeros)):
        os.pwrite(fd, zeros, at)
    os.fsync(fd)
    os.close(fd)
    data = b"y" * batch
    aligned = mmap.mmap(-1, blocks)  # page-aligned, as O_DIRECT needs
    aligned.write(b"y" * blocks)

    def run(name, flags, write):
        fd = os.open(path, os.O_RDWR | flags)
        r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        for i in range(N):
            write(fd, (i * blocks) % SIZE)
        t1, r1 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
        os.close(fd)
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        wall, cpu = 1e6 * (t1 - t0) / N, 1e6 * cpu / N
        print(f"{name:<22} wall {wall:6.1f} us/batch   cpu {cpu:6.1f} us/batch")
        return wall, cpu

    def cached(fd, at):
        os.pwrite(fd, data, at)
        os.fdatasync(fd)

    def direct(fd, at):
        os.pwritev(fd, [aligned], at)

    results = {"cached": [], "direct": []}
    for _ in range(2):
        results["cached"].append(run("pwrite + fdatasync", 0, cached))
        try:
            results["direct"].append(run("O_DIRECT | O_DSYNC", os.O_DIRECT | os.O_DSYNC, direct))
        except OSError as e:
            print(f"O_DIRECT refused here: {e}")
            sys.exit(0)
    c = [min(x[i] for x in results["cached"]) for i in (0, 1)]
    t = [min(x[i] for x in results["direct"]) for i in (0, 1)]
    print(f"direct / cached (best of 2): wall {t[0] / c[0]:.2f}, cpu {t[1] / c[1]:.2f}  ({batch}-byte batches, {N} each)")
