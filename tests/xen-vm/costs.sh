#!/bin/bash
# A dom0 scenario that times what the real-Xen suite spends its time on:
# starting a program, and each kind of xl call the suite makes, with no
# guest and then with a paused guest.  Prints one line per kind: the
# median and the spread of COSTS_N calls (default 5), in seconds.
#   XENVM_SCENARIO=tests/xen-vm/costs.sh tests/xen-vm/run.sh BUILD
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
P=/xentest W=/run/xl-costs N=${COSTS_N:-5}
mkdir -p "$W"
us() { local s=${EPOCHREALTIME/./}; echo $((10#$s)); }
sec() { printf '%d.%02d' $(($1 / 1000000)) $(($1 % 1000000 / 10000)); }	# sec MICROSECONDS
# cost LABEL COMMAND...: runs COMMAND N times, prints the median and range
cost() {
	local lbl=$1 i t0 t1 a=() s; shift
	for ((i = 0; i < N; i++)); do
		t0=$(us); "$@" >/dev/null 2>&1; t1=$(us)
		a+=($((t1 - t0)))
	done
	mapfile -t s <<<"$(printf '%s\n' "${a[@]}" | sort -n)"
	printf 'cost %-36s median %s s  (%s .. %s, %d calls)\n' "$lbl" \
		"$(sec "${s[$((N / 2))]}")" "$(sec "${s[0]}")" "$(sec "${s[$((N - 1))]}")" "$N"
}
cat > "$W/g.cfg" <<EOC
name = "costs"
type = "pv"
kernel = "$P/vmlinux"
ramdisk = "$P/guest.cpio.gz"
extra = "console=hvc0 loglevel=4 sleep=5"
memory = 96
vcpus = 1
on_poweroff = "destroy"
EOC
cost "bash builtin (nothing)" :
cost "/bin/true" /bin/true
cost "xenstore-read /local/domain/0/name" xenstore-read /local/domain/0/name
cost "xl domid Domain-0" xl domid Domain-0
cost "xl list" xl list
for c in "xl list -l Domain-0" "xl vcpu-list" "xl info"; do
	read -r -a argv <<<"$c"
	cost "$c" "${argv[@]}"
done
t0=$(us); rc=0; xl create -p "$W/g.cfg" >"$W/c.log" 2>&1 || rc=$?; echo "cost xl create -p: $(sec $(($(us) - t0))) s (rc $rc)"
cost "xl list (paused guest up)" xl list
cost "xl list -l costs" xl list -l costs
cost "xl network-list costs" xl network-list costs
cost "xl pause/unpause costs" sh -c 'xl unpause costs; xl pause costs'
t0=$(us); xl destroy costs; echo "cost xl destroy: $(sec $(($(us) - t0))) s"
