#!/usr/bin/env python3
"""Copy throughput of `polydb copy` against pgloader, loading the same SQLite file into the same
migrated schema on the same PostgreSQL server, interleaved, repeated.

Usage (from the project root, after `./mvnw -q -pl db-cli -am -DskipTests package`):
    python3 db-cli/bench/copy-vs-pgloader.py [--rows 1000000] [--rounds 3] [--server URL]

It generates data/bench/copy-<rows>.db once (the schema by `polydb migrate`, 384-dimension
vectors; rows mostly journal entries, refresh tokens and chunks), then for each round runs, in
alternating order, `polydb copy` into a fresh database and pgloader (`data only`, `drop indexes`,
with cast rules for the library's types) into another fresh database migrated by `polydb migrate`.
Each load is checked with `polydb verify` (once per tool) so that both tools are timed doing the
same, complete job. It prints one line per run and a summary, with wall seconds, rows/s and peak
RSS of the loading process (from /usr/bin/time), and the ratio polydb/pgloader per round.
"""
import argparse
import json
import os
import random
import sqlite3
import struct
import subprocess
import sys
import time
import uuid

JAR = "db-cli/target/polydb.jar"
DIMENSION = 384
TIMESTAMP_COLUMNS = {
    "users": ["created_at", "updated_at", "last_login_at"],
    "refresh_tokens": ["issued_at", "expires_at", "family_expires_at", "rotated_at", "revoked_at"],
    "subscriptions": ["current_period_end", "last_event_at", "created_at", "updated_at"],
    "subscription_events": ["occurred_at", "recorded_at"],
    "journal_entries": ["created_at", "updated_at"],
    "revoked_jtis": ["expires_at", "revoked_at"],
    "chunks": ["created_at"],
}

LISP = r"""
(in-package #:pgloader.transforms)

(defun polydb-ms-to-timestamptz (ms)
  "Epoch milliseconds, as SQLite holds the library's timestamps, to an ISO 8601 timestamptz."
  (when ms
    (let ((n (if (stringp ms) (parse-integer ms) ms)))
      (multiple-value-bind (seconds millis) (floor n 1000)
        (multiple-value-bind (s mi h d mo y) (decode-universal-time (+ seconds 2208988800) 0)
          (format nil "~4,'0d-~2,'0d-~2,'0dT~2,'0d:~2,'0d:~2,'0d.~3,'0dZ" y mo d h mi s millis))))))

(defun polydb-f32 (bits)
  (let* ((sign (if (logbitp 31 bits) -1 1))
         (exponent (ldb (byte 8 23) bits))
         (mantissa (ldb (byte 23 0) bits)))
    (cond ((and (zerop exponent) (zerop mantissa)) (* sign 0d0))
          ((zerop exponent) (* sign (scale-float (coerce mantissa 'double-float) -149)))
          (t (* sign (scale-float (coerce (logior mantissa #x800000) 'double-float)
                                  (- exponent 150)))))))

(defun polydb-blob-to-vector (bytes)
  "float32 little-endian, as SQLite holds embeddings, to pgvector's text form."
  (when bytes
    (with-output-to-string (out)
      (write-char #\[ out)
      (loop for i from 0 below (length bytes) by 4
            for bits = (logior (aref bytes i) (ash (aref bytes (+ i 1)) 8)
                               (ash (aref bytes (+ i 2)) 16) (ash (aref bytes (+ i 3)) 24))
            do (unless (zerop i) (write-char #\, out))
               (format out "~f" (polydb-f32 bits)))
      (write-char #\] out))))
"""


def run(command, env=None, capture=False):
    """Runs a command that must succeed; returns (seconds, its standard output if captured)."""
    started = time.monotonic()
    result = subprocess.run(command, env=env, stderr=subprocess.PIPE,
                            stdout=subprocess.PIPE if capture else subprocess.DEVNULL)
    if result.returncode != 0:
        sys.exit(f"failed ({result.returncode}): {' '.join(command[:4])} ...\n"
                 f"{result.stderr.decode()[-2000:]}")
    return time.monotonic() - started, result.stdout.decode() if capture else ""


