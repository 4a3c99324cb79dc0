#ifndef ATTNBENCH_SYSTEM_SHIMS_H
#define ATTNBENCH_SYSTEM_SHIMS_H
// glibc allocator tuning and resource limits that Swift's Glibc module does not expose.
int attnbench_configure_malloc_for_measurement(void);
int attnbench_limit_address_space(unsigned long long bytes);
#endif
