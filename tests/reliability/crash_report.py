#!/usr/bin/env python3
"""crash_report.py - account for every message of the worker-crash run.

Usage: crash_report.py SMARTHOST_DIR KILLS_FILE EXPECTED WORKER_LOG

Reads the smarthost's mail/*.json and .eml (subject "crash N"), the kill
times (seconds since the epoch, one per line) and the worker's log.
Prints lost (expected subjects never received), duplicates (extra
copies), and for each duplicate the window it fell in: its first copy
was accepted (the smarthost's 250) at T and a SIGKILL followed within
the window (before postern recorded it, or the copy would not have been
sent again); whether the log line for it ("queued as NNNN", written
just before the record) made it out is shown. Exits 1 if anything was
lost or a duplicate has no such SIGKILL. (A copy whose 250 never
reached postern, logged as a deferral of that message, is the other
window SMTP itself leaves open, RFC 1047, and is shown as such.)
"""
import datetime
import glob
import json
import os
import re
import sys

WINDOW = 2.0    # seconds between the smarthost's 250 and the kill
# The smarthost may store a message a little after the worker wrote its
# final dot and was killed (its event loop lags under load), so a kill
# shortly before the acceptance time counts too.
LAG = 2.0


def main():
    sh, kills_file, expected, wlog = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    kills = sorted(float(x) for x in open(kills_file) if x.strip())
    log = open(wlog, encoding="utf-8", errors="replace").read()
    qid_of = dict((n, q) for q, n in re.findall(
        r"([0-9A-F]{17}): to=<[^>]*> .*status=sent \(250 2\.0\.0 OK queued as (\d+)\)", log))
    logged = set(qid_of)
    copies = {}
    for meta in sorted(glob.glob(os.path.join(sh, "mail", "*.json"))):
        number = os.path.basename(meta)[:-5]
        with open(meta[:-5] + ".eml", "rb") as f:
            m = re.search(rb"^Subject: (crash \d+)\r?$", f.read(), re.M)
        if not m:
            continue
        at = datetime.datetime.fromisoformat(json.load(open(meta))["received_at"]).timestamp()
        copies.setdefault(m.group(1).decode(), []).append((at, number))
    lost = [n for n in range(1, expected + 1) if "crash %d" % n not in copies]
    dups = {s: c for s, c in copies.items() if len(c) > 1}
    unexplained = 0
    print("lost = %d" % len(lost))
    print("duplicates = %d" % sum(len(c) - 1 for c in dups.values()))
    for subject, c in sorted(dups.items()):
        c.sort()
        for at, number in c[:-1]:
            kill = min((k for k in kills if at - LAG <= k <= at + WINDOW),
                       key=lambda k: abs(k - at), default=None)
            qid = qid_of.get(c[-1][1])
            lost_reply = None
            if kill is None and qid:
                m = re.search(re.escape(qid) + r": to=<[^>]*> .*status=deferred \(([^)]*)", log)
                lost_reply = m.group(1) if m else None
            ok = kill is not None or lost_reply is not None
            unexplained += not ok
            print("  %s: copy %s accepted at %.3f, %s, %s; sent again as %s%s" % (
                subject, number, at,
                ("SIGKILL %.0f ms later" % ((kill - at) * 1000) if kill >= at else
                 "SIGKILL %.0f ms before the smarthost stored it (its 250 "
                 "never reached postern)" % ((at - kill) * 1000)) if kill else
                "its 250 never reached postern (%s)" % lost_reply if lost_reply else
                "no SIGKILL within %.0f s" % WINDOW,
                "never logged as sent" if number not in logged else
                "logged as sent but not yet recorded",
                c[-1][1], "" if ok else "  <- NOT EXPLAINED"))
    if lost:
        print("lost subjects: %s" % ", ".join("crash %d" % n for n in lost[:20]))
    sys.exit(1 if lost or unexplained else 0)


main()
