#!/bin/sh
# Users and permissions through Debian's own tools (issue 21), run as root:
# su (PAM, pam_rootok) and setpriv (util-linux) drop to the user akuma, who
# may read and write his own files but not /etc/shadow, /root or root's
# processes; a set-user-ID program (Debian's passwd) raises him to
# effective root and back. Prints "[Test] users PASSED" or exits non-zero.
# Validated on Debian's Linux on the same disk (tools/linux-ref-disk).
set -e
fail() { echo "users: $*"; exit 1; }
[ "$(id -u)" = 0 ] || fail "not run as root"
# su: a login as akuma, his home and shell from /etc/passwd.
[ "$(su akuma -c 'id -un')" = akuma ] || fail "su akuma -c id"
[ "$(su - akuma -c pwd)" = /home/akuma ] || fail "su - akuma: the home directory"
su akuma -c 'echo mine > ~/users-check && cat ~/users-check && rm ~/users-check' | grep -qx mine ||
    fail "akuma cannot use his own home"
# setpriv: the same user by IDs, with his groups from /etc/group.
out=$(setpriv --reuid=akuma --regid=akuma --init-groups id) || fail "setpriv id"
case $out in "uid=1000(akuma) gid=1000(akuma) groups=1000(akuma)") ;; *) fail "setpriv id: $out" ;; esac
as_akuma() { setpriv --reuid=akuma --regid=akuma --init-groups -- "$@"; }
as_akuma cat /etc/shadow >/dev/null 2>&1 && fail "akuma read /etc/shadow"
as_akuma ls /root >/dev/null 2>&1 && fail "akuma listed /root"
as_akuma sh -c 'echo x > /root/users-check' 2>/dev/null && fail "akuma wrote to /root"
as_akuma touch /etc/users-check 2>/dev/null && fail "akuma wrote to /etc"
as_akuma kill -0 1 2>/dev/null && fail "akuma may signal init"
# The shadow file's mode and owner, as Debian has them.
[ "$(stat -c '%a %U %G' /etc/shadow)" = "640 root shadow" ] || fail "/etc/shadow is $(stat -c '%a %U %G' /etc/shadow)"
[ "$(stat -c '%a' /root)" = 700 ] || fail "/root is $(stat -c '%a' /root)"
# A set-user-ID root program run by akuma (passwd -S reads /etc/shadow as
# effective root): it works, and only for his own account.
as_akuma passwd -S akuma | grep -q '^akuma P ' || fail "passwd -S akuma as akuma (set-user-ID root)"
as_akuma passwd -S root >/dev/null 2>&1 && fail "passwd -S root as akuma"
# The sticky /tmp: akuma cannot remove root's file there.
touch /tmp/users-check-root
as_akuma rm -f /tmp/users-check-root 2>/dev/null && fail "akuma removed root's file from /tmp"
rm -f /tmp/users-check-root
echo "[Test] users PASSED"
