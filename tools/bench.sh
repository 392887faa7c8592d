# ./akuma bench: Akuma beside Debian's Linux on the same QEMU machine.
# Sourced by ./akuma (it uses its qemu_command, run options and paths);
# docs/PERFORMANCE.md describes the method and the figures.
#
# Primary figures: guest instructions under QEMU -icount shift=0,sleep=off
# (one virtual ns = one instruction). Secondary: wall-clock ns of the same
# user-space benchmarks without -icount (median of --wall-runs boots of
# each kernel), the smallest -m each kernel needs (bisected in MiB), and
# (the network section) MB/s through QEMU's port forward.

# Prints the kernel's console output for the given boot arguments.
# $2: "icount" (default) or "wall" (no -icount: host time under TCG).
bench_boot() {
    append=$1
    qemu_command
    [[ ${2:-icount} == wall ]] || qemu+=(-icount shift=0,sleep=off)
    timeout 600 "${qemu[@]}" </dev/null 2>&1 | tr -d '\r' || true
}

# Writes a gzip'd newc initrd $2 from the directory $1.
bench_pack_initrd() {
    (cd "$1" && find . | LC_ALL=C sort | cpio --quiet -o -H newc --owner=0:0 | gzip) >"$2"
}

# Boots Debian's Linux with the initrd $1; prints its console output.
# $2: "icount" or "wall"; $3: -m value (default: the bench's); $4: timeout.
bench_linux_boot() {
    local initrd_file=$1 clock=$2 memory=${3:-$mem} limit=${4:-900}
    local -a command=(qemu-system-aarch64 -M virt -cpu "$cpu" -m "$memory" -nographic -no-reboot -nic none
                      -kernel "$linux_kernel" -initrd "$initrd_file" -append "console=ttyAMA0 quiet panic=-1")
    [[ $clock == wall ]] || command+=(-icount shift=0,sleep=off)
    timeout "$limit" "${command[@]}" </dev/null 2>&1 | tr -d '\r' || true
}

# A busybox root for Linux in directory $1; /init runs the lines on stdin
# and powers off.
bench_linux_root() {
    local dir=$1
    mkdir -p "$dir/bin" "$dir/proc" "$dir/dev" "$dir/tmp"
    cp "$busybox_binary" "$dir/bin/busybox"
    {
        echo '#!/bin/busybox sh'
        echo '/bin/busybox mount -t proc proc /proc'
        echo '/bin/busybox mount -t devtmpfs dev /dev'
        echo 'cd /tmp'
        cat
        echo '/bin/busybox poweroff -f'
    } >"$dir/init"
    chmod 755 "$dir/init"
}

# The same static membench and fsbench binaries on Debian's Linux kernel,
# same QEMU machine: prints their output. $1: the programs' argument (""
# or quick); $2: "icount" or "wall"; $3: which programs, "all" (default)
# or "fs" (fsbench only).
bench_linux() {
    local mode=$1 clock=$2 selection=${3:-all} work allocator
    work=$(mktemp -d)
    {
        if [[ $selection == all ]]; then
            echo "/bin/membench-glibc $mode; echo \"[membench-status] \$?\""
            for allocator in fast guard brk; do
                echo "AKUMA_MALLOC=$allocator /bin/membench $mode; echo \"[membench-status] \$?\""
            done
        fi
        echo "/bin/fsbench $mode; echo \"[fsbench-status] \$?\""
    } | bench_linux_root "$work/root"
    cp "$build_dir/rootfs/bin/membench" "$build_dir/rootfs/bin/membench-glibc" "$build_dir/rootfs/bin/fsbench" \
        "$work/root/bin/"
    bench_pack_initrd "$work/root" "$work/initrd.gz"
    bench_linux_boot "$work/initrd.gz" "$clock"
    rm -rf "$work"
}

# The last line of stdin matching the extended regex $1, or nothing (a
# missing line must reach the caller's check, not end ./akuma under
# `set -e -o pipefail` without a word).
last_match() {
    grep -aE "$1" | tail -1 || true
}

# Checks a user-space run: every program passed on Akuma ($2 = akuma), or
# every run ended with status 0 on Linux ($2 = linux). $4: the programs,
# "all" (membench under each allocator, then fsbench) or "fs" (fsbench).
# On failure prints the console and ends ./akuma with what went wrong.
check_membench_run() {
    local out=$1 kernel=$2 what=$3 selection=${4:-all} program membench_runs=4
    local -a programs=(fsbench)
    if [[ $selection == all ]]; then
        programs=(membench-glibc membench-fast membench-guard membench-brk fsbench)
    else
        membench_runs=0
    fi
    if [[ $kernel == akuma ]]; then
        for program in "${programs[@]}"; do
            grep -aq "^\[Test\] $program PASSED" <<<"$out" && continue
            echo "$out" >&2
            die "$what: $program did not pass on Akuma"
        done
    else
        [[ $(grep -ac '^\[membench-status\] 0$' <<<"$out") == "$membench_runs" &&
           $(grep -ac '^\[fsbench-status\] 0$' <<<"$out") == 1 ]] && return 0
        echo "$out" >&2
        die "$what: not every membench/fsbench run ended with status 0 on Linux"
    fi
}

# "<metric>|<ns per op>" for each membench and fsbench metric, first run
# only (the glibc build of membench runs first, so the kernel rows come
# from it).
membench_rows() {
    grep -aE '^\[(membench|fsbench)\] .*: [0-9]* ns/op' | sed -E 's/^\[(membench|fsbench)\] (.*): ([0-9]+) ns\/op.*/\2|\3/' |
        awk -F'|' '!seen[$1]++'
}

# "<metric>|<KiB>" for each membench and fsbench memory metric.
membench_kib_rows() {
    grep -aE '^\[(membench|fsbench)\] .*: [0-9-]* KiB for' |
        sed -E 's/^\[(membench|fsbench)\] (.*): ([0-9-]+) KiB for.*/\2|\3/'
}

