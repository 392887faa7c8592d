# ./akuma conformance: other people's test suites (Python's own regression
# tests, stress-ng) on Akuma and on Debian's Linux 6.1, same QEMU machine,
# same Debian root disk (each on a scratch copy of build/debian.ext2), side
# by side. Sourced by ./akuma (uses its helpers); docs/COMPATIBILITY.md.
#
# The workload is /usr/lib/akuma/conformance-run on the disk, reading the
# list this writes into the copy (debugfs). Akuma runs it as init=; Linux
# from a small initramfs (busybox, the virtio and ext4 modules) that mounts
# the disk and chroots into it. Both kernels run at once (one QEMU each).
# tools/conformance/report.py turns the two console logs into the table.

conformance_python_default=(test_os test_posix test_signal test_subprocess test_mmap test_fcntl test_select
    test_time test_threading test_thread test_tempfile test_shutil test_io test_fileio test_pathlib test_glob
    test_stat test_resource test_pwd test_grp test_errno test_getpass test_pipes test_sched test_faulthandler
    test_zipfile test_tarfile)
conformance_stress_default=(fork vfork exec clone pthread mmap brk malloc stack pipe futex signal sigsegv zombie
    vm dir dentry hdd fstat open rename link symlink get mremap msync madvise)
# The slice ./akuma test runs (CTest system.conformance.short).
conformance_python_short=(test_errno test_pwd test_grp test_glob)
conformance_stress_short=(fork pipe brk mmap)

