/* libdyntls.so: a shared library with thread-local storage, loaded by the
 * dynlink test with dlopen (its TLS block is set up at load time, then for
 * each thread on first use). Every thread's counter starts at 5. */
__thread int dyntls_counter = 5;

int dyntls_bump(void) { return ++dyntls_counter; }