# Reads "<metric>|<value>" lines of several runs; prints "<metric>|<median>"
# (the lower middle value for an even count), in first-seen order.
median_rows() {
    awk -F'|' '
        !($1 in count) { order[++metrics] = $1 }
        { values[$1, ++count[$1]] = $2 }
        END {
            for (m = 1; m <= metrics; m++) {
                name = order[m]; n = count[name]
                for (i = 1; i <= n; i++) sorted[i] = values[name, i] + 0
                for (i = 2; i <= n; i++)  # insertion sort: n is a handful
                    for (j = i; j > 1 && sorted[j - 1] > sorted[j]; j--) { t = sorted[j]; sorted[j] = sorted[j - 1]; sorted[j - 1] = t }
                print name "|" sorted[int((n + 1) / 2)]
            }
        }'
}

# ---- smallest RAM
# Each probe boots one kernel with -m <its last argument>M (no -icount: only pass or fail
# matters) and succeeds when it got as far as the probe asks. A boot that
# hangs, panics or that QEMU refuses (no room for the DTB) is a failure.

# Akuma's root file system for the probes: only what the probe runs.
minram_akuma_initrd() {  # $1: directory, $2: list line, $3...: programs to copy to /bin
    local dir=$1 line=$2 program
    shift 2
    mkdir -p "$dir/root/bin" "$dir/root/etc/akuma"
    for program in "$@"; do cp "$program" "$dir/root/bin/"; done
    echo "$line" >"$dir/root/etc/akuma/minram"
    (cd "$dir/root" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc --owner=0:0) >"$dir/initrd.cpio"
}

minram_akuma_run() {  # $1: MiB, $2: initrd or "", $3: boot arguments; prints the console
    local saved_mem=$mem saved_initrd=$initrd
    mem="$1M" initrd=$2 append=$3
    qemu_command
    mem=$saved_mem initrd=$saved_initrd
    timeout 60 "${qemu[@]}" </dev/null 2>&1 | tr -d '\r' || true
}

# Akuma kernel alone (no initrd): the test suite's Format test passes.
probe_akuma_kernel() {
    local out
    out=$(minram_akuma_run "$1" "" "test=Format memory_debug=off")
    grep -aq '^Overall: ALL TESTS PASSED$' <<<"$out"
}

probe_akuma_program() {  # $1: label of the program in the probe's initrd; $2: MiB
    local out
    out=$(minram_akuma_run "$2" "$minram_dir/initrd-$1.cpio" "test=none memory_debug=off programs=/etc/akuma/minram")
    grep -aq "^\[Test\] $1 PASSED$" <<<"$out" && grep -aq 'user memory fully returned - PASSED$' <<<"$out"
}

probe_linux() {  # $1: the probe's initrd; $2: MiB. Passes if its marker appears.
    local out
    out=$(bench_linux_boot "$minram_dir/linux-$1.gz" wall "$2M" 90)
    grep -aq "^\[minram\] $1 ok$" <<<"$out"
}

# Smallest MiB in [1, $2] for which "$1 MiB" passes, assuming more RAM never
# hurts; prints "" if even $2 fails. Each step is one boot.
bisect_mem() {
    local probe=$1 high=$2 low=0 middle
    $probe "$high" || return 0
    # Invariant: low fails (0 trivially), high passes.
    while (( high - low > 1 )); do
        middle=$(( (low + high) / 2 ))
        if $probe "$middle"; then high=$middle; else low=$middle; fi
    done
    echo "$high"
}

# Rows "smallest -m ..." for both kernels. With --smoke every probe runs
# once at the bench's -m (the harness end to end, no bisection).
minram_rows() {
    local smoke=$1 limit=${mem%M} probe
    [[ $mem =~ ^[0-9]+M$ ]] || { echo "minram: -m must be in MiB (e.g. 512M), not $mem" >&2; return 1; }
    minram_dir=$(mktemp -d)
    minram_akuma_initrd "$minram_dir/hello" "hello /bin/hello" "$build_dir/rootfs/bin/tests/hello"
    mv "$minram_dir/hello/initrd.cpio" "$minram_dir/initrd-hello.cpio"
    minram_akuma_initrd "$minram_dir/stdcheck" "stdcheck /bin/stdcheck" "$build_dir/rootfs/bin/stdcheck"
    mv "$minram_dir/stdcheck/initrd.cpio" "$minram_dir/initrd-stdcheck.cpio"
    echo 'echo "[minram] init ok"' | bench_linux_root "$minram_dir/linux-init"
    bench_pack_initrd "$minram_dir/linux-init" "$minram_dir/linux-init.gz"
    echo '/bin/stdcheck >/dev/null && echo "[minram] stdcheck ok"' | bench_linux_root "$minram_dir/linux-stdcheck"
    cp "$build_dir/rootfs/bin/stdcheck" "$minram_dir/linux-stdcheck/bin/"
    bench_pack_initrd "$minram_dir/linux-stdcheck" "$minram_dir/linux-stdcheck.gz"

    # probe name -> smallest MiB ("" if it fails even at the bench's -m)
    local -A smallest=()
    for probe in probe_akuma_kernel "probe_akuma_program hello" "probe_akuma_program stdcheck" \
                 "probe_linux init" "probe_linux stdcheck"; do
        if [[ $smoke == 1 ]]; then
            smallest[$probe]=$($probe "$limit" && echo "$limit" || true)
        else
            smallest[$probe]=$(bisect_mem "$probe" "$limit")
        fi
    done
    rm -rf "$minram_dir"
    rows+=("smallest -m, MiB: Akuma kernel boots, no initrd (Linux: reaches its init)|${smallest[probe_akuma_kernel]}|${smallest[probe_linux init]}")
    rows+=("smallest -m, MiB: Akuma runs hello from a 0.7 MB initrd|${smallest[probe_akuma_program hello]}|")
    rows+=("smallest -m, MiB: stdcheck passes|${smallest[probe_akuma_program stdcheck]}|${smallest[probe_linux stdcheck]}")
}

