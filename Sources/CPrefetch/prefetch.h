#ifndef QUANTSCOPE_PREFETCH_H
#define QUANTSCOPE_PREFETCH_H

/* A hint to start reading the cache line at `address` into the caches, which Swift cannot express: clang's
   `__builtin_prefetch` (`prefetcht0` on x86-64, `prfm pldl1keep` on ARM). It never faults, whatever the address. */
static inline __attribute__((always_inline)) void quantscope_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
