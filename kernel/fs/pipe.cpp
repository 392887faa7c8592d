// Pipes (issue 6): being written.
