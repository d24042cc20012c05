#!/usr/bin/env python3
"""Recall and precision of `tollgate sast` on the blind corpus.

`sast/benches/blind/` holds vulnerable Rust written by people who had not
seen the analyser (each set by a separate author, from a list of bug
classes and a marker convention only). A line that is the bug ends in
`//~ rule-id`; every other line is expected to be clean. Nothing here was
adjusted to what the analyser finds: a miss is counted as a miss.

    python3 benches/sast-blind.py [DIR]      # TOLLGATE_BIN=path to skip the build

Counts, per rule and overall:
  hit    a finding of the marked rule (cookie rules count as one family,
         as do the hash rules) on the marked line;
  region no hit, but the marked line is inside the region (first to last
         line) of a finding of that rule: a builder chain reported from
         its first line to its last, marked on its last;
  near   neither, but a finding of that rule within 3 lines (the same bug,
         reported at another line of its statement or flow);
  FP     a security finding on a line without a marker that is not near
         an unmatched marker of its rule (hygiene rules are not counted).
"""
import collections
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "sast", "benches", "blind")
binary = os.environ.get("TOLLGATE_BIN")
if not binary:
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "tollgate"], cwd=ROOT, check=True)
    binary = os.path.join(ROOT, "target", "release", "tollgate")

HYGIENE = {"undocumented-unsafe", "analysis-limit", "parse-error", "unused-suppression",
           "invalid-suppression", "mem-transmute"}
FAMILIES = [{"insecure-cookie", "cookie-without-httponly", "cookie-without-samesite"},
            {"weak-hash", "broken-hash"}]


def same(a, b):
    return a == b or any(a in f and b in f for f in FAMILIES)


marks = collections.defaultdict(list)
for root, _, files in os.walk(corpus):
    for name in files:
        if name.endswith(".rs"):
            path = os.path.relpath(os.path.join(root, name), corpus)
            with open(os.path.join(root, name), errors="replace") as f:
                for n, line in enumerate(f, 1):
                    for m in re.finditer(r"//~\s*([a-z-]+)", line):
                        marks[(path, n)].append(m.group(1))

out = subprocess.run([os.path.abspath(binary), "sast", "-q", "--include-tests", "--format", "json",
                      "--fail-on", "never", "."], capture_output=True, text=True, cwd=corpus)
if out.returncode not in (0, 1):
    sys.exit(f"tollgate sast failed ({out.returncode}): {out.stderr}")
findings = [f for f in json.loads(out.stdout)["findings"] if f["rule"] not in HYGIENE]
got = collections.defaultdict(list)
regions = collections.defaultdict(list)
# Lines of each finding's flow in its own file (a key reported at its
# literal, CodeQL's place, with a step at the call that uses it, where
# the blind authors mark it).
paths = collections.defaultdict(list)
for f in findings:
    # Reported relative to the project root the scan found (a git
    # checkout) or to the scanned directory.
    full = next((c for c in (os.path.join(ROOT, f["path"]), os.path.join(corpus, f["path"]))
                 if os.path.isfile(c)), f["path"])
    path = os.path.relpath(full, corpus)
    got[(path, f["line"])].append(f["rule"])
    regions[path].append((f["line"], max(f.get("end_line", f["line"]), f["line"]), f["rule"]))
    for step in f.get("flow", []):
        if not step.get("file"):
            paths[path].append((step["line"], f["line"], f["rule"]))

total, hit, inside, onpath, near = (collections.Counter() for _ in range(5))
unmatched = []
for (path, line), rules in sorted(marks.items()):
    for rule in rules:
        total[rule] += 1
        if any(same(rule, r) for r in got.get((path, line), [])):
            hit[rule] += 1
            continue
        unmatched.append((path, line, rule))
        if any(a <= line <= b and same(rule, r) for a, b, r in regions[path]):
            inside[rule] += 1
        elif any(s == line and same(rule, r) for s, _, r in paths[path]):
            onpath[rule] += 1
        elif any(same(rule, r) for d in range(-3, 4) for r in got.get((path, line + d), [])):
            near[rule] += 1
fp = []
for path, spans in sorted(regions.items()):
    for line, end, rule in sorted(set(spans)):
        if any(same(m, rule) for m in marks.get((path, line), [])):
            continue
        if any(p == path and line - 3 <= l <= end + 3 and same(r, rule) for p, l, r in unmatched):
            continue
        # Its flow passes through a marker of its rule.
        if any(at == line and same(m, rule) for s, at, r in paths[path] if same(r, rule)
               for m in marks.get((path, s), [])):
            continue
        fp.append((path, line, rule))

print(f"{'rule':30} {'hit':>5} {'region':>6} {'path':>5} {'near':>5} {'of':>4}")
for rule in sorted(total):
    print(f"{rule:30} {hit[rule]:5} {inside[rule]:6} {onpath[rule]:5} {near[rule]:5} {total[rule]:4}")
h, i, o, n, t = (sum(c.values()) for c in (hit, inside, onpath, near, total))
print(f"recall (marked line) {h}/{t} = {h / max(t, 1):.2f}; in a finding's region {h + i}/{t} = {(h + i) / max(t, 1):.2f}; "
      f"on its path {h + i + o}/{t} = {(h + i + o) / max(t, 1):.2f}; with near {h + i + o + n}/{t} = {(h + i + o + n) / max(t, 1):.2f}")
print(f"precision (findings neither on nor spanning nor near a marker of their rule, nor with one on their path) "
      f"{h + i + o + n}/{h + i + o + n + len(fp)} = {(h + i + o + n) / max(h + i + o + n + len(fp), 1):.2f}")
if os.environ.get("VERBOSE"):
    for path, line, rule in unmatched:
        print("miss", f"{path}:{line}", rule)
    for path, line, rule in fp:
        print("fp  ", f"{path}:{line}", rule)
