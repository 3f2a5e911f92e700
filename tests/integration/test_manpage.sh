#!/bin/bash
# The manual pages against what the agent does: the options in
# "xensnmpd --help" and the OPTIONS of xensnmpd(8) are the same set, each
# one is accepted by the option parser; the configuration tokens that
# agent/*.c registers and the TOKENS of xensnmpd.conf(5) are the same set,
# and the sample xensnmpd.conf names each.  The pages are read from their
# one source, man/xensnmp.pod; the generated pages must format cleanly.
. "$(dirname "$0")/lib.sh"

POD=$top_srcdir/man/xensnmp.pod

# page NAME SECTION: that page's part of the POD source
page() {
	awk -v want="$1 $2" '/^=for xensnmp-page / { on = ($3 " " $4 == want); next } on' "$POD"
}
# section HEAD1-TITLE: one =head1 section of the POD on stdin
section() {
	awk -v want="=head1 $1" '/^=head1 / { on = ($0 == want); next } on'
}
any() { grep "$@" || true; }	# grep that may find nothing (set -e, pipefail)
sorted() { tr ' ' '\n' | sed '/^$/d' | sort -u | tr '\n' ' ' | sed 's/ $//'; }

help=$("$AGENT" --help 2>&1) || { fail "xensnmpd --help exits 0"; finish; }
man8=$(page xensnmpd 8)
man5=$(page xensnmpd.conf 5)
[ -n "$man8" ] && pass "xensnmp.pod has the xensnmpd(8) page" || fail "no xensnmpd(8) page in $POD"
[ -n "$man5" ] && pass "xensnmp.pod has the xensnmpd.conf(5) page" || fail "no xensnmpd.conf(5) page in $POD"

# --- options ---
# --help: the option column of the lines that start with a dash
help_opts=$(printf '%s\n' "$help" | sed -n 's/^ \{1,\}\(-[^ ].*\)$/\1/p' |
	sed 's/   .*//' | any -oE '(^|[ ,])--?[A-Za-z][A-Za-z-]*' | tr -d ' ,' | sorted)
# xensnmpd(8): the B<-x> names of each =item under OPTIONS
man_items=$(printf '%s\n' "$man8" | section OPTIONS | any '^=item ')
man_opts=$(printf '%s\n' "$man_items" | any -oE 'B<--?[A-Za-z][A-Za-z-]*' | sed 's/^B<//' | sorted)
[ "$(wc -w <<<"$help_opts")" -ge 10 ] && pass "--help lists options ($(wc -w <<<"$help_opts"))" ||
	fail "--help lists too few options to be read right: [$help_opts]"
check_eq "the options of --help and of xensnmpd(8) are the same" "$help_opts" "$man_opts"
synopsis=$(printf '%s\n' "$man8" | section SYNOPSIS | any -oE 'B<--?[A-Za-z][A-Za-z-]*' | sed 's/^B<//' | sorted)
# each =item line: its short and long names are one option; one of them
# in the SYNOPSIS suffices
while read -r item; do
	names=$(any -oE 'B<--?[A-Za-z][A-Za-z-]*' <<<"$item" | sed 's/^B<//' | tr '\n' ' ')
	found=""
	for n in $names; do [[ " $synopsis " == *" $n "* ]] && found=$n; done
	[ -n "$found" ] && pass "SYNOPSIS names $names" || fail "SYNOPSIS of xensnmpd(8) lacks $names"
done <<<"$man_items"

# every option the page documents is accepted: "OPTION [VALUE] --version"
# parses it and exits 0 with the version
probe_value() {	# the metavariable of an =item, as a harmless value
	case $1 in
	FILE) echo /dev/null ;;
	ADDR) echo "unix:$T/no-master" ;;
	TOKENS) echo xensnmp ;;
	SECONDS) echo 5 ;;
	"") ;;
	*) echo 1 ;;
	esac
}
version=$("$AGENT" --version 2>/dev/null)
while read -r item; do
	metavar=$(any -oE 'I<[A-Z]+>' <<<"$item" | head -n1 | sed 's/^I<//; s/>$//')
	for n in $(any -oE 'B<--?[A-Za-z][A-Za-z-]*' <<<"$item" | sed 's/^B<//'); do
		case $n in
		-L) args=(-Le) ;;	# -L takes its mode glued on
		-V|--version|-h|--help) continue ;;
		*) args=("$n"); [ -z "$metavar" ] || args+=("$(probe_value "$metavar")") ;;
		esac
		# (stdout only: -D announces its tokens on stderr)
		out=$("$AGENT" "${args[@]}" --version 2>"$T/probe.err") && [ "$out" = "$version" ] &&
			pass "xensnmpd accepts ${args[*]}" ||
			fail "xensnmpd ${args[*]} --version: [$out] $(cat "$T/probe.err")"
	done
