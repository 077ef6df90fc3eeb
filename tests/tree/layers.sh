#!/bin/bash
# layers.sh - keep the layers of src/ honest (src/README draws them):
#   util      includes only util;
#   mail      includes util and mail, never the wire;
#   smtp      includes util, mail and smtp;
#   admin     (the queue commands sendmail and postern share) includes
#             util and mail;
#   a program includes the layers, admin and its own folder, never
#             another program's;
#   sysexits  only in the programs and admin, and in util's fatal exits
#             (log.c, xalloc.c, strbuf.c: out of memory, overflow);
#   the set-gid writer links no OpenSSL, no libconfuse and no allocator
#   (nm on the built binary: no SSL_, cfg_, malloc, strbuf_ or xmalloc).
# Each rule breaks with the file and the line that broke it.
# shellcheck source=../lib/common.sh
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
src=$TESTS_DIR/../src
failures=0
broke() { echo "layers: $*" >&2; failures=$((failures + 1)); }

# includes FILE - the project headers FILE includes, one per line
includes() { sed -n 's/^#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$1"; }

# folder_of HEADER - the src/ folder that holds HEADER, or nothing
folder_of() {
	local f
	for f in "$src"/*/"$1"; do
		[ -e "$f" ] && { basename "$(dirname "$f")"; return; }
	done
}

# check_folder FOLDER ALLOWED... - FOLDER's files include only from ALLOWED
check_folder() {
	local folder=$1 file h where allowed
	shift
	allowed=" $* "
	for file in "$src/$folder"/*.[ch]; do
		while read -r h; do
			[ "$h" = config.h ] && continue
			where=$(folder_of "$h")
			[ -n "$where" ] || { broke "src/$folder/${file##*/} includes \"$h\", which is in no folder of src/"; continue; }
			case $allowed in
			*" $where "*) ;;
			*) broke "src/$folder/${file##*/}: #include \"$h\" reaches up into src/$where/" ;;
			esac
		done < <(includes "$file")
	done
}

check_folder util util
check_folder mail util mail
check_folder smtp util mail smtp
check_folder admin util mail admin
for prog in sendmail posternd postern postern-drop; do
	check_folder "$prog" util mail smtp admin "$prog"
done
[ -d "$src/lib" ] && broke "src/lib/ is back: shared code goes into util, mail or smtp"

# sysexits below the programs
while IFS=: read -r file line _; do
	case ${file##*/} in log.c|xalloc.c|strbuf.c) continue ;; esac
	broke "${file#"$src"/}:$line: a sysexits code below the programs (return a result, let the program map it)"
done < <(grep -n 'EX_[A-Z]\|<sysexits.h>' "$src"/util/*.c "$src"/mail/*.[ch] "$src"/smtp/*.[ch] 2>/dev/null)

# What the set-gid writer links.
drop=${POSTERN_BIN:-}/postern-drop
if [ -x "$drop" ]; then
	command -v nm >/dev/null || fail "nm (binutils) is needed to read the writer's symbols"
	syms=$(nm "$drop") || fail "nm $drop"
	for bad in 'SSL_' 'cfg_' 'malloc' 'calloc' 'realloc' 'strbuf_' 'xmalloc' 'conf_'; do
		hit=$(printf '%s\n' "$syms" | awk -v b="$bad" '{ s = $NF } index(s, b) == 1 { print s }' | head -n 3)
		[ -z "$hit" ] || broke "the set-gid writer links $bad...: $(echo $hit)"
	done
else
	broke "no built writer at $drop (POSTERN_BIN)"
fi

[ "$failures" = 0 ] || fail "$failures layer rule(s) broken"
echo "layers: util < mail < smtp < programs (and admin); sysexits only in programs; the writer links libc and util only"
