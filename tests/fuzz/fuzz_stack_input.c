/*
 * fuzz_stack_input.c - the whole input path against a live stack
 *
 * The input is a sequence of frames, each prefixed by a 2-byte length,
 * with a time step after each; the stack has an address, a learnt peer
 * and open sockets, so fragments, ARP, ICMP and UDP all see traffic.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stack *s = fuzz_stack();
	uint64_t now = FUZZ_T0;

	while (size >= 3) {
		size_t len = get_be16(data) % 1600;
		uint8_t step = data[2];
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		fuzz_frame(s, now, data, len);
		data += len;
		size -= len;
		now += (uint64_t)step * 100000000ull; /* up to 25.5 s */
		if (stack_next_deadline(s) <= now)
			stack_timer(s, now);
		fuzz_drain(s);
	}
	fuzz_finish(s);
	return 0;
}
