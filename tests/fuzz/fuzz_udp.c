/*
 * fuzz_udp.c - UDP input: the input is a UDP header and payload that
 * arrives in a valid IPv4 datagram to an address with open sockets
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[14 + 20 + 1480];
	struct stack *s;

	if (size > 1480)
		size = 1480;
	s = fuzz_stack();
	fuzz_frame(s, FUZZ_T0, frame,
		   fuzz_wrap_ipv4(frame, IPV4_PROTO_UDP, data, size));
	fuzz_drain(s);
	fuzz_finish(s);
	return 0;
}
