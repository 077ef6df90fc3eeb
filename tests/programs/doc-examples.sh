#!/bin/bash
# doc-examples.sh - every configuration example in the man pages and the
# README is accepted by "postern check-config -c": an example the program
# rejects teaches users a broken file. An example is a .nf/.fi block of a
# man page, or an indented block of the README, that assigns an option
# or opens a section of postern.conf; at least the known ones are found.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"

TOP_SRC=$TESTS_DIR/..
make_tmpdir
"${PYTHON3:-python3}" - "$TEST_TMPDIR" "$TOP_SRC"/man/*.[58] "$TOP_SRC/README" <<'PY' || fail "cannot extract the examples"
import os, re, sys
out, files = sys.argv[1], sys.argv[2:]
conf_like = re.compile(r'^\s*(smarthost\s+"|sender\s*\{|queue\s*\{|log\s*\{|alias\s+\w|[a-z_]+\s*=\s*\S)')
n = 0
def keep(name, lines):
    global n
    text = "\n".join(lines).strip("\n")
    if not any(conf_like.match(l) for l in lines) or "{" not in text and "=" not in text:
        return
    if not re.search(r'^\s*smarthost\s+"', text, re.M):
        return          # a fragment of a larger file, shown beside it
    n += 1
    with open(os.path.join(out, "example-%02d.conf" % n), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(out, "example-%02d.from" % n), "w") as f:
        f.write(name + "\n")
for path in files:
    lines = open(path, encoding="utf-8").read().split("\n")
    name = os.path.basename(path)
    if path.endswith("README"):
        block = []
        for l in lines + [""]:
            if l.startswith(("    ", "\t")) or (block and l == ""):
                block.append(l[4:] if l.startswith("    ") else l[1:])
            else:
                if block:
                    keep(name, block)
                block = []
    else:
        block = None
        for l in lines:
            if l.startswith(".nf"):
                block = []
            elif l.startswith(".fi") and block is not None:
                keep(name, [re.sub(r'\\-', '-', x).replace("\\e", "\\") for x in block])
                block = None
            elif block is not None and not l.startswith("."):
                block.append(l)
print(n)
PY
count=$(ls "$TEST_TMPDIR"/example-*.conf 2>/dev/null | wc -l)
[ "$count" -ge 6 ] || fail "found only $count configuration examples"
for f in "$TEST_TMPDIR"/example-*.conf; do
    "$POSTERN_BIN/postern" check-config -q -c "$f" >"$TEST_TMPDIR/out" 2>&1
    rc=$?
    [ "$rc" = 0 ] || fail "the example in $(cat "${f%.conf}.from") is rejected (exit $rc):
$(cat "$f")
--- check-config says:
$(cat "$TEST_TMPDIR/out")"
done
note "$count configuration examples from the man pages and the README accepted"
exit 0
