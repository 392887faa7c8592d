#!/usr/bin/env bash
# diskload_check.sh MODE DISKLOAD: the storage system tests (issue 18), each
# on fresh images made here (mktemp files, removed at exit), with
# DISKLOAD = the build's userspace/tests/diskload run by `./akuma exec --disk`
# (the image's ext2 mounted read-write on /mnt):
#   workload BLOCKSIZE  a 64 MiB image (mke2fs -b BLOCKSIZE); `diskload
#                       /mnt/work` passes its own checks, and the image holds
#                       the tree diskload_verify.py computes independently
#                       (every byte, links, symlinks; e2fsck -fn clean)
#   full                a 2 MiB image filled to ENOSPC (short write, then
#                       ENOSPC), the first file intact, space back after
#                       deleting the filler; checked on the host as above
#   corrupt             a valid image corrupted on the host in several ways:
#                       every one gives an error (EINVAL/EUCLEAN at mount, or
#                       EIO/EUCLEAN to the program reading /mnt), never a
#                       kernel panic
#   killed              QEMU killed (SIGKILL) while a program writes in a
#                       loop; the next boot still mounts the not-clean file
#                       system (with a warning, as Linux), reads it, and
#                       leaves it marked not clean
#   unsynced            files written (and one renamed) without any sync,
#                       then 15 s of idling, then QEMU killed (SIGKILL):
#                       the write-back thread must have put data and
#                       metadata on the disk (kernel/fs/writeback.h); the
#                       image holds both files whole, e2fsck -fn clean
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/tests/system
mode=${1:?usage: diskload_check.sh MODE DISKLOAD}
prog=${2:?usage: diskload_check.sh MODE DISKLOAD}
[[ $mode == workload ]] && { block_size=${3:?workload needs a block size}; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }

# kill_after_line PATTERN SECONDS ARGS...: diskload ARGS on $image, in its
# own session (QEMU and all go with one SIGKILL to the group), output in
# $tmp/out; SECONDS after a line matches PATTERN (or 120 s without one, or
# the machine's end) the group is killed: no orderly power-off.
kill_after_line() {
    local pattern=$1 grace=$2 pid i
    shift 2
    setsid "$root/akuma" exec --no-build --net none --timeout 110 --disk "$image" "$prog" "$@" >"$tmp/out" 2>&1 &
    pid=$!
    for (( i = 0; i < 1200; i++ )); do
        grep -q "$pattern" "$tmp/out" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    sleep "$grace"
    kill -KILL -- "-$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}

# akuma_exec OUT ARGS...: ./akuma exec with a disk; prints its output, returns its status.
akuma_exec() {
    local out=$1; shift
    "$root/akuma" exec --no-build --net none --timeout 110 "$@" >"$out" 2>&1
    local status=$?
    cat "$out"
    return $status
}

case $mode in
workload)
    image=$tmp/disk.img
    mke2fs -q -F -t ext2 -b "$block_size" "$image" 64M || exit 2
    akuma_exec "$tmp/out" --disk "$image" "$prog" /mnt/work
    status=$?
    [[ $status == 0 ]] || fail "diskload exited with $status"
    grep -q "^0 check(s) failed$" "$tmp/out" || fail "diskload's own checks"
    "$here/diskload_verify.py" workload "$image" /work || fail "the image does not hold the expected tree"
    ;;
full)
    image=$tmp/disk.img
    mke2fs -q -F -t ext2 -b 1024 "$image" 2M || exit 2
    akuma_exec "$tmp/out" --disk "$image" "$prog" --fill /mnt/fill
    status=$?
    [[ $status == 0 ]] || fail "diskload --fill exited with $status"
    grep -q "^0 check(s) failed$" "$tmp/out" || fail "diskload --fill's own checks"
    grep -Eq "^diskload --fill: [0-9]+ bytes written before ENOSPC" "$tmp/out" || fail "no ENOSPC reported"
    "$here/diskload_verify.py" fill "$image" /fill || fail "the image does not hold the expected files"
    ;;
