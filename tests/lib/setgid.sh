# setgid.sh - a real set-gid install of the spool writer, for tests that
# run as several unprivileged users (privilege.sh, the reliability
# suite). Source after common.sh and worker.sh; needs root.
#
#   setgid_install   skips unless root, setpriv, nobody and daemon exist
#                    and /tmp allows set-id; takes the lock on the fixed
#                    directory the test writer was compiled with ($TOP);
#                    starts a smarthost in $SH; installs sendmail,
#                    postern and the writer (2755, group $DROPGROUP)
#                    into $TOP/bin and a spool in $SPOOL=$TOP/spool;
#                    exports POSTERN_CONFIG, POSTERN_SPOOL_DIR and
#                    POSTERN_DROP for it
#   as USER CMD...   run CMD with USER's uid and primary gid only

TOP=/tmp/postern-privilege-test
DROPGROUP=posterntestdrop

as() {
    local user=$1
    shift
    setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups -- "$@"
}

setgid_install() {
    local writer
    [ "$(id -u)" = 0 ] || skip "needs root to install a set-gid writer and switch users"
    command -v setpriv >/dev/null || skip "setpriv (util-linux) not found"
    getent passwd nobody >/dev/null && getent passwd daemon >/dev/null ||
        skip "no nobody/daemon users"
    # The test writer has this spool compiled in: two suites on one
    # machine (a build and a sanitizer build, say) take turns.
    exec 9>"$TOP.lock"
    flock 9 || fail "cannot lock $TOP.lock"
    # A set-gid bit is ignored on a nosuid filesystem (hardened hosts,
    # containers, Debian 13's tmp.mount): nothing here could be tested.
    if command -v findmnt >/dev/null &&
        findmnt -no OPTIONS -T /tmp | tr ',' '\n' | grep -qx nosuid; then
        skip "/tmp is mounted nosuid, so the set-gid writer cannot run set-gid there"
    fi
    writer=${top_builddir:?}/tests/tools/postern-drop-privtest
    [ -x "$writer" ] || fail "test writer not built: $writer"
    make_tmpdir
    _setgid_created_group=
    if ! getent group "$DROPGROUP" >/dev/null; then
        groupadd --system "$DROPGROUP" || fail "groupadd $DROPGROUP"
        _setgid_created_group=1
    fi
    trap 'rc=$?; setgid_cleanup; (exit $rc); _cleanup' EXIT
    SH=$TEST_TMPDIR/sh
    start_smarthost "$SH" --listen starttls:127.0.0.1:0
    setup_worker "$SH"		# for $WLOG and a config to copy
    rm -rf "$TOP" /tmp/postern-privilege-evil
    install -d -m 0755 "$TOP" "$TOP/bin" "$TOP/spool" "$TOP/spool/public"
    install -d -m 1770 -g "$DROPGROUP" "$TOP/spool/incoming"
    install -d -m 0700 "$TOP/spool/queue"
    install -m 0755 "$POSTERN_BIN/sendmail" "$POSTERN_BIN/postern" "$TOP/bin/"
    install -m 2755 -g "$DROPGROUP" "$writer" "$TOP/bin/postern-drop"
    # The smarthost CA must be readable by the worker only; the config by all.
    sed "s|tls_ca_file = .*|tls_ca_file = \"$SH/ca.pem\"|" "$POSTERN_CONFIG" >"$TOP/postern.conf"
    chmod 0644 "$TOP/postern.conf"
    export POSTERN_CONFIG=$TOP/postern.conf POSTERN_SPOOL_DIR=$TOP/spool POSTERN_DROP=$TOP/bin/postern-drop
    SPOOL=$TOP/spool
}

setgid_cleanup() {
    rm -rf "$TOP" /tmp/postern-privilege-evil
    [ -n "${_setgid_created_group:-}" ] && groupdel "$DROPGROUP" 2>/dev/null
    return 0
}
