#include "system_shims.h"
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
