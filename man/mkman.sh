#!/bin/sh
# Makes one manual page out of man/xensnmp.pod, the single source of
# xensnmp's manual pages: cuts out the part that starts with
# "=for xensnmp-page NAME SECTION", fills in the configured paths and
# formats it with pod2man.
#   mkman.sh POD NAME SECTION VERSION OUT [@VAR@=VALUE ...]
# The date is SOURCE_DATE_EPOCH's when set (reproducible packages), else
# the source's modification time.
set -eu
pod=$1 name=$2 section=$3 version=$4 out=$5
shift 5
: "${POD2MAN:=pod2man}"

tmp=$out.pod.tmp
: >"$tmp.sed"
for pair in "$@"; do
	printf 's|%s|%s|g\n' "${pair%%=*}" "${pair#*=}" >>"$tmp.sed"
done

epoch=${SOURCE_DATE_EPOCH:-$(stat -c %Y "$pod")}
date=$(date -u -d "@$epoch" +%Y-%m-%d)

awk -v want="$name $section" '
	/^=for xensnmp-page / { on = ($3 " " $4 == want); found += on; next }
	on { print }
	END { if (!found) exit 1 }
' "$pod" >"$tmp" || { echo "mkman.sh: no page \"$name $section\" in $pod" >&2; rm -f "$tmp" "$tmp.sed"; exit 1; }
sed -f "$tmp.sed" "$tmp" >"$tmp.2"
if grep -n '@[A-Za-z_]*@' "$tmp.2" >&2; then
	echo "mkman.sh: unsubstituted variables in page $name($section)" >&2
	rm -f "$tmp" "$tmp.2" "$tmp.sed"; exit 1
fi
"$POD2MAN" --utf8 --errors=die --name="$(echo "$name" | tr '[:lower:]' '[:upper:]')" --section="$section" \
	--center="xensnmp" --release="xensnmp $version" --date="$date" "$tmp.2" >"$out.tmp"
rm -f "$tmp" "$tmp.2" "$tmp.sed"
mv "$out.tmp" "$out"