# ---- the disk rows (./akuma bench disk)
# diskbench on an ext2 image (4 KiB blocks) holding a 64 MiB file and a tree
# of 10,000 small files, on Akuma (./akuma exec --disk: mounted on /mnt) and
# on Debian's Linux (its virtio_mmio, virtio_blk and ext4 modules, the disk
# mounted on /mnt), each on a fresh copy of the same image, under -icount.
# Wall clock is not measured for these rows (QEMU's disk I/O timing is the
# host's).
make_disk_bench_image() {
    local image=$1 stage
    stage=$(mktemp -d)
    head -c $((64 << 20)) /dev/urandom >"$stage/big"
    python3 - "$stage/tree" <<'PY'
import os, sys
root = sys.argv[1]
for d in range(100):
    os.makedirs(f"{root}/d{d:02}")
    for f in range(100):
        with open(f"{root}/d{d:02}/f{f:02}", "w") as out:
            out.write(f"file {d} {f}\n" * 8)
PY
    rm -f "$image"
    truncate -s 256M "$image"
    mke2fs -q -F -t ext2 -b 4096 -d "$stage" "$image"
    rm -rf "$stage"
}

# Shell lines for a Linux initramfs's /init: load the disk modules (copied
# to /lib) in dependency order and wait for /dev/vda.
linux_disk_module_lines() {
    local module
    for module in "${linux_disk_modules[@]}"; do echo "insmod /lib/$(basename "$module")"; done
    echo 'for i in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/vda ] && break; sleep 1; done'
}

# The marks plugin (tools/profile/icount_marks.c), built for this host;
# prints its path.
marks_plugin() {
    local plugin="$build_dir/profile/libicount_marks.so"
    mkdir -p "$(dirname "$plugin")"
    cc -shared -fPIC -O2 -o "$plugin" "$root/tools/profile/icount_marks.c"
    echo "$plugin"
}

# The address of bench_mark() in the static benchmark program $1.
bench_marker() {
    local marker
    marker=0x$(nm "$1" | awk '$3 == "bench_mark" {print $1}')
    [[ $marker != 0x ]] || die "$(basename "$1") has no bench_mark symbol"
    echo "$marker"
}

# Akuma booting the Debian disk copy $1 as its root with init="$2", under
# -icount with the marks plugin $3 watching the address $4 (recorded in $5);
# prints the console.
akuma_disk_boot_marked() {
    "$root/akuma" run --no-build --net none --no-initrd --mem "$mem" --disk "$1" --timeout 1800 \
        --append "root=/dev/vda rw memory_debug=off init=\"$2\"" \
        --qemu "-icount shift=0,sleep=off -plugin $3,marker=$4,out=$5" 2>&1 | tr -d '\r' || true
}

# Debian's Linux with the initramfs $1 and the disk $2 as /dev/vda, under
# -icount with the marks plugin $3 (marker $4) writing to $5; prints the
# console.
linux_disk_boot_marked() {
    timeout 1800 qemu-system-aarch64 -M virt -cpu "$cpu" -m "$mem" -nographic -no-reboot -nic none \
        -drive "if=none,format=raw,file=$2,id=disk0" -device virtio-blk-device,drive=disk0 \
        -kernel "$linux_kernel" -initrd "$1" -append "console=ttyAMA0 quiet panic=-1" \
        -icount shift=0,sleep=off -plugin "$3,marker=$4,out=$5" </dev/null 2>&1 | tr -d '\r' || true
}