corrupt)
    # A small tree on a 1 KiB-block image: a file of direct blocks, one
    # through the double-indirect block, a subdirectory, a symlink.
    src=$tmp/src
    mkdir -p "$src/dir/sub/deeper"
    head -c 3000 /dev/urandom >"$src/dir/small"
    head -c 300000 /dev/urandom >"$src/dir/big"
    echo deeper >"$src/dir/sub/deeper/file"
    ln -s ../small "$src/dir/sub/link"
    entries=$(find "$src" | wc -l)  # what --read counts: /mnt and everything under it
    base=$tmp/base.img
    mke2fs -q -F -t ext2 -b 1024 -d "$src" "$base" 16M || exit 2
    e2fsck -fn "$base" >/dev/null 2>&1 || { fail "the base image is not clean"; exit 1; }

    # Where things are, from debugfs (not guessed).
    block_of_dir() { debugfs -R "blocks $1" "$base" 2>/dev/null | awk '{print $1}'; }
    inode_offset() {  # the byte offset of PATH's inode in the image
        debugfs -R "imap $1" "$base" 2>/dev/null \
            | sed -nE 's/.*located at block ([0-9]+), offset 0x([0-9a-f]+).*/\1 \2/p' \
            | { read -r block offset; echo $(( block * 1024 + 16#$offset )); }
    }
    blocks_count=$(dumpe2fs -h "$base" 2>/dev/null | awk -F: '/^Block count/{gsub(/ /,"",$2); print $2}')
    inodes_count=$(dumpe2fs -h "$base" 2>/dev/null | awk -F: '/^Inode count/{gsub(/ /,"",$2); print $2}')
    root_block=$(block_of_dir /)
    sub_block=$(block_of_dir /dir/sub)
    small_inode=$(inode_offset /dir/small)
    big_inode=$(inode_offset /dir/big)
    sub_inode=$(inode_offset /dir/sub)
    for v in blocks_count inodes_count root_block sub_block small_inode big_inode sub_inode; do
        [[ ${!v} =~ ^[0-9]+$ ]] || { fail "could not find $v in the image"; exit 1; }
    done
    le16() { printf "\\\\x%02x\\\\x%02x" $(( $1 & 255 )) $(( ($1 >> 8) & 255 )); }
    le32() { printf "\\\\x%02x\\\\x%02x\\\\x%02x\\\\x%02x" $(( $1 & 255 )) $(( ($1 >> 8) & 255 )) \
        $(( ($1 >> 16) & 255 )) $(( ($1 >> 24) & 255 )); }
    poke() { printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }

    # The uncorrupted image reads without an error (so the test can fail).
    cp "$base" "$tmp/img"
    akuma_exec "$tmp/out" --disk "$tmp/img" "$prog" --read /mnt
    status=$?
    [[ $status == 0 ]] || fail "reading the valid image: status $status"
    grep -q "^diskload --read: $entries entries, 0 errors$" "$tmp/out" \
        || fail "reading the valid image: expected $entries entries, 0 errors"

    sb=1024
    # name | offset | bytes | expected: "unmounted" (mount refused) or "error" (mount or reads fail)
    cases=(
        "superblock magic|$(( sb + 56 ))|$(le16 0)|unmounted"
        "s_inodes_count lies|$(( sb + 0 ))|$(le32 $(( inodes_count + 8 )))|unmounted"
        "s_blocks_count beyond the device|$(( sb + 4 ))|$(le32 $(( blocks_count * 4 )))|unmounted"
        "s_blocks_count one group short|$(( sb + 4 ))|$(le32 $(( blocks_count - 8192 )))|unmounted"
        "root directory: rec_len 0|$(( root_block * 1024 + 4 ))|$(le16 0)|error"
        "subdirectory: rec_len past the block|$(( sub_block * 1024 + 12 + 4 ))|$(le16 2000)|error"
        "i_block[0] past the end|$(( small_inode + 40 ))|$(le32 $(( blocks_count + 1000 )))|error"
        "double-indirect pointer past the end|$(( big_inode + 40 + 13 * 4 ))|$(le32 0xfffffff0)|error"
        "huge i_size (i_size_high)|$(( small_inode + 108 ))|$(le32 0xffffffff)|error"
        "huge directory size|$(( sub_inode + 4 ))|$(le32 0xfffffc00)|error"
    )
    for entry in "${cases[@]}"; do
        IFS='|' read -r name offset bytes expect <<<"$entry"
        echo "--- corruption: $name (offset $offset)"
        cp "$base" "$tmp/img"
        poke "$tmp/img" "$offset" "$bytes"
        cmp -s "$base" "$tmp/img" && { fail "$name: the image did not change"; continue; }
        akuma_exec "$tmp/out" --disk "$tmp/img" "$prog" --read /mnt
        status=$?
        if [[ $status == 125 ]]; then fail "$name: the kernel panicked"; continue; fi
        not_mounted=$(grep -E "^\[akuma exec\] /dev/vda not mounted on /mnt: (EINVAL|EUCLEAN|EIO)$" "$tmp/out")
        read_errors=$(grep -E "^diskload --read: .*\(errno (5|117|22)\)$" "$tmp/out")
        if [[ $expect == unmounted ]]; then
            [[ -n $not_mounted ]] || fail "$name: /dev/vda was mounted"
            grep -q "^diskload --read: 1 entries, 0 errors$" "$tmp/out" || fail "$name: /mnt is not empty"
            [[ $status == 0 ]] || fail "$name: status $status"
        elif [[ -n $not_mounted ]]; then
            echo "($name: refused at mount)"
        else
            [[ -n $read_errors && $status == 4 ]] || fail "$name: no EIO/EUCLEAN/EINVAL reading /mnt (status $status)"
            grep -E "^diskload --read: .*errno" "$tmp/out" | grep -Ev "\(errno (5|117|22)\)$" \
                && fail "$name: an error other than EIO/EUCLEAN/EINVAL"
        fi
    done
    ;;
killed)
    image=$tmp/disk.img
    mke2fs -q -F -t ext2 -b 1024 "$image" 64M || exit 2
    kill_after_line "^diskload --churn: round 5" 1 --churn /mnt/churn  # 1 s: writes in flight
    tail -3 "$tmp/out"
    grep -q "^diskload --churn: round 5" "$tmp/out" || fail "the writer made no progress before the kill"
    state() { dumpe2fs -h "$image" 2>/dev/null | awk -F: '/^Filesystem state/{gsub(/^ +/,"",$2); print $2}'; }
    [[ $(state) == "not clean" ]] || fail "after the kill the superblock says '$(state)', expected 'not clean'"

    akuma_exec "$tmp/out" --append verbose --disk "$image" "$prog" --read /mnt
    status=$?
    [[ $status == 125 ]] && fail "the kernel panicked on the not-clean file system"
    grep -Eq "^\[ext2\] vda: warning: not cleanly unmounted" "$tmp/out" || fail "no warning about the not-clean state"
    grep -Eq "^\[ext2\] vda: mounted read-write" "$tmp/out" || fail "the not-clean file system was not mounted"
    grep -Eq "^\[akuma exec\] /dev/vda not mounted" "$tmp/out" && fail "/dev/vda was not mounted on /mnt"
    grep -Eq "^diskload --read: [0-9]+ entries" "$tmp/out" || fail "the reader did not run to its end"
    [[ $status == 0 || $status == 4 ]] || fail "the reader exited with $status"
    # As Linux: still not clean after an orderly unmount (only e2fsck makes it clean).
    [[ $(state) == "not clean" ]] || fail "after the second boot the superblock says '$(state)'"
    cp "$image" "$tmp/copy.img"
    e2fsck -fy "$tmp/copy.img" >"$tmp/fsck" 2>&1
    echo "(for information: e2fsck -fy on a copy: status $?)"
    head -20 "$tmp/fsck"
    ;;
unsynced)
    image=$tmp/disk.img
    mke2fs -q -F -t ext2 -b 4096 "$image" 64M || exit 2
    kill_after_line "^diskload --unsynced: waited" 0 --unsynced /mnt/unsynced
    cat "$tmp/out"
    grep -q "^diskload --unsynced: waited" "$tmp/out" || fail "the writer did not get to the end of its wait"
    "$here/diskload_verify.py" unsynced "$image" /unsynced || fail "the unsynced files are not on the disk"
    ;;
*)
    echo "diskload_check: unknown mode $mode" >&2
    exit 2
    ;;
esac
[[ $failed == 0 ]] && echo "PASS: diskload $mode"
exit $failed
