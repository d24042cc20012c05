#!/usr/bin/env python3
"""Outside measure of `tollgate sast` against GitHub CodeQL's Rust security query tests.

The test sources (github/codeql, rust/ql/test/query-tests/security/**) are public
reference data kept OUTSIDE the repository (default /tmp/codeql-rust/<CWE-dir>/...);
they are never copied into this tree. Each test line carries CodeQL inline
expectations in a comment:

    // $ Alert[rust/<query>]            CodeQL reports it (a true positive)
    // $ Alert[rust/<query>]=label      same, with a source label
    // $ MISSING: Alert[rust/<query>]   a real vulnerability CodeQL misses
    // $ SPURIOUS: Alert[rust/<query>]  a CodeQL false positive (NOT a vulnerability)
    // $ Source[=label] / sink tags     ignored for scoring

A `$` starts a new expectation group; MISSING:/SPURIOUS: switch the kind of the tags
that follow it in that group. A bare `Alert` (no [query]) means the file's own query.
Comments without `$` (e.g. `// Alert[...]` commented out) are not expectations.

Positive = (file, line, query) with Alert or MISSING: Alert.
TP  = a finding of a mapped rule on exactly that line.
FN  = positive without such a finding (diagnostic: how many have one within +-1 line).
FP  = a finding of a rule mapped from a query tested in that CWE directory, on a line
      that is not a positive of any such query (SPURIOUS lines count as FP).
Findings of rules no query in the directory maps to (hygiene such as
undocumented-unsafe, or another class) are not scored.

Mapping CodeQL query -> accepted tollgate rules:
"""

import argparse
import json
import os
import re
import subprocess
import sys
from collections import defaultdict

MAPPING = {
    "rust/regex-injection": ["regex-injection"],
    "rust/path-injection": ["path-traversal"],
    "rust/command-line-injection": ["command-injection"],
    "rust/xss": ["xss"],
    "rust/sql-injection": ["sql-injection"],
    "rust/log-injection": ["log-injection"],
    "rust/disabled-certificate-check": ["tls-verification-disabled"],
    # password in a request URL: our URL/credential/header rules all describe it
    "rust/cleartext-transmission": ["cleartext-url", "leaked-credential",
                                    "sensitive-header-not-marked", "cleartext-storage"],
    "rust/cleartext-logging": ["cleartext-logging"],
    "rust/cleartext-storage-database": ["cleartext-storage"],
    "rust/non-https-url": ["cleartext-url"],
    "rust/weak-cryptographic-algorithm": ["weak-cipher"],
    "rust/weak-sensitive-data-hashing": ["weak-hash"],
    "rust/unsafe-deserialization": ["unsafe-deserialization"],
    "rust/xxe": ["xxe"],
    "rust/insecure-cookie": ["insecure-cookie"],
    "rust/ctor-initialization": ["ctor-uses-std"],
    "rust/uncontrolled-allocation-size": ["unbounded-allocation"],
    # the query id was renamed between codeql versions; both spellings appear
    "rust/hard-coded-cryptographic-value": ["hardcoded-crypto-key", "hardcoded-secret"],
    "rust/access-after-lifetime-ended": ["dangling-pointer"],
    "rust/access-invalid-pointer": ["dangling-pointer"],
    "rust/dangling-pointer-access": ["dangling-pointer"],
    "rust/request-forgery": ["ssrf"],
}

# renamed query ids, scored under one name
ALIASES = {"rust/hardcoded-cryptographic-value": "rust/hard-coded-cryptographic-value"}

COMMENT_LINE = re.compile(r"//\s*(\$.*)$")
COMMENT_BLOCK = re.compile(r"/\*\s*(\$.*?)\*/")
TOKEN = re.compile(r"(MISSING:|SPURIOUS:|\$|Alert(?:\[[^\]\s]*\])*(?:=\S*)?|\S+)")
ALERT = re.compile(r"Alert((?:\[[^\]\s]*\])*)")


def expectation_text(line):
    out = []
    m = COMMENT_LINE.search(line)
    if m:
        out.append(m.group(1))
    for b in COMMENT_BLOCK.finditer(line):
        out.append(b.group(1))
    return out