disk_rows() {
    local smoke=$1 work mode="" out linux_out marker plugin
    [[ $smoke == 1 ]] && mode=quick
    [[ $no_build == 1 ]] || fetch_linux_disk_modules
    [[ -f $linux_disk_modules_dir/ext4.ko ]] || die "no Linux disk modules in $linux_disk_modules_dir (run ./akuma bench disk without --no-build)"
    # Instructions between diskbench's marks (tools/profile/icount_marks.c).
    plugin=$(marks_plugin)
    marker=$(bench_marker "$build_dir/rootfs/bin/diskbench")
    work=$(mktemp -d)
    make_disk_bench_image "$work/pristine.img"
    cp --sparse=always "$work/pristine.img" "$work/akuma.img"
    out=$("$root/akuma" exec --no-build --net none --mem "$mem" --disk "$work/akuma.img" \
          --qemu "-icount shift=0,sleep=off -plugin $plugin,marker=$marker,out=$work/akuma.marks" \
          "$build_dir/rootfs/bin/diskbench" /mnt $mode 2>&1 | tr -d '\r' || true)
    grep -q '^\[diskbench\] done' <<<"$out" || { echo "$out" >&2; rm -rf "$work"; die "diskbench failed on Akuma"; }
    cp --sparse=always "$work/pristine.img" "$work/linux.img"
    {
        echo 'mkdir -p /mnt'
        linux_disk_module_lines
        echo 'mount -t ext2 /dev/vda /mnt'
        echo "/bin/diskbench /mnt $mode; echo \"[diskbench-status] \$?\""
        echo 'umount /mnt'
    } | bench_linux_root "$work/root"
    mkdir -p "$work/root/lib"
    cp "$linux_disk_modules_dir"/*.ko "$work/root/lib/"
    cp "$build_dir/rootfs/bin/diskbench" "$work/root/bin/"
    bench_pack_initrd "$work/root" "$work/initrd.gz"
    linux_out=$(linux_disk_boot_marked "$work/initrd.gz" "$work/linux.img" "$plugin" "$marker" "$work/linux.marks")
    grep -q '^\[diskbench\] done' <<<"$linux_out" || { echo "$linux_out" >&2; rm -rf "$work"; die "diskbench failed on Linux"; }
    local -a names=() akuma_rows=() linux_rows=()
    mapfile -t names < <(bench_rows diskbench <<<"$out" | cut -d'|' -f1)
    mapfile -t akuma_rows < <(bench_rows diskbench <<<"$out" | marked_instructions "$work/akuma.marks")
    mapfile -t linux_rows < <(bench_rows diskbench <<<"$linux_out" | marked_instructions "$work/linux.marks")
    rm -rf "$work"
    [[ ${#akuma_rows[@]} == "${#names[@]}" && ${#linux_rows[@]} == "${#names[@]}" ]] ||
        die "diskbench's marks do not match its rows (Akuma ${#akuma_rows[@]}, Linux ${#linux_rows[@]}, rows ${#names[@]})"
    local i
    for (( i = 0; i < ${#names[@]}; i++ )); do
        rows+=("disk: ${names[i]}|${akuma_rows[i]}|${linux_rows[i]}")
    done
}

# An initramfs for Debian's Linux (built in $1, packed into $2) that loads
# the disk modules, mounts the Debian disk (/dev/vda) on /newroot with its
# /proc, /dev and /run, then runs the lines on standard input.
debian_linux_initrd() {
    local dir=$1 initrd=$2
    {
        echo 'mkdir -p /newroot'
        linux_disk_module_lines
        echo 'mount -t ext2 /dev/vda /newroot'
        echo 'mount -t proc proc /newroot/proc; mount -t devtmpfs dev /newroot/dev; mount -t tmpfs run /newroot/run'
        cat
    } | bench_linux_root "$dir"
    mkdir -p "$dir/lib"
    cp "$linux_disk_modules_dir"/*.ko "$dir/lib/"
    bench_pack_initrd "$dir" "$initrd"
}

# ---- the Debian rows (./akuma bench debian)
# debbench (userspace/bench/debbench.c) from a fresh copy of the Debian root
# disk: on Akuma as init= (the kernel mounts the disk as its root), on
# Debian's Linux from an initramfs that loads the disk modules, mounts the
# disk and chroots into it. Both under -icount with the marks plugin: the
# first mark is where the boot ends (the first program runs), then two
# marks per row.
debian_rows() {
    local smoke=$1 work mode="" out linux_out marker plugin
    [[ $smoke == 1 ]] && mode=quick
    [[ -f $linux_disk_modules_dir/ext4.ko ]] || die "no Linux disk modules in $linux_disk_modules_dir (run ./akuma setup)"
    [[ -f $build_dir/debian.ext2 ]] || die "no Debian root disk (run ./akuma build)"
    plugin=$(marks_plugin)
    marker=$(bench_marker "$build_dir/rootfs/bin/debbench")
    work=$(mktemp -d)
    cp --sparse=always "$build_dir/debian.ext2" "$work/akuma.img"
    out=$(akuma_disk_boot_marked "$work/akuma.img" "/bin/debbench${mode:+ $mode}" "$plugin" "$marker" "$work/akuma.marks")
    grep -q '^\[debbench\] done' <<<"$out" || { echo "$out" >&2; rm -rf "$work"; die "debbench failed on Akuma"; }
    cp --sparse=always "$build_dir/debian.ext2" "$work/linux.img"
    {
        echo "chroot /newroot /bin/debbench $mode"
        echo 'umount /newroot/run /newroot/dev /newroot/proc /newroot'
    } | debian_linux_initrd "$work/root" "$work/initrd.gz"
    linux_out=$(linux_disk_boot_marked "$work/initrd.gz" "$work/linux.img" "$plugin" "$marker" "$work/linux.marks")
    grep -q '^\[debbench\] done' <<<"$linux_out" || { echo "$linux_out" >&2; rm -rf "$work"; die "debbench failed on Linux"; }
    rows+=("debian: boot to the first program (instructions)|$(head -1 "$work/akuma.marks")|$(head -1 "$work/linux.marks")")
    local -a names=() akuma_rows=() linux_rows=()
    mapfile -t names < <(bench_rows debbench <<<"$out" | cut -d'|' -f1)
    mapfile -t akuma_rows < <(bench_rows debbench <<<"$out" | marked_instructions "$work/akuma.marks" 1)
    mapfile -t linux_rows < <(bench_rows debbench <<<"$linux_out" | marked_instructions "$work/linux.marks" 1)
    local akuma_kib linux_kib
    akuma_kib=$(sed -n 's/^\[debbench\] memory in use: \([0-9]*\) KiB$/\1/p' <<<"$out")
    linux_kib=$(sed -n 's/^\[debbench\] memory in use: \([0-9]*\) KiB$/\1/p' <<<"$linux_out")
    rm -rf "$work"
    local i
    for (( i = 0; i < ${#names[@]}; i++ )); do
        [[ ${names[i]} == warm-up* ]] && continue
        rows+=("debian: ${names[i]}|${akuma_rows[i]}|${linux_rows[i]}")
    done
    rows+=("debian: memory in use after boot, KiB (MemTotal - MemAvailable)|$akuma_kib|$linux_kib")
}

# ---- the SSH rows (./akuma bench ssh)
# Debian's sshd from a copy of the Debian root disk whose host keys a first
# Akuma boot made (neither measured boot runs ssh-keygen's key generation).
# Instructions from reset to sshd accepting: sshbench's mark
# (userspace/bench/sshbench.c) after /etc/akuma/rc.d, under -icount, on
# Akuma as init's program, on Linux from an initramfs that mounts the disk
# and runs the same scripts chrooted into it. Then the wall-clock rows of
# tools/bench_ssh.py (boot, login round trip, scp both ways) through the
# port forward, on both kernels.
ssh_rows() {
    local work out linux_out marker plugin wall_rows
    [[ -f $linux_disk_modules_dir/ext4.ko ]] || die "no Linux disk modules in $linux_disk_modules_dir (run ./akuma setup)"
    [[ -f $build_dir/debian.ext2 ]] || die "no Debian root disk (run ./akuma build)"
    plugin=$(marks_plugin)
    marker=$(bench_marker "$build_dir/rootfs/bin/sshbench")
    work=$(mktemp -d)
    cp --sparse=always "$build_dir/debian.ext2" "$work/keyed.img"
    "$root/akuma" run --no-build --net none --no-initrd --mem "$mem" --disk "$work/keyed.img" --timeout 900 \
        --append 'root=/dev/vda rw init="/sbin/init /bin/true"' </dev/null >"$work/keys.log" 2>&1 ||
        { cat "$work/keys.log" >&2; rm -rf "$work"; die "the boot that makes the host keys failed"; }
    cp --sparse=always "$work/keyed.img" "$work/akuma.img"
    out=$(akuma_disk_boot_marked "$work/akuma.img" "/sbin/init /bin/sshbench" "$plugin" "$marker" "$work/akuma.marks")
    grep -q '^\[sshbench\] done' <<<"$out" || { echo "$out" >&2; rm -rf "$work"; die "sshbench failed on Akuma"; }
    cp --sparse=always "$work/keyed.img" "$work/linux.img"
    {
        echo 'mkdir -p /newroot/dev/pts; mount -t devpts devpts /newroot/dev/pts; mount -t tmpfs tmp /newroot/tmp'
        echo 'ifconfig lo 127.0.0.1 up'
        # shellcheck disable=SC2016  # expanded by the guest's shell
        echo 'chroot /newroot /bin/sh -c '"'"'for s in /etc/akuma/rc.d/*; do [ -x "$s" ] && "$s"; done; /bin/sshbench'"'"
        echo 'sync'
    } | debian_linux_initrd "$work/root" "$work/initrd.gz"
    linux_out=$(linux_disk_boot_marked "$work/initrd.gz" "$work/linux.img" "$plugin" "$marker" "$work/linux.marks")
    grep -q '^\[sshbench\] done' <<<"$linux_out" || { echo "$linux_out" >&2; rm -rf "$work"; die "sshbench failed on Linux"; }
    rows+=("ssh: boot to sshd accepting (instructions)|$(head -1 "$work/akuma.marks")|$(head -1 "$work/linux.marks")")
    # shellcheck disable=SC2086  # the options are words
    wall_rows=$(python3 "$root/tools/bench_ssh.py" --disk "$work/keyed.img" --keyed ${smoke_ssh_options:-}) ||
        { rm -rf "$work"; die "tools/bench_ssh.py failed"; }
    rm -rf "$work"
    local line
    while IFS= read -r line; do
        rows+=("${line}")
    done <<<"$wall_rows"
}

# ---- the network rows (./akuma bench net; in ./akuma bench unless --no-net)
# netbench (userspace/bench/netbench.c) over the loopback interface on both
# kernels, under -icount with the marks plugin (two marks a row, as for the
# disk rows): Akuma through ./akuma exec --net none, Linux from a busybox
# initramfs without a network device (netbench brings its lo up). Then
# wall-clock throughput through QEMU's user-network port forward, host to
# guest and guest to host: `netbench serve` in the guest, driven from the
# host by tools/bench_forward.py, on each kernel in a boot without -icount.

# Debian's Linux with the initramfs $1 (no devices) under -icount with the
# marks plugin $2 (marker $3) writing to $4; prints the console.
linux_boot_marked() {
    timeout 1800 qemu-system-aarch64 -M virt -cpu "$cpu" -m "$mem" -nographic -no-reboot -nic none \
        -kernel "$linux_kernel" -initrd "$1" -append "console=ttyAMA0 quiet panic=-1" \
        -icount shift=0,sleep=off -plugin "$2,marker=$3,out=$4" </dev/null 2>&1 | tr -d '\r' || true
}

# A host port that was free a moment ago (the kernel's pick for port 0 on
# 127.0.0.1); QEMU may still find it taken, and the caller picks again.
free_host_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# One forward throughput run on kernel $1 (akuma or linux): boots it with
# `netbench serve` behind a forward from a free host port, runs
# tools/bench_forward.py ($2 bytes each way, $3 times) and prints its
# output; the machine's console goes to $4. Fails (status 1) if the client
# fails; picks another port when QEMU could not bind the one it was given.
forward_run() {
    local kernel=$1 bytes=$2 repeats=$3 log=$4 guest_port=5001 limit=900 port machine client_out status i
    for _ in 1 2 3; do
        port=$(free_host_port)
        if [[ $kernel == akuma ]]; then
            setsid "$root/akuma" exec --no-build --net user --ssh-port 0 --fwd "$port:$guest_port" --cpu "$cpu" \
                --mem "$mem" --timeout "$limit" "$build_dir/rootfs/bin/netbench" serve "$guest_port" $(( limit - 30 )) \
                </dev/null >"$log" 2>&1 &
        else
            setsid timeout "$limit" qemu-system-aarch64 -M virt -cpu "$cpu" -m "$mem" -nographic -no-reboot \
                -netdev "user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:$port-:$guest_port" \
                -device virtio-net-device,netdev=net0 \
                -kernel "$linux_kernel" -initrd "$forward_linux_initrd" -append "console=ttyAMA0 quiet panic=-1" \
                </dev/null >"$log" 2>&1 &
        fi
        machine=$!
        status=0
        client_out=$(python3 "$root/tools/bench_forward.py" --port "$port" --bytes "$bytes" --repeats "$repeats" \
                     --wait 300 --pid "$machine") || status=$?
        # After 'Q' the program exits and the machine with it: bounded wait.
        for (( i = 0; i < 600 && status == 0; i++ )); do
            kill -0 "$machine" 2>/dev/null || break
            sleep 0.1
        done
        kill -- -"$machine" 2>/dev/null || true
        wait "$machine" 2>/dev/null || true
        if [[ $status != 0 ]] && grep -aq "Could not set up host forwarding rule" "$log"; then
            continue  # the port was taken meanwhile
        fi
        echo "$client_out"
        return "$status"
    done
    echo "[forward] FAILED: QEMU could not forward a free host port in 3 attempts"
    return 1
}

# "[forward] <direction>: <MB/s> (median ..." of the client's output $1.
forward_rate() {
    sed -n "s/^\[forward\] $2: \([0-9.]*\) MB\/s (median.*/\1/p" <<<"$1"
}

