// Pseudo-terminals (Linux's Unix 98 ptys): opening /dev/ptmx makes a pair
// and returns its master; the slave is /dev/pts/N in the devpts file system
// (mounted at /dev/pts at boot), a terminal (terminal.h) with the console's
// line discipline and job control. What the master writes is the slave's
// input; what the slave writes (after output processing) the master reads.
//
// As on Linux: the slave is locked until TIOCSPTLCK unlocks it (glibc's
// unlockpt; opening it before is EIO); TIOCGPTN gives N (ptsname);
// TIOCGPTPEER opens the slave from the master; a session leader opening the
// slave without O_NOCTTY makes it its controlling terminal; TIOCSWINSZ on
// either side sets the slave's size (SIGWINCH to its foreground group).
// Closing the master hangs the slave up (SIGHUP and SIGCONT to its session
// leader and foreground group, end of file for readers, EIO for writers)
// and removes /dev/pts/N; reading the master after the last slave
// description closed is EIO, and it polls POLLHUP.
//
// Limits: 256 pairs at once; the master reads from a 64 KiB buffer (a slave
// writer waits while it is full); the slave's input is the line
// discipline's 4 KiB ring (a master writer waits while it is full). Not
// done: packet mode (TIOCPKT), the master's own termios (the master's
// termios ioctls act on the slave), more than one devpts instance (a second
// mount is EBUSY).
#pragma once

#include "kernel/fs/file.h"
#include "kernel/fs/file_system.h"
#include "kernel/lib/error_or.h"

namespace akuma::tty {

// Registers /dev/ptmx (5,2) and the slaves (major 136). Boot, before the VFS.
ErrorOr<void> register_pty_devices();
// The devpts file system: made on its first mount, Busy after.
ErrorOr<fs::FileSystem*> make_devpts();
// /dev/tty for a process whose session has a pty as controlling terminal:
// a new description of that slave. NotFound if it has none.
ErrorOr<fs::File*> open_controlling_pty(const fs::InodeRef& node, uint32_t flags);
// TIOCGPTPEER is File::open_peer of a master (IoError while locked).

}  // namespace akuma::tty
