#define _GNU_SOURCE
#include "system_shims.h"
#include <sched.h>
#include <malloc.h>
#include <sys/resource.h>
#include <signal.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

int attnbench_configure_malloc_for_measurement(void) {
    int ok = 1;
    // Fixed thresholds disable glibc's dynamic mmap threshold, so large blocks are always
    // mmap'ed and returned to the system on free: each measurement starts from the same state.
    ok &= mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    ok &= mallopt(M_TRIM_THRESHOLD, 128 * 1024);
    // One arena: worker threads do not each reserve 64 MiB of address space.
    ok &= mallopt(M_ARENA_MAX, 1);
    return ok;
}

int attnbench_limit_address_space(unsigned long long bytes) {
    struct rlimit limit = { (rlim_t)bytes, (rlim_t)bytes };
    return setrlimit(RLIMIT_AS, &limit);
}

int attnbench_die_with_parent(int expected_parent) {
#ifdef __linux__
    // SIGKILL this process when the thread that started it exits. If the parent died before
    // the request took effect, this process is already re-parented: stop now.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return -1;
#endif
    if (expected_parent > 0 && getppid() != expected_parent) _exit(137);
    return 0;
}

int attnbench_name_this_thread(const char *name) {
#ifdef __linux__
    return prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0);
#else
    (void)name;
    return -1;
#endif
}

int attnbench_available_processors(void) {
#ifdef __linux__
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
#endif
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? (int)online : 1;
}
