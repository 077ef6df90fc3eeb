#!/bin/bash
# fuzz.sh - every libFuzzer target (address, header, SMTP reply, queue
# record and state, configuration loader) for FUZZ_SECONDS (default 60)
# each, from a copy of its corpus, two at a time. A crash fails the run
# and is kept (its path is printed): add it to tests/fuzz/corpus/NAME as
# a regression input, where make check replays it. Needs clang with
# libFuzzer ("make fuzz").
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/reliability/lib.sh"

SECONDS_EACH=${FUZZ_SECONDS:-60}
command -v clang >/dev/null || skip "clang (libFuzzer) not installed"
make_tmpdir
make -C "${top_builddir:?}" fuzz >"$TEST_TMPDIR/build.log" 2>&1 ||
    fail "make fuzz: $(tail -n 20 "$TEST_TMPDIR/build.log")"
KEEP=${top_builddir}/tests/reliability-crashes
mkdir -p "$KEEP"

# run NAME - one target; its figures on stdout
run() {
    local name=$1 dir=$TEST_TMPDIR/$1 rc=0
    mkdir -p "$dir/corpus" "$dir/crashes"
    cp -r "$TESTS_DIR/fuzz/corpus/$name/." "$dir/corpus/"
    (cd "$dir/crashes" && "$top_builddir/tests/fuzz/fuzz_$name" "$dir/corpus" \
        -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 >"$dir/log" 2>&1) || rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log")
    cov=$(grep -o 'cov: [0-9]*' "$dir/log" | tail -n 1)
    echo "$name rc=$rc runs=${runs:-?} ${cov:-cov: ?} corpus=$(ls "$dir/corpus" | wc -l)"
    if [ "$rc" != 0 ]; then
        cp "$dir"/crashes/* "$KEEP/" 2>/dev/null
        grep -m1 -A15 'ERROR\|abort' "$dir/log"
    fi
}
pids=()
for name in addr header reply qrecord conf; do
    run "$name" >"$TEST_TMPDIR/result.$name" &
    pids+=($!)
    if [ "${#pids[@]}" = 2 ]; then wait "${pids[0]}"; pids=("${pids[1]}"); fi
done
wait
failed=0
for name in addr header reply qrecord conf; do
    line=$(head -n 1 "$TEST_TMPDIR/result.$name")
    figure "fuzz_$name" "${line#* }" "in $SECONDS_EACH s"
    case $line in *" rc=0 "*) ;; *) failed=1; tail -n +2 "$TEST_TMPDIR/result.$name" ;; esac
done
figure time "$(elapsed)" s
[ "$failed" = 0 ] || fail "a fuzz target failed; its input is in $KEEP"
