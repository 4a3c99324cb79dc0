#ifndef ATTNBENCH_SYSTEM_SHIMS_H
#define ATTNBENCH_SYSTEM_SHIMS_H
// glibc allocator tuning and resource limits that Swift's Glibc module does not expose.
int attnbench_configure_malloc_for_measurement(void);
int attnbench_limit_address_space(unsigned long long bytes);
// Ends this process when its parent dies; exits at once if the parent is no longer
// `expected_parent` (0: no check). Returns 0, or -1 when the kernel refused the request.
int attnbench_die_with_parent(int expected_parent);
// Names the calling thread (at most 15 bytes are kept), as top -H, perf and /proc show it.
// Returns 0, or -1 when the system refused or has no thread names.
int attnbench_name_this_thread(const char *name);
// Processors this process may run on (its affinity mask; the online count where there is none).
int attnbench_available_processors(void);
#endif
