#!/bin/bash
# replay.sh - every fuzz target over its corpus (tests/fuzz/corpus/NAME),
# built with the suite's compiler (tests/fuzz/replay.c), so each input a
# fuzzer kept, and each crash it found once, stays a regression test.
# shellcheck source=../lib/common.sh
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
bindir=${top_builddir:?}/tests/fuzz
for target in addr header qrecord reply conf; do
	corpus=$TESTS_DIR/fuzz/corpus/$target
	[ -d "$corpus" ] || fail "no corpus for $target at $corpus"
	out=$("$bindir/replay_$target" "$corpus" 2>&1) || fail "replay_$target: $out"
	note "${out##*/}"
done