conformance_usage() {
    cat <<'EOF'
usage: ./akuma conformance [options]
  Runs Python's regression tests and stress-ng stressors on Akuma and on
  Debian's Linux (same machine, same disk) and prints, per module and
  stressor, tests run/passed/failed/skipped/errors on each kernel and the
  cases that pass on Linux but not on Akuma.
  --python MODULE...     Python test modules (default: the issue's list)
  --stress-ng NAME...    stress-ng stressors (default: the issue's list)
  --seconds N            seconds per stressor (default 10)
  --short                the short slice ./akuma test runs
  --json FILE            the table as JSON (docs/COMPATIBILITY.md)
  --logs DIR             keep both console logs in DIR
  --require-linux-passes exit 1 unless Akuma passes all Linux passes
  --mem SIZE             RAM of both machines (default 2G)
  --timeout SECONDS      per machine (default 7200)
  --no-build             use the existing build
EOF
}

cmd_conformance() {
    local -a python=() stress=() report_args=()
    local seconds=10 json="" logs="" memory=2G limit=7200 short=0 chosen=0 build=1
    while [[ $# -gt 0 ]]; do
        case $1 in
            --python) shift; chosen=1; while [[ $# -gt 0 && $1 != --* ]]; do python+=("$1"); shift; done ;;
            --stress-ng) shift; chosen=1; while [[ $# -gt 0 && $1 != --* ]]; do stress+=("$1"); shift; done ;;
            --seconds) seconds=${2:?--seconds needs a number}; shift 2 ;;
            --short) short=1; shift ;;
            --json) json=${2:?--json needs a file}; shift 2 ;;
            --logs) logs=${2:?--logs needs a directory}; shift 2 ;;
            --require-linux-passes) report_args+=(--require-linux-passes); shift ;;
            --mem) memory=${2:?--mem needs a size}; shift 2 ;;
            --timeout) limit=${2:?--timeout needs seconds}; shift 2 ;;
            --no-build) build=0; shift ;;
            -h|--help) conformance_usage; return 0 ;;
            *) die "conformance: unknown option '$1' (./akuma conformance --help)" ;;
        esac
    done
    if [[ $chosen == 0 ]]; then
        if [[ $short == 1 ]]; then
            python=("${conformance_python_short[@]}") stress=("${conformance_stress_short[@]}") seconds=3
        else
            python=("${conformance_python_default[@]}") stress=("${conformance_stress_default[@]}")
        fi
    fi
    if [[ $build == 1 ]]; then
        cmd_setup
        cmd_build quiet
    fi
    [[ -f $build_dir/debian.ext2 ]] || die "conformance: no Debian root disk (run ./akuma build)"
    [[ -f $linux_disk_modules_dir/ext4.ko && -f $linux_kernel ]] || die "conformance: no Linux kernel or modules (run ./akuma setup)"

    local work name
    work=$(mktemp -d)
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" RETURN
    {
        for name in "${python[@]}"; do echo "python $name"; done
        for name in "${stress[@]}"; do echo "stress-ng $name $seconds"; done
    } >"$work/conformance.list"
    for kernel in akuma linux; do
        cp --sparse=always "$build_dir/debian.ext2" "$work/$kernel.img"
        debugfs -w -R "write $work/conformance.list /etc/akuma/conformance.list" "$work/$kernel.img" >/dev/null 2>&1 ||
            die "conformance: cannot write the workload list into the disk copy"
    done

    # Linux: an initramfs that mounts the disk and chroots into it.
    mkdir -p "$work/root/bin" "$work/root/lib" "$work/root/proc" "$work/root/dev" "$work/root/sys" "$work/root/newroot"
    cp "$busybox_binary" "$work/root/bin/busybox"
    cp "$linux_disk_modules_dir"/*.ko "$work/root/lib/"
    {
        echo '#!/bin/busybox sh'
        echo '/bin/busybox --install -s /bin'
        echo 'mount -t proc proc /proc; mount -t devtmpfs dev /dev'
        linux_disk_module_lines
        echo 'mount -t ext2 /dev/vda /newroot || { echo "=== cannot mount the disk"; poweroff -f; }'
        echo 'mount -t proc proc /newroot/proc; mount -t sysfs sys /newroot/sys'
        echo 'mount -t devtmpfs dev /newroot/dev; mount -t tmpfs -o mode=0755 run /newroot/run'
        echo 'chroot /newroot /usr/lib/akuma/conformance-run'
        echo 'sync; umount /newroot/run /newroot/dev /newroot/sys /newroot/proc; umount /newroot'
        echo 'poweroff -f'
    } >"$work/root/init"
    chmod 755 "$work/root/init"
    (cd "$work/root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc --owner=0:0 | gzip) >"$work/initrd.gz"

    echo "[conformance] ${#python[@]} Python module(s), ${#stress[@]} stress-ng stressor(s); Akuma and Linux at once" >&2
    timeout -k 10 "$limit" qemu-system-aarch64 -M virt -cpu cortex-a76 -m "$memory" -nographic -no-reboot -nic none \
        -drive "if=none,format=raw,file=$work/linux.img,id=disk0" -device virtio-blk-device,drive=disk0 \
        -kernel "$linux_kernel" -initrd "$work/initrd.gz" -append "console=ttyAMA0 quiet panic=-1" \
        </dev/null >"$work/linux.log" 2>&1 &
    local linux_pid=$!
    "$root/akuma" run --no-build --net none --no-initrd --disk "$work/akuma.img" --mem "$memory" --timeout "$limit" \
        --append "root=/dev/vda rw init=/usr/lib/akuma/conformance-run" </dev/null >"$work/akuma.log" 2>&1 || true
    wait "$linux_pid" || true
    tr -d '\r' <"$work/akuma.log" >"$work/akuma.clean.log"
    tr -d '\r' <"$work/linux.log" >"$work/linux.clean.log"
    if [[ -n $logs ]]; then
        mkdir -p "$logs"
        cp "$work/akuma.clean.log" "$logs/akuma.log"
        cp "$work/linux.clean.log" "$logs/linux.log"
        echo "[conformance] console logs in $logs" >&2
    fi
    [[ -n $json ]] && report_args+=(--json "$json")
    python3 "$root/tools/conformance/report.py" "$work/akuma.clean.log" "$work/linux.clean.log" "${report_args[@]}"
}