def parse_file(path):
    """Return list of (line, kind, query-or-None) with kind in alert/missing/spurious."""
    res = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for no, line in enumerate(fh, 1):
            for text in expectation_text(line):
                kind = "alert"
                for tok in TOKEN.findall(text):
                    if tok == "$":
                        kind = "alert"
                    elif tok == "MISSING:":
                        kind = "missing"
                    elif tok == "SPURIOUS:":
                        kind = "spurious"
                    elif tok == "--":
                        break
                    else:
                        m = ALERT.fullmatch(tok.split("=", 1)[0])
                        if not m:
                            continue
                        queries = re.findall(r"\[([^\]]*)\]", m.group(1)) or [None]
                        for q in sorted(set(queries), key=lambda x: x or ""):
                            res.append((no, kind, q))
    return res


def dir_named(directory):
    """The queries named by the expectations of every `.rs` file under `directory`."""
    named = []
    for dp, _, fns in os.walk(directory):
        for fn in sorted(fns):
            if fn.endswith(".rs"):
                named += [ALIASES.get(q, q) for _, _, q in parse_file(os.path.join(dp, fn)) if q]
    return named


def run_sast(binary, target, root):
    cmd = [binary, "sast", target, "--format", "json", "-q", "--include-tests",
           "--fail-on", "never"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode not in (0, 1):
        sys.stderr.write("tollgate sast failed (exit %d) on %s:\n%s" % (p.returncode, target, p.stderr))
        sys.exit(2)
    try:
        doc = json.loads(p.stdout)
    except json.JSONDecodeError as e:
        sys.stderr.write("tollgate sast printed invalid JSON for %s: %s\n" % (target, e))
        sys.exit(2)
    out = []
    for f in doc.get("findings", []):
        fp = f["path"]
        cands = [fp] if os.path.isabs(fp) else [os.path.join(target, fp), os.path.join(root, fp), fp]
        full = next((c for c in cands if os.path.isfile(c)), cands[0])
        out.append((os.path.relpath(os.path.abspath(full), root), int(f["line"]), f["rule"]))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", nargs="?", default="/tmp/codeql-rust")
    ap.add_argument("--bin", default=os.environ.get("TOLLGATE_BIN", "target/release/tollgate"))
    ap.add_argument("--misses", action="store_true", help="print every missed positive line")
    ap.add_argument("--fps", action="store_true", help="print every false-positive finding")
    a = ap.parse_args()
    root = os.path.abspath(a.dir)
    if not os.path.isdir(root):
        sys.stderr.write(
            "%s not found. Obtain CodeQL's Rust query tests (github/codeql, "
            "rust/ql/test/query-tests/security/**/*.rs) and place them as "
            "%s/<CWE-dir>/<file>.rs, e.g. %s/CWE-089/sqlx.rs. Never copy them into the repository.\n"
            % (root, root, root))
        sys.exit(2)

    cwe_dirs = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    files = {}  # relpath -> text lines
    pos = defaultdict(set)        # (file, line) -> {query} (alert or missing)
    pos_kind = {}                 # (file, line, query) -> alert|missing
    spurious = defaultdict(set)   # (file, line) -> {query}
    dir_queries = defaultdict(set)
    unknown = set()
    for d in cwe_dirs:
        for dp, _, fns in os.walk(os.path.join(root, d)):
            for fn in sorted(fns):
                if not fn.endswith(".rs"):
                    continue
                full = os.path.join(dp, fn)
                rel = os.path.relpath(full, root)
                with open(full, encoding="utf-8", errors="replace") as fh:
                    files[rel] = fh.read().split("\n")
                exps = parse_file(full)
                named = [q for _, _, q in exps if q]
                named = [ALIASES.get(q, q) for q in named]
                # A file that names no query (only bare `Alert`s) takes its
                # test directory's most-named one: CWE-825's
                # deallocation.rs and main.rs in some versions.
                if not named:
                    named = dir_named(os.path.join(root, d))
                default = max(sorted(set(named)), key=named.count) if named else None
                for line, kind, q in exps:
                    q = ALIASES.get(q or default, q or default)
                    if q is None:
                        continue
                    if q not in MAPPING:
                        unknown.add(q)
                        continue
                    dir_queries[d].add(q)
                    if kind == "spurious":
                        spurious[(rel, line)].add(q)
                    else:
                        pos[(rel, line)].add(q)
                        prev = pos_kind.get((rel, line, q))
                        if prev != "alert":
                            pos_kind[(rel, line, q)] = kind

    findings = []
    for d in cwe_dirs:
        if dir_queries[d]:
            findings += [(f, l, r, d) for f, l, r in run_sast(a.bin, os.path.join(root, d), root)]
    by_line = defaultdict(set)
    for f, l, r, _ in findings:
        by_line[(f, l)].add(r)

    stats = {q: defaultdict(int) for q in MAPPING}
    misses, fps = [], []
    for (f, l, q), kind in sorted(pos_kind.items()):
        rules = set(MAPPING[q])
        st = stats[q]
        st["pos_" + kind] += 1
        if by_line.get((f, l), set()) & rules:
            st["tp_" + kind] += 1
        else:
            near = any(by_line.get((f, l + o), set()) & rules for o in (-1, 1))
            st["near"] += near
            misses.append((q, f, l, kind, near))
    for f, l, r, d in sorted(set(findings)):
        cands = sorted(q for q in dir_queries[d] if r in MAPPING[q])
        if not cands:
            continue  # hygiene or a class this directory does not test
        if any(r in MAPPING[q] for q in pos.get((f, l), ())):
            continue
        q = cands[0]
        stats[q]["fp"] += 1
        fps.append((q, f, l, r, bool(spurious.get((f, l)))))

    def pct(n, d):
        return "%5.1f%%" % (100.0 * n / d) if d else "    - "

    hdr = "%-36s %6s %6s %6s %6s %7s %7s %5s %5s %7s" % (
        "CodeQL query", "Alert", "MISS", "foundA", "foundM", "recA", "recA+M", "+-1", "FP", "prec")
    print(hdr)
    print("-" * len(hdr))
    tot = defaultdict(int)
    for q in sorted(stats):
        st = stats[q]
        npos = st["pos_alert"] + st["pos_missing"]
        if not npos and not st["fp"]:
            continue
        tp = st["tp_alert"] + st["tp_missing"]
        for k in ("pos_alert", "pos_missing", "tp_alert", "tp_missing", "near", "fp"):
            tot[k] += st[k]
        print("%-36s %6d %6d %6d %6d %7s %7s %5d %5d %7s" % (
            q, st["pos_alert"], st["pos_missing"], st["tp_alert"], st["tp_missing"],
            pct(st["tp_alert"], st["pos_alert"]), pct(tp, npos), st["near"], st["fp"],
            pct(tp, tp + st["fp"])))
    print("-" * len(hdr))
    ttp = tot["tp_alert"] + tot["tp_missing"]
    print("%-36s %6d %6d %6d %6d %7s %7s %5d %5d %7s" % (
        "TOTAL", tot["pos_alert"], tot["pos_missing"], tot["tp_alert"], tot["tp_missing"],
        pct(tot["tp_alert"], tot["pos_alert"]), pct(ttp, tot["pos_alert"] + tot["pos_missing"]),
        tot["near"], tot["fp"], pct(ttp, ttp + tot["fp"])))
    print()
    print("recall over Alert lines: %d/%d %s; over Alert+MISSING lines: %d/%d %s; precision: %d/%d %s"
          % (tot["tp_alert"], tot["pos_alert"], pct(tot["tp_alert"], tot["pos_alert"]).strip(),
             ttp, tot["pos_alert"] + tot["pos_missing"],
             pct(ttp, tot["pos_alert"] + tot["pos_missing"]).strip(),
             ttp, ttp + tot["fp"], pct(ttp, ttp + tot["fp"]).strip()))
    print("+-1 = missed positives with a mapped finding one line away (not counted as found)")
    print("FP on CodeQL SPURIOUS lines: %d" % sum(1 for x in fps if x[4]))
    if unknown:
        print("unmapped CodeQL queries (not scored): %s" % ", ".join(sorted(unknown)))
    if a.misses:
        print("\nMISSED positives:")
        for q, f, l, kind, near in misses:
            src = files.get(f, [])
            text = src[l - 1].strip() if 0 < l <= len(src) else ""
            print("  %s %s:%d [%s%s] %s" % (q, f, l, kind, ", +-1" if near else "", text))
    if a.fps:
        print("\nFALSE positives:")
        for q, f, l, r, sp in fps:
            src = files.get(f, [])
            text = src[l - 1].strip() if 0 < l <= len(src) else ""
            print("  %s %s:%d %s%s %s" % (q, f, l, r, " [SPURIOUS]" if sp else "", text))


if __name__ == "__main__":
    main()
