// Signal frames (issue 6): being written.