# Debian's redis-server and redis-benchmark on the loopback interface
# (userspace/debian/usr/lib/akuma/checks/redis.sh bench N), from a fresh
# copy of the Debian root disk on each kernel, 1 GiB, under -icount
# shift=0,sleep=off: requests per second of the guests' virtual time (one
# nanosecond an instruction, idle time skipped), so the figure is the
# instructions a request costs, whatever the host's load. On Akuma the
# script is init=; on Linux the initramfs chroots into the disk to run it.
redis_rows() {
    local smoke=$1 requests=20000 work out linux_out kind
    [[ $smoke == 1 ]] && requests=200
    [[ -f $build_dir/debian.ext2 ]] || die "no Debian root disk (run ./akuma build)"
    local script="/usr/lib/akuma/checks/redis.sh bench $requests"
    work=$(mktemp -d)
    cp --sparse=always "$build_dir/debian.ext2" "$work/akuma.img"
    out=$("$root/akuma" run --no-build --net none --no-initrd --mem 1G --disk "$work/akuma.img" --timeout 1800 \
          --append "root=/dev/vda rw memory_debug=off init=\"$script\"" --qemu "-icount shift=0,sleep=off" 2>&1 |
          tr -d '\r' || true)
    grep -q '^\[redisbench\] done' <<<"$out" || { echo "$out" >&2; rm -rf "$work"; die "redis-benchmark failed on Akuma"; }
    cp --sparse=always "$build_dir/debian.ext2" "$work/linux.img"
    {
        echo "chroot /newroot $script"
        echo 'umount /newroot/run /newroot/dev /newroot/proc /newroot'
    } | debian_linux_initrd "$work/root" "$work/initrd.gz"
    linux_out=$(timeout 1800 qemu-system-aarch64 -M virt -cpu "$cpu" -m 1G -nographic -no-reboot -nic none \
        -drive "if=none,format=raw,file=$work/linux.img,id=disk0" -device virtio-blk-device,drive=disk0 \
        -kernel "$linux_kernel" -initrd "$work/initrd.gz" -append "console=ttyAMA0 quiet panic=-1" \
        -icount shift=0,sleep=off </dev/null 2>&1 | tr -d '\r' || true)
    grep -q '^\[redisbench\] done' <<<"$linux_out" || { echo "$linux_out" >&2; rm -rf "$work"; die "redis-benchmark failed on Linux"; }
    rm -rf "$work"
    for kind in SET GET; do
        rows+=("net: redis-benchmark $kind over loopback, 10 clients, requests/s of virtual time (-icount)|$(sed -n "s/^\[redisbench\] $kind \([0-9.]*\)$/\1/p" <<<"$out")|$(sed -n "s/^\[redisbench\] $kind \([0-9.]*\)$/\1/p" <<<"$linux_out")")
    done
}

