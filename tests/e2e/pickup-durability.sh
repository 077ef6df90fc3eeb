#!/bin/bash
# pickup-durability.sh - the order of the system calls that move a message
# from incoming/ into the private queue, as strace sees them: for every
# message, the copy is fsync'd and renamed into queue/, then queue/ itself
# is fsync'd, and only then is the incoming file removed. So a crash at any
# point leaves the message in at least one directory. The directory syncs
# are shared: 150 messages take ceil(150/64) = 3 of them, not 150.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"

command -v strace >/dev/null 2>&1 || skip "strace is not installed"
N=150
worker_test_setup
for i in $(seq 1 "$N"); do
    printf 'Subject: durable %s\n\nbody\n' "$i" | send_mail -i "d$i@example.org"
done
[ "$(ls "$SPOOL/incoming" | wc -l)" = "$N" ] || fail "not all $N queued"
# LeakSanitizer cannot run under ptrace; the other tests cover leaks.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    strace -f -y -qq -o "$TEST_TMPDIR/trace" \
    -e trace=openat,fsync,rename,renameat,renameat2,unlink,unlinkat \
    "$POSTERN_BIN/posternd" --once --stderr >>"$WLOG" 2>&1 ||
    fail "posternd --once failed: $(tail -n 5 "$WLOG")"
wait_for_count "$SH" "$N" 30
[ "$(queue_count)" = 0 ] || fail "queue not empty after the run"

"$PYTHON3" - "$TEST_TMPDIR/trace" "$SPOOL" "$N" <<'PY' || fail "system call order (see above)"
import re, sys
trace, spool, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
queue, incoming = spool + "/queue", spool + "/incoming"
qid = r"([0-9A-F]{17})"
steps = []                      # (kind, qid or None) in trace order
for line in open(trace):
    if "= -1" in line:
        continue
    m = re.search(r'fsync\(\d+<([^>]*)>\)', line)
    if m:
        if m.group(1) == queue:
            steps.append(("syncdir", None))
        elif re.fullmatch(re.escape(queue) + "/" + qid + r"\.tmp", m.group(1)):
            steps.append(("synccopy", m.group(1)[-21:-4]))
        continue
    m = re.search(r'renameat2?\(\d+<' + re.escape(queue) + r'>, "' + qid +
                  r'\.tmp", \d+<' + re.escape(queue) + r'>, "' + qid + '"', line)
    if m:
        steps.append(("rename", m.group(1)))
        continue
    m = re.search(r'unlinkat\(\d+<' + re.escape(incoming) + r'>, "' + qid + '"', line)
    if m:
        steps.append(("unlinkin", m.group(1)))
bad = 0
seen = {}
for pos, (kind, q) in enumerate(steps):
    if q:
        seen.setdefault(q, {})[kind] = pos
for q, at in sorted(seen.items()):
    need = ("synccopy", "rename", "unlinkin")
    if not all(k in at for k in need):
        print("%s: missing %s" % (q, [k for k in need if k not in at]))
        bad += 1
        continue
    if not at["synccopy"] < at["rename"] < at["unlinkin"]:
        print("%s: out of order %s" % (q, at))
        bad += 1
    if not any(k == "syncdir" for k, _ in steps[at["rename"]:at["unlinkin"]]):
        print("%s: incoming file removed before queue/ was synced" % q)
        bad += 1
if len(seen) != n:
    print("saw %d messages picked up, expected %d" % (len(seen), n))
    bad += 1
last = max(at["unlinkin"] for at in seen.values() if "unlinkin" in at)
dirsyncs = sum(1 for k, _ in steps[:last] if k == "syncdir")
expect = -(-n // 64)
if dirsyncs != expect:
    print("pickup synced queue/ %d times for %d messages, expected %d" %
          (dirsyncs, n, expect))
    bad += 1
sys.exit(1 if bad else 0)
PY
exit 0