def timed(command, env=None, timeout=1200):
    """Runs a command under /usr/bin/time; returns (wall seconds, peak RSS MiB), or None when it
    hung (no answer within `timeout` seconds: pgloader sometimes stops working and never exits)."""
    report = "/tmp/polydb-bench-time.txt"
    started = time.monotonic()
    try:
        result = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report] + command, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                timeout=timeout)
    except subprocess.TimeoutExpired:
        subprocess.run(["pkill", "-f", command[0]])
        return None
    seconds = time.monotonic() - started
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(command[:4])} ...\n{result.stderr.decode()[-3000:]}")
    with open(report) as f:
        rss_kib = int(f.read().strip().splitlines()[-1])
    return seconds, rss_kib / 1024


def psql(server, sql):
    subprocess.run(["psql", "-q", server + "/postgres", "-c", sql], check=True)


def fresh_database(server, name):
    psql(server, f"DROP DATABASE IF EXISTS {name}")
    psql(server, f"CREATE DATABASE {name}")
    return f"{server}/{name}"


def generate(path, rows):
    """A SQLite file migrated by polydb, filled with `rows` rows of plausible shape."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.exists(path):
        os.remove(path)
    env = dict(os.environ, DB_VECTOR_DIMENSION=str(DIMENSION), DB_EMBEDDING_MODEL="bench-384")
    run(["java", "-jar", JAR, "migrate", "--url", "sqlite:" + path], env=env)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = OFF")
    rng = random.Random(42)
    users = max(1, rows // 50)
    tokens = rows * 35 // 100
    entries = rows * 45 // 100
    chunks = rows // 10
    now = 1_767_225_600_000  # 2026-01-01
    user_ids = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(users)]
    db.executemany(
        "INSERT INTO users VALUES (?, 'google', ?, ?, ?, NULL, ?, ?, ?)",
        ((u, "sub-" + u, f"user{i}@example.com", f"User {i}", now + i, now + i, now + i)
         for i, u in enumerate(user_ids)))
    def token_rows():
        for i in range(tokens):
            # families of four: three rotated tokens and the live one
            u = user_ids[(i // 4) % users]
            yield (f"{i:012d}-tok-{uuid.UUID(int=rng.getrandbits(128))}", u, f"fam-{i // 4}", None,
                   "%064x" % rng.getrandbits(256), None, now + i, now + i + 2_592_000_000,
                   now + i + 7_776_000_000, None if i % 4 == 3 else now + i + 1000, None, None)
    db.executemany("INSERT INTO refresh_tokens VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", token_rows())
    words = ("the quick brown fox jumps over a lazy dog while the coffee brews and "
             "notes pile up in a journal nobody reads twice").split()
    def entry_rows():
        for i in range(entries):
            text = " ".join(rng.choice(words) for _ in range(rng.randint(10, 60)))
            yield (f"{i:012d}-ent", user_ids[i % users], text, len(text.encode()), now + i, now + i)
    db.executemany("INSERT INTO journal_entries VALUES (?,?,?,?,?,?)", entry_rows())
    def chunk_rows():
        pack = struct.Struct("<%df" % DIMENSION).pack
        for i in range(chunks):
            vector = pack(*(rng.gauss(0, 1) for _ in range(DIMENSION)))
            yield (f"{i:012d}-chk", user_ids[i % users], f"doc-{i // 8}", i % 8,
                   "chunk text " + str(i), '{"source":"bench","lang":"en"}', vector, "bench-384",
                   now + i)
    db.executemany("INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?)", chunk_rows())
    rest = rows - users - tokens - entries - chunks
    db.executemany("INSERT INTO revoked_jtis VALUES (?, ?, ?, ?)",
                   ((f"jti-{i}", user_ids[i % users], now + 3_600_000, now) for i in range(rest // 2)))
    db.executemany(
        "INSERT INTO subscription_events VALUES (?, ?, 'stripe', ?, 'updated', ?, ?, ?, ?)",
        ((f"evt-{i}", user_ids[i % users], f"sub-{i % users}", f"pe-{i}", now + i,
          '{"id": "pe-%d", "amount": 1250}' % i, now + i) for i in range(rest - rest // 2)))
    db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def load_file(source, target):
    casts = ",\n  ".join(
        f"column {table}.{column} to timestamptz using polydb-ms-to-timestamptz"
        for table, columns in TIMESTAMP_COLUMNS.items() for column in columns)
    casts += ",\n  column chunks.embedding to vector using polydb-blob-to-vector"
    return f"""LOAD DATABASE
  FROM sqlite://{os.path.abspath(source)}
  INTO {target}
