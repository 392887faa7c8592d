// Running user programs from the kernel: a list of test programs (test
// mode), or the single program of `./akuma exec`.
#pragma once

#include <string_view>

namespace akuma::proc {

// Runs every program listed in the file at `list_path` (one per line:
//   <label> [expect=<exit code>|<SIGNAME>|<ERRNO>] [NAME=value]... <path> [args]...
// (expect=ENOEXEC: starting it must fail with that error)
// '#' starts a comment, "double quotes" group words) and prints "[Test] <label> PASSED|FAILED" for each,
// then checks that the PMM got every page back. Returns the failure count.
unsigned run_program_list(std::string_view list_path);

// Runs the program described by the file at `spec_path` (NUL-separated
// argv strings, an empty string, then NUL-separated environment strings)
// on the console and returns the shell-style status: the exit code,
// 128 + signal when killed, 127 / 126 if it cannot be started.
int run_exec_spec(std::string_view spec_path);

// Runs `command` (a path and arguments separated by blanks, as in the
// init= boot argument) on the console with the default environment, as
// the system's init (Process::is_init), and returns the shell-style status
// as run_exec_spec does.
int run_console_program(std::string_view command);

// Wait status (Linux encoding) -> "exited with code N" / "killed by SIGX".
int shell_status(int wait_status);

}  // namespace akuma::proc
