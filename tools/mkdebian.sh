#!/usr/bin/env bash
# mkdebian.sh USERLAND_TAR OUTPUT SIZE [SOURCE=DEST]...
# Builds Akuma's Debian root disk: an ext2 image of SIZE (sparse, 4 KiB
# blocks) holding the Debian userland that `./akuma setup` unpacked with
# mmdebstrap --variant=extract (USERLAND_TAR), plus what Debian's maintainer
# scripts would have set up (extract runs none of them), plus Akuma's own
# files given as SOURCE=DEST pairs (as tools/mkinitrd.sh takes them; a
# directory SOURCE is copied into DEST). Needs root: the tree keeps the
# packages' owners (root, and the users made here).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
userland=$1 output=$2 size=$3
shift 3
[[ -f $userland ]] || { echo "mkdebian: no userland at $userland (run ./akuma setup)" >&2; exit 1; }
[[ $(id -u) == 0 ]] || { echo "mkdebian: needs root (the image keeps file owners)" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
tar -xpf "$userland" --numeric-owner -C "$stage"

# --- base-files, base-passwd, libc-bin, dash/bash: files their postinst copies
install -m 644 "$stage/usr/share/base-files/profile" "$stage/etc/profile"
[[ -e $stage/etc/nsswitch.conf ]] || install -m 644 "$stage/usr/share/libc-bin/nsswitch.conf" "$stage/etc/nsswitch.conf"
printf '%s\n' '# /etc/shells: valid login shells' /bin/sh /usr/bin/sh /bin/bash /usr/bin/bash /bin/rbash \
    /usr/bin/rbash /bin/dash /usr/bin/dash > "$stage/etc/shells"

# Users and groups: Debian's fixed ones (base-passwd's masters), then the
# system users the packages' scripts add, then the normal user `akuma`.
cp "$stage/usr/share/base-passwd/passwd.master" "$stage/etc/passwd"
cp "$stage/usr/share/base-passwd/group.master" "$stage/etc/group"
cat >> "$stage/etc/passwd" <<'EOF'
sshd:x:100:65534::/run/sshd:/usr/sbin/nologin
redis:x:101:102::/var/lib/redis:/usr/sbin/nologin
akuma:x:1000:1000:Akuma user:/home/akuma:/bin/bash
EOF
cat >> "$stage/etc/group" <<'EOF'
_ssh:x:101:
redis:x:102:
akuma:x:1000:
EOF
# Passwords: only `akuma` has one (README: "akuma"), hashed here with a
# fresh salt; '*' locks password login for everyone else (the console logs
# root in; SSH takes root's key).
akuma_hash=$(openssl passwd -6 akuma)
awk -F: -v hash="$akuma_hash" '{ print $1 ":" ($1 == "akuma" ? hash : "*") ":19700:0:99999:7:::" }' \
    "$stage/etc/passwd" > "$stage/etc/shadow"
awk -F: '{ print $1 ":*::" }' "$stage/etc/group" > "$stage/etc/gshadow"
shadow_gid=$(awk -F: '$1 == "shadow" { print $3 }' "$stage/etc/group")
chown "0:$shadow_gid" "$stage/etc/shadow" "$stage/etc/gshadow"
chmod 640 "$stage/etc/shadow" "$stage/etc/gshadow"

# Homes and the directories daemons expect.
install -d -m 700 "$stage/root"
cp "$stage/usr/share/base-files/dot.bashrc" "$stage/root/.bashrc"
cp "$stage/usr/share/base-files/dot.profile" "$stage/root/.profile"
install -d -m 755 -o 1000 -g 1000 "$stage/home/akuma"
cp -a "$stage/etc/skel/." "$stage/home/akuma/"
chown -R 1000:1000 "$stage/home/akuma"
install -d -m 1777 "$stage/tmp" "$stage/var/tmp"
install -d -m 755 "$stage/proc" "$stage/sys" "$stage/dev" "$stage/run" "$stage/mnt" "$stage/run/sshd"
install -d -m 750 -o 101 -g 102 "$stage/var/lib/redis" "$stage/var/log/redis"
ln -sfn ../proc/self/mounts "$stage/etc/mtab"

# PAM's common-* files, as pam-auth-update writes them from libpam-runtime's
# templates with only pam_unix enabled (libpam-runtime's postinst).
pam_line() { printf '%s\t%s\t%s' "$1" "$2" "$3"; }
for stack in auth account password session session-noninteractive; do
    sed -e "s|^\$auth_primary\$|$(pam_line auth '[success=1 default=ignore]' 'pam_unix.so nullok')|" \
        -e "s|^\$account_primary\$|$(pam_line account '[success=1 new_authtok_reqd=done default=ignore]' pam_unix.so)|" \
        -e "s|^\$password_primary\$|$(pam_line password '[success=1 default=ignore]' 'pam_unix.so obscure yescrypt')|" \
        -e "s|^\$session_primary\$|$(pam_line session '[default=1]' pam_permit.so)|" \
        -e "s|^\$session_nonint_primary\$|$(pam_line session '[default=1]' pam_permit.so)|" \
        -e "s|^\$session_additional\$|$(pam_line session required pam_unix.so)|" \
        -e "s|^\$session_nonint_additional\$|$(pam_line session required pam_unix.so)|" \
        -e '/^\$[a-z_]*$/d' \
        "$stage/usr/share/pam/common-$stack" > "$stage/etc/pam.d/common-$stack"
done

# OpenSSH's server configuration (openssh-server's postinst installs
# Debian's default; host keys are made on Akuma's first boot, rc.d/20-sshd).
install -m 644 "$stage/usr/share/openssh/sshd_config" "$stage/etc/ssh/sshd_config"
# The build's key pair (build/ssh/, made by the build) may log in as root
# and as akuma: the README's one command.
if [[ -n ${AKUMA_AUTHORIZED_KEY:-} ]]; then
    install -d -m 700 "$stage/root/.ssh"
    install -m 600 "$AKUMA_AUTHORIZED_KEY" "$stage/root/.ssh/authorized_keys"
    install -d -m 700 -o 1000 -g 1000 "$stage/home/akuma/.ssh"
    install -m 600 -o 1000 -g 1000 "$AKUMA_AUTHORIZED_KEY" "$stage/home/akuma/.ssh/authorized_keys"
fi

# update-alternatives links (tools/debian/alternatives.txt).
while read -r link name target; do
    [[ -z $link || $link == \#* ]] && continue
    [[ -e $stage$target ]] || continue
    ln -sfn "$target" "$stage/etc/alternatives/$name"
    ln -sfn "/etc/alternatives/$name" "$stage$link"
done < "$here/debian/alternatives.txt"

# The machine's identity and mounts.
echo akuma > "$stage/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\takuma\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$stage/etc/hosts"
# The kernel's DHCP answer in resolv.conf's form, as Linux's ipconfig
# offers it (a QEMU user network with restrict=on gives no name server).
rm -f "$stage/etc/resolv.conf"
ln -s ../proc/net/pnp "$stage/etc/resolv.conf"
cat > "$stage/etc/fstab" <<'EOF'
# Akuma mounts these itself (the kernel and /sbin/init); listed for tools.
/dev/vda  /     ext2      rw          0 1
proc      /proc proc      defaults    0 0
sysfs     /sys  sysfs     defaults    0 0
tmpfs     /tmp  tmpfs     mode=1777   0 0
tmpfs     /run  tmpfs     mode=0755   0 0
EOF

# Akuma's own files.
for pair in "$@"; do
    source=${pair%%=*} dest=${pair#*=}
    [[ -e $source ]] || { echo "mkdebian: missing input $source" >&2; exit 1; }
    mkdir -p "$stage$(dirname "$dest")"
    if [[ -d $source ]]; then
        mkdir -p "$stage$dest"
        cp -a --no-preserve=ownership "$source/." "$stage$dest/"
    else
        cp -a --no-preserve=ownership "$source" "$stage$dest"
    fi
done

# No /etc/ld.so.cache: the build machine's ldconfig does not read arm64
# libraries, so Akuma makes it with Debian's own ldconfig at the first boot
# (/etc/akuma/rc.d/10-ldconfig); ld.so searches the default paths until then.

tmp_output="$output.tmp"
rm -f "$tmp_output"
truncate -s "$size" "$tmp_output"
mke2fs -q -F -t ext2 -b 4096 -L akuma-debian -d "$stage" "$tmp_output"
mv "$tmp_output" "$output"
