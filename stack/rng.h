/*
 * rng.h - the stack's random generator (xoshiro256**, seeded by
 * splitmix64)
 *
 * Deterministic from its seed, so a test or a simulation that hands the
 * stack the same seed sees the same ports, ISNs, transaction ids and
 * jitter. Each user keeps its own state (the stack one, each DHCP client
 * one); nothing here is global.
 */
#ifndef UTCP_RNG_H
#define UTCP_RNG_H

#include <stdint.h>

struct stack_rng {
	uint64_t s[4];
};

void rng_seed(struct stack_rng *rng, uint64_t seed);
/* One splitmix64 step: advances *x and returns a well-mixed value (how
 * rng_seed() fills the state; also for deriving several seeds from
 * one). */
uint64_t rng_splitmix64(uint64_t *x);
uint64_t rng_next(struct stack_rng *rng);
/* A uniform value in [0, bound) for bound > 0. */
uint32_t rng_below(struct stack_rng *rng, uint32_t bound);

#endif
