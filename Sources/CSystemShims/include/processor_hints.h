#ifndef ATTNBENCH_PROCESSOR_HINTS_H
#define ATTNBENCH_PROCESSOR_HINTS_H
// Tells the core that the calling thread is in a spin-wait loop: on x86 `pause` (lets the
// sibling hyper-thread run and avoids the memory-order flush when the loop exits), on arm64
// `yield`; elsewhere nothing.
static inline void attnbench_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}
#endif
