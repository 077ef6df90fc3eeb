# lib.sh - helpers of the reliability suite (tests/reliability/README).
# Source after common.sh and worker.sh.
#
#   figure NAME VALUE [UNIT]   print one figure of the scenario
#   elapsed                    seconds since the scenario started

RELIABILITY_START=$(date +%s.%N)

figure() {
    printf '%s: figure %-28s %s%s\n' "$TEST_NAME" "$1" "$2" "${3:+ $3}"
}

elapsed() {
    awk -v s="$RELIABILITY_START" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'
}

# subject_counts SMARTHOST_DIR - "COUNT SUBJECT" per distinct subject
subject_counts() {
    grep -h -m1 '^Subject: ' "$1"/mail/*.eml 2>/dev/null | tr -d '\r' |
        sort | uniq -c | awk '{ c = $1; $1 = ""; sub(/^ /, ""); print c, $0 }'
}