net_rows() {
    local smoke=$1 work count="" out linux_out marker plugin
    [[ $smoke == 1 ]] && count=quick
    [[ $no_build == 1 ]] || fetch_linux_disk_modules
    [[ -f $linux_disk_modules_dir/virtio_mmio.ko ]] || die "no Linux virtio modules in $linux_disk_modules_dir (run ./akuma setup)"
    # ./akuma setup does not fetch these (yet): fetched here once, even with --no-build.
    [[ -f $linux_net_modules_dir/virtio_net.ko ]] || die "no Linux virtio-net modules in $linux_net_modules_dir (run ./akuma setup)"
    local netbench="$build_dir/rootfs/bin/netbench"
    plugin=$(marks_plugin)
    marker=$(bench_marker "$netbench")
    work=$(mktemp -d)

    # Loopback, instructions between marks.
    out=$("$root/akuma" exec --no-build --net none --cpu "$cpu" --mem "$mem" \
          --qemu "-icount shift=0,sleep=off -plugin $plugin,marker=$marker,out=$work/akuma.marks" \
          "$netbench" $count 2>&1 | tr -d '\r' || true)
    grep -q '^\[netbench\] done' <<<"$out" || { echo "$out" >&2; rm -rf "$work"; die "netbench failed on Akuma"; }
    echo "/bin/netbench $count; echo \"[netbench-status] \$?\"" | bench_linux_root "$work/root"
    cp "$netbench" "$work/root/bin/"
    bench_pack_initrd "$work/root" "$work/initrd.gz"
    linux_out=$(linux_boot_marked "$work/initrd.gz" "$plugin" "$marker" "$work/linux.marks")
    grep -q '^\[netbench\] done' <<<"$linux_out" || { echo "$linux_out" >&2; rm -rf "$work"; die "netbench failed on Linux"; }
    local -a names=() akuma_rows=() linux_rows=()
    mapfile -t names < <(bench_rows netbench <<<"$out" | cut -d'|' -f1)
    mapfile -t akuma_rows < <(bench_rows netbench <<<"$out" | marked_instructions "$work/akuma.marks")
    mapfile -t linux_rows < <(bench_rows netbench <<<"$linux_out" | marked_instructions "$work/linux.marks")
    [[ ${#akuma_rows[@]} == "${#names[@]}" && ${#linux_rows[@]} == "${#names[@]}" && ${#names[@]} -gt 0 ]] ||
        { rm -rf "$work"; die "netbench's marks do not match its rows (Akuma ${#akuma_rows[@]}, Linux ${#linux_rows[@]}, rows ${#names[@]})"; }
    local i
    for (( i = 0; i < ${#names[@]}; i++ )); do
        rows+=("net: ${names[i]}|${akuma_rows[i]}|${linux_rows[i]}")
    done

    # Through the port forward, wall clock (no -icount): MB/s, the median
    # of the runs in one boot of each kernel.
    local bytes=$((64 << 20)) repeats=3 akuma_client linux_client direction forward_linux_initrd
    [[ $smoke == 1 ]] && bytes=$((1 << 20)) repeats=1
    {
        local module
        for module in "$linux_disk_modules_dir/virtio_mmio.ko" "${linux_net_modules[@]}"; do
            echo "insmod /lib/$(basename "$module")"
        done
        # Static, as QEMU's DHCP would hand it out (udhcpc needs AF_PACKET, a module).
        echo 'ip link set lo up; ip addr add 10.0.2.15/24 dev eth0; ip link set eth0 up'
        echo "/bin/netbench serve 5001 870; echo \"[netbench-status] \$?\""
    } | bench_linux_root "$work/fwdroot"
    mkdir -p "$work/fwdroot/lib"
    cp "$linux_disk_modules_dir/virtio_mmio.ko" "$linux_net_modules_dir"/*.ko "$work/fwdroot/lib/"
    cp "$netbench" "$work/fwdroot/bin/"
    forward_linux_initrd="$work/fwdroot.gz"
    bench_pack_initrd "$work/fwdroot" "$forward_linux_initrd"
    akuma_client=$(forward_run akuma "$bytes" "$repeats" "$work/akuma-forward.log") ||
        { echo "$akuma_client" >&2; tr -d '\r' <"$work/akuma-forward.log" >&2; rm -rf "$work"; die "the forward run failed on Akuma"; }
    linux_client=$(forward_run linux "$bytes" "$repeats" "$work/linux-forward.log") ||
        { echo "$linux_client" >&2; tr -d '\r' <"$work/linux-forward.log" >&2; rm -rf "$work"; die "the forward run failed on Linux"; }
    rm -rf "$work"
    for direction in "host->guest" "guest->host"; do
        rows+=("net: port forward $direction, $((bytes >> 20)) MiB, MB/s (wall clock, median of $repeats)|$(forward_rate "$akuma_client" "$direction")|$(forward_rate "$linux_client" "$direction")")
    done
    redis_rows "$smoke"
}

# "[PROGRAM] NAME: N ns, C times" lines of the benchmark $1 as NAME|C.
bench_rows() {
    grep -a "^\\[$1\\] .*: [0-9]* ns, [0-9]* times$" | sed -E "s/^\\[$1\\] (.*): [0-9]+ ns, ([0-9]+) times$/\\1|\\2/"
}

# Instructions per operation of each NAME|C row on stdin, from the marks
# file $1: after $2 leading marks (default none), two marks a row.
marked_instructions() {
    awk -F'|' -v marks="$1" -v skip="${2:-0}" 'BEGIN { while ((getline line < marks) > 0) mark[n++] = line }
        { start = mark[skip + 2 * NR - 2]; end = mark[skip + 2 * NR - 1]
          if (end == "" || $2 == 0) exit 1
          printf "%d\n", (end - start) / $2 }'
}

# ---- the table
cmd_bench() {
    local smoke=0 json="" wall_runs="" minram=1 net_section=1 selection=all
    local -a run_args=()
    while [[ $# -gt 0 ]]; do
        case $1 in
            fs) selection=fs; shift ;;  # only fsbench's rows (program loading, file layer)
            disk) selection=disk; shift ;;  # only diskbench's rows (ext2 on a virtio disk)
            debian) selection=debian; shift ;;  # only debbench's rows (the Debian root disk)
            net) selection=net; shift ;;  # only netbench's rows (loopback, the port forward)
            ssh) selection=ssh; shift ;;  # only the SSH rows (Debian's sshd on the Debian root disk)
            --smoke) smoke=1; shift ;;
            --json) json=${2:?--json needs a file}; shift 2 ;;
            --wall-runs) wall_runs=${2:?--wall-runs needs a count}; shift 2 ;;
            --no-minram) minram=0; shift ;;
            --no-net) net_section=0; shift ;;
            *) run_args+=("$1"); shift ;;
        esac
    done
    [[ -z $wall_runs ]] && { [[ $smoke == 1 ]] && wall_runs=1 || wall_runs=3; }
    [[ $wall_runs =~ ^[0-9]+$ ]] || die "--wall-runs needs a number"
    mem=512M  # Linux's figures are taken with 512 MiB: the same for both
    net=none  # as Linux's boots (-nic none); and no host port taken
    parse_run_options "${run_args[@]+"${run_args[@]}"}"
    prepare
    [[ $no_build == 1 ]] || fetch_linux_kernel
    [[ -f $linux_kernel ]] || die "no Linux kernel at $linux_kernel (run ./akuma setup)"
    local extra_append=$append out name value linux_out list mode="" run
    local -a rows=()  # metric|akuma|linux|akuma wall|linux wall
    if [[ $selection == disk ]]; then
        disk_rows "$smoke"
        print_bench_table "$smoke" "$json"
        return
    fi
    if [[ $selection == debian ]]; then
        mem=1G  # the Debian userland's RAM, on both kernels
        debian_rows "$smoke"
        print_bench_table "$smoke" "$json"
        return
    fi
    if [[ $selection == ssh ]]; then
        mem=1G  # the Debian userland's RAM, on both kernels
        [[ $smoke == 1 ]] && smoke_ssh_options="--runs 2 --mb 4"
        ssh_rows
        print_bench_table "$smoke" "$json"
        return
    fi
    if [[ $selection == net ]]; then
        net_rows "$smoke"
        print_bench_table "$smoke" "$json"
        return
    fi
    if [[ $smoke == 1 ]]; then list=/etc/akuma/bench-quick mode=quick; else list=/etc/akuma/bench; fi
    # `./akuma bench fs`: only the user-space rows of fsbench (no boot,
    # kernel or smallest-RAM rows), from /etc/akuma/bench-fs[-quick].
    [[ $selection == all ]] || list=${list/bench/bench-$selection}
    if [[ $selection == all ]]; then kernel_rows "$smoke" "$extra_append"; fi

    # User space: membench under glibc malloc and each libakuma allocator,
    # then fsbench, on Akuma and on Linux.
    local user_append="test=none memory_debug=off programs=$list $extra_append"
    out=$(bench_boot "$user_append")
    check_membench_run "$out" akuma "the user-space benchmarks" "$selection"
    linux_out=$(bench_linux "$mode" icount "$selection")
    check_membench_run "$linux_out" linux "the user-space benchmarks" "$selection"
    local -A linux_value=() akuma_wall=() linux_wall=()
    while IFS='|' read -r name value; do linux_value[$name]=$value; done < <(membench_rows <<<"$linux_out")

    # Wall clock: the same boots without -icount, medians per metric.
    if (( wall_runs > 0 )); then
        local akuma_runs="" linux_runs="" wall_out
        for (( run = 0; run < wall_runs; run++ )); do
            wall_out=$(bench_boot "$user_append" wall)
            check_membench_run "$wall_out" akuma "a wall-clock run" "$selection"
            akuma_runs+=$(membench_rows <<<"$wall_out")$'\n'
            wall_out=$(bench_linux "$mode" wall "$selection")
            check_membench_run "$wall_out" linux "a wall-clock run" "$selection"
            linux_runs+=$(membench_rows <<<"$wall_out")$'\n'
        done
        while IFS='|' read -r name value; do akuma_wall[$name]=$value; done < <(sed '/^$/d' <<<"$akuma_runs" | median_rows)
        while IFS='|' read -r name value; do linux_wall[$name]=$value; done < <(sed '/^$/d' <<<"$linux_runs" | median_rows)
    fi

    if [[ $selection == all ]]; then first_program_rows "$out" "$linux_out"; fi
    while IFS='|' read -r name value; do
        rows+=("user: $name|$value|${linux_value[$name]-}|${akuma_wall[$name]-}|${linux_wall[$name]-}")
    done < <(membench_rows <<<"$out")
    # Memory rows: KiB in use for the blocks (Linux: VmRSS; Akuma: the
    # kernel's page accounting through sysinfo) and per process for 20
    # live copies of fsbench (both: MemTotal - MemFree; docs/PERFORMANCE.md).
    local -A linux_kib=()
    while IFS='|' read -r name value; do linux_kib[$name]=$value; done < <(membench_kib_rows <<<"$linux_out")
    while IFS='|' read -r name value; do rows+=("user: $name, KiB|$value|${linux_kib[$name]-}"); done < <(membench_kib_rows <<<"$out")

    if [[ $selection == all ]]; then
        [[ $net_section == 0 ]] || net_rows "$smoke"
        [[ $minram == 0 ]] || minram_rows "$smoke" || die "the smallest-RAM probes could not run"
        rows+=("kernel image size (bytes)|$(stat -c %s "$kernel_image")|")
        rows+=("kernel image + .bss (bytes, memory at boot)|$(od -An -t u8 -j 16 -N 8 "$kernel_image" | tr -d ' ')|")
    fi
    print_bench_table "$smoke" "$json"
}

# Rows of Akuma alone: boot times, the kernel test suite, the in-kernel
# micro-benchmarks (not in smoke mode). $1: smoke (0/1); $2: extra boot
# arguments. Appends to cmd_bench's rows.
kernel_rows() {
    local smoke=$1 extra_append=$2 variant out line name value saved_initrd

    # Boot: reset to the end of kernel_main's initialisation (no tests), in
    # the release configuration and with the test-build checks.
    for variant in "memory_debug=off" "memory_debug=on"; do
        out=$(bench_boot "test=Format $variant $extra_append")
        line=$(last_match '^\[Boot\] complete at' <<<"$out")
        [[ -n $line ]] || { echo "$out" >&2; die "the kernel printed no [Boot] line"; }
        rows+=("boot: reset to end of kernel init ($variant)|$(awk '{print $4}' <<<"$line")|")
    done
    # Test mode: reset to the in-kernel suite's verdict (no initrd, no user
    # programs). The suite sleeps, so this is virtual time, not only
    # instructions: sleep=off skips idle time forward to the next timer.
    saved_initrd=$initrd
    initrd=""
    out=$(bench_boot "test programs=none memory_debug=off $extra_append")
    initrd=$saved_initrd
    line=$(last_match '^\[Bench\] Overall: printed at' <<<"$out")
    [[ -n $line ]] || { echo "$out" >&2; die "test mode printed no [Bench] Overall line"; }
    grep -aq '^Overall: ALL TESTS PASSED' <<<"$out" || { echo "$out" >&2; die "the kernel test suite failed"; }
    rows+=("boot: reset to Overall: of the kernel test suite (virtual ns)|$(awk '{print $5}' <<<"$line")|")

    # Micro-benchmarks run with memory debugging off (the release configuration).
    if [[ $smoke == 0 ]]; then
        out=$(bench_boot "bench memory_debug=off $extra_append")
        grep -aq '^\[Bench\] done' <<<"$out" || { echo "$out" >&2; die "bench mode did not finish"; }
        while IFS='|' read -r name value; do rows+=("$name|$value|"); done < <(
            grep -a '^\[Bench\] .*: [0-9]* ns/op' <<<"$out" | sed -E 's/^\[Bench\] (.*): ([0-9]+) ns\/op.*/\1|\2/')
    fi
}

# Boot rows from the user-space boots (set "all"): the first program's
# start. On Akuma it is PID 1, which the kernel starts itself; on Linux
# /init (busybox sh) starts it. $1: Akuma's console; $2: Linux's.
first_program_rows() {
    local out=$1 linux_out=$2 akuma_start linux_start akuma_entry
    akuma_entry=$(grep -a -m1 '^\[Boot\] PID 1 entered user mode at ' <<<"$out" | awk '{print $8}' || true)
    [[ -n $akuma_entry ]] || { echo "$out" >&2; die "the kernel printed no [Boot] PID 1 entered user mode line"; }
    rows+=("boot: reset to the first user instruction of PID 1|$akuma_entry|")
    akuma_start=$(grep -a -m1 '^\[membench\] reset to main(): ' <<<"$out" | awk '{print $5}' || true)
    linux_start=$(grep -a -m1 '^\[membench\] reset to main(): ' <<<"$linux_out" | awk '{print $5}' || true)
    [[ -n $akuma_start && -n $linux_start ]] || die "membench printed no 'reset to main()' line on one of the kernels"
    rows+=("boot: reset to the first program's main() (Akuma: PID 1; Linux: via /init)|$akuma_start|$linux_start")
}

# Prints rows (metric|akuma|linux|akuma wall|linux wall) as a table, and as
# JSON into $2 if given.
print_bench_table() {
    local smoke=$1 json=$2 line name akuma linux a_wall l_wall ratio first=1
    printf '%-74s %12s %12s %6s %12s %12s\n' "metric (guest instructions unless noted)" "Akuma" "Linux" "A/L" \
        "Akuma wall" "Linux wall"
    [[ -z $json ]] || printf '{"machine": "virt, %s, %s, -icount shift=0,sleep=off", "wall_clock": "ns, median of boots without -icount", "smoke": %s, "rows": [\n' \
        "$cpu" "$mem" "$([[ $smoke == 1 ]] && echo true || echo false)" >"$json"
    for line in "${rows[@]}"; do
        IFS='|' read -r name akuma linux a_wall l_wall <<<"$line"
        ratio=""
        [[ -n $akuma && -n $linux && $linux != 0 ]] && ratio=$(awk -v a="$akuma" -v l="$linux" 'BEGIN { printf "%.2f", a / l }')
        printf '%-74s %12s %12s %6s %12s %12s\n' "$name" "${akuma:-—}" "${linux:-—}" "${ratio:-—}" "${a_wall:-—}" "${l_wall:-—}"
        if [[ -n $json ]]; then
            [[ $first == 1 ]] || printf ',\n' >>"$json"
            first=0
            printf '  {"metric": "%s", "akuma": %s, "linux": %s, "ratio": %s, "akuma_wall": %s, "linux_wall": %s}' \
                "$name" "${akuma:-null}" "${linux:-null}" "${ratio:-null}" "${a_wall:-null}" "${l_wall:-null}" >>"$json"
        fi
    done
    [[ -z $json ]] || printf '\n]}\n' >>"$json"
}
