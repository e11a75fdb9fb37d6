#ifndef QUANTSCOPE_CPU_FEATURES_H
#define QUANTSCOPE_CPU_FEATURES_H

/* Whether this CPU and OS run code built for x86-64-v3 (Haswell and later: AVX2, FMA, F16C, BMI1/2, LZCNT,
   MOVBE), which the QuantKernelsAVX2 module is compiled for. Swift cannot execute `cpuid` or `xgetbv`; clang's
   <cpuid.h> and one line of inline assembly can. Header-only: nothing is linked. Returns 0 off x86-64. */
#if defined(__x86_64__)
#include <cpuid.h>

static inline int quantscope_cpu_runs_x86_64_v3(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    const unsigned int leaf1 = (1u << 12) /* FMA */ | (1u << 22) /* MOVBE */ | (1u << 23) /* POPCNT */
        | (1u << 27) /* OSXSAVE */ | (1u << 28) /* AVX */ | (1u << 29) /* F16C */;
    if ((ecx & leaf1) != leaf1) return 0;
    unsigned int xcr0_low, xcr0_high;
    __asm__ volatile("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
    if ((xcr0_low & 6u) != 6u) return 0; /* the OS saves XMM and YMM state */
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    const unsigned int leaf7 = (1u << 3) /* BMI1 */ | (1u << 5) /* AVX2 */ | (1u << 8) /* BMI2 */;
    if ((ebx & leaf7) != leaf7) return 0;
    if (!__get_cpuid(0x80000001u, &eax, &ebx, &ecx, &edx)) return 0;
    return (ecx & (1u << 5)) != 0; /* LZCNT */
}
#else
static inline int quantscope_cpu_runs_x86_64_v3(void) { return 0; }
#endif

#endif