done <<<"$man_items"

# the defaults --help states are the page's
while read -r line; do
	opt=$(any -oE -- '--?[a-z][a-z-]*' <<<"$line" | tail -n1)
	def=$(sed -n 's/.*(default \([^)]*\)).*/\1/p' <<<"$line")
	item=$(printf '%s\n' "$man8" | section OPTIONS | awk -v o="B<$opt>" '
		/^=item / { on = index($0, o) > 0; if (on) print; next } /^=/ { on = 0 } on')
	[[ $item == *"default $def"* ]] && pass "xensnmpd(8) gives $opt's default, $def" ||
		fail "xensnmpd(8) does not say $opt defaults to $def"
done < <(printf '%s\n' "$help" | any -E '^ +-.*\(default [^)]*\)')

# --- configuration tokens ---
# registered: register_app_config_handler("TOKEN", ...),
# register_config_handler(TYPE, "TOKEN", ...) and their prenetsnmp_mib
# forms in the agent's sources
registered=$(cat "$top_srcdir"/agent/*.c | tr -d '\n' |
	any -oE 'register_(app_)?(config|prenetsnmp_mib)_handler\(("[^"]*"|[A-Za-z_]+)?[[:space:]]*,?[[:space:]]*"[A-Za-z0-9_]+"' |
	any -oE '"[A-Za-z0-9_]+"$' | tr -d '"' | sorted)
# tokens of the agent's own persistent state (registered under a
# *_STORE_TYPE file type, written by the agent): not configuration
stored=$(cat "$top_srcdir"/agent/*.c | tr -d '\n' |
	any -oE 'register_config_handler\([A-Z_]*STORE_TYPE[[:space:]]*,[[:space:]]*"[A-Za-z0-9_]+"' |
	any -oE '"[A-Za-z0-9_]+"$' | tr -d '"' | sorted)
[ -z "$stored" ] || registered=$(printf '%s\n' $registered | any -vxF -f <(printf '%s\n' $stored) | sorted)
[ -n "$registered" ] && pass "agent/*.c registers tokens: $registered" ||
	fail "no register_*config_handler call found in agent/*.c (the pattern needs updating)"
tokens_sec=$(printf '%s\n' "$man5" | section TOKENS)
ours=$(printf '%s\n' "$tokens_sec" | awk '/^=head2 /{exit} /^=item /' | any -oE '^=item B<[A-Za-z0-9_]+>' |
	sed 's/^=item B<//; s/>$//' | sorted)
netsnmps=$(printf '%s\n' "$tokens_sec" | awk '/^=head2 /{on=1} on && /^=item /' | any -oE 'B<[A-Za-z0-9_]+>' |
	sed 's/^B<//; s/>$//' | sorted)
check_eq "the tokens agent/*.c registers and xensnmpd.conf(5) documents are the same" "$registered" "$ours"
for tok in $(printf '%s\n' "$help" | any -oE '\b(xensnmp|agentX|agentx)[A-Z][A-Za-z0-9_]*' | sort -u); do
	[[ " $ours $netsnmps " == *" $tok "* ]] && pass "--help's token $tok is in xensnmpd.conf(5)" ||
		fail "--help names $tok, xensnmpd.conf(5) does not"
done
for tok in $registered; do
	grep -qE "^#?$tok( |$)" "$top_srcdir/contrib/xensnmpd.conf" && pass "sample xensnmpd.conf shows $tok" ||
		fail "sample contrib/xensnmpd.conf lacks $tok"
	# each token's entry has an example line (indented in POD)
	printf '%s\n' "$tokens_sec" | awk -v t="=item B<$tok>" '
		index($0, t) == 1 { on = 1; next } /^=/ { on = 0 } on && /^[ \t]+[^ \t]/ { print }' |
		grep -qE "^[[:space:]]+$tok " && pass "xensnmpd.conf(5) shows an example of $tok" ||
		fail "xensnmpd.conf(5) has no example line for $tok"
done

# --- the generated pages ---
for p in man/xensnmpd.8 man/xensnmpd.conf.5; do
	f=$top_builddir/$p
	if [ ! -s "$f" ]; then fail "$p was not generated"; continue; fi
	pass "$p generated"
	if grep -q '@[A-Za-z_]*@' "$f"; then fail "$p has unsubstituted @VARIABLES@"; else pass "$p: paths filled in"; fi
	if command -v groff >/dev/null; then
		# every warning but "can't break line", which a long configured
		# path (distcheck's prefix) causes
		warn=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -Wbreak -z "$f" 2>&1)
		check_eq "$p formats without groff warnings" "" "$warn"
	else
		log "skip - groff not installed: formatting of $p not checked"
	fi
done
finish