WITH data only, drop indexes, reset no sequences, workers = 2, concurrency = 1,
     batch rows = 5000, prefetch rows = 5000
SET maintenance_work_mem TO '512MB'
EXCLUDING TABLE NAMES LIKE 'schema_migrations', 'vector_settings'
CAST {casts};
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--heap", default="256m", help="-Xmx of the copying JVM")
    parser.add_argument("--pgloader-timeout", type=int, default=420,
                        help="seconds after which a pgloader run counts as hung")
    args = parser.parse_args()
    source = f"data/bench/copy-{args.rows}.db"
    if not os.path.exists(source):
        print(f"generating {source} ...", flush=True)
        generate(source, args.rows)
    db = sqlite3.connect(source)
    total = sum(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TIMESTAMP_COLUMNS)
    db.close()
    size_mb = os.path.getsize(source) / 1e6
    print(f"source: {source}, {total} rows, {size_mb:.0f} MB", flush=True)
    lisp = "/tmp/polydb-bench.lisp"
    with open(lisp, "w") as f:
        f.write(LISP)
    env = dict(os.environ, DB_VECTOR_DIMENSION=str(DIMENSION), DB_EMBEDDING_MODEL="bench-384")
    env.pop("DATABASE_URL", None)
    results = {"polydb": [], "pgloader": []}
    verified = set()
    for round_ in range(args.rounds):
        order = ["polydb", "pgloader"] if round_ % 2 == 0 else ["pgloader", "polydb"]
        for tool in order:
            target = fresh_database(args.server, "bench_" + tool)
            if tool == "polydb":
                measured = timed(["java", f"-Xmx{args.heap}", "-jar", JAR, "copy",
                                  "--from", "sqlite:" + source, "--to", target], env)
            else:
                for attempt in (1, 2):  # a hung pgloader (it happens) gets one more try
                    if attempt == 2:
                        print(f"round {round_ + 1} pgloader hung (no exit after "
                              f"{args.pgloader_timeout} s), killed; trying again", flush=True)
                        target = fresh_database(args.server, "bench_" + tool)
                    run(["java", "-jar", JAR, "migrate", "--url", target], env=env)
                    with open("/tmp/polydb-bench.load", "w") as f:
                        f.write(load_file(source, target))
                    measured = timed(["pgloader", "--quiet", "--load-lisp-file", lisp,
                                      "/tmp/polydb-bench.load"], env,
                                     timeout=args.pgloader_timeout)
                    if measured is not None:
                        break
            if measured is None:
                print(f"round {round_ + 1} {tool:8s} hung: no exit after {args.pgloader_timeout} s,"
                      " killed; the round is left out", flush=True)
                results[tool].append(None)
                continue
            seconds, rss = measured
            if tool not in verified:
                _, report = run(["java", "-jar", JAR, "verify", "--from", "sqlite:" + source,
                                 "--to", target, "--json", "--sample", "20"], env=env, capture=True)
                if not json.loads(report)["equal"]:
                    sys.exit(f"{tool}'s load is not equal to the source:\n{report[:3000]}")
                verified.add(tool)
            results[tool].append((seconds, rss))
            print(f"round {round_ + 1} {tool:8s} {seconds:8.1f} s {total / seconds:10.0f} rows/s "
                  f"peak RSS {rss:6.0f} MiB", flush=True)
    print()
    ratios = [g[0] / p[0] for p, g in zip(results["polydb"], results["pgloader"]) if p and g]
    for tool, all_runs in results.items():
        runs = [r for r in all_runs if r]
        if not runs:
            print(f"{tool:8s} no complete run")
            continue
        rates = sorted(total / s for s, _ in runs)
        print(f"{tool:8s} rows/s median {rates[len(rates) // 2]:.0f} (min {rates[0]:.0f}, "
              f"max {rates[-1]:.0f}); peak RSS max {max(r for _, r in runs):.0f} MiB")
    print(f"ratio polydb/pgloader per round: {', '.join(f'{r:.2f}' for r in ratios)}")


if __name__ == "__main__":
    main()
