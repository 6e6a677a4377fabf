#if !os(Linux)
    #error("lavavisor runs on Linux only: it calls Glibc directly (process groups, flock, termios, symlink renames)")
#endif
