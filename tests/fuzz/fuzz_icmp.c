/*
 * fuzz_icmp.c - ICMP input: the input is an ICMP message in a valid IPv4
 * datagram (with a fixed-up checksum half of the time, so that parsing
 * beyond the checksum check is reached)
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t msg[1480];
	static uint8_t frame[14 + 20 + 1480];
	struct stack *s;

	if (size < 1)
		return 0;
	bool fix = data[0] & 1;
	data++;
	size--;
	if (size > sizeof(msg))
		size = sizeof(msg);
	memcpy(msg, data, size);
	if (fix && size >= 4) {
		put_be16(msg + 2, 0);
		put_be16(msg + 2, csum_fold(csum_partial(msg, size, 0)));
	}
	s = fuzz_stack();
	fuzz_frame(s, FUZZ_T0, frame,
		   fuzz_wrap_ipv4(frame, IPV4_PROTO_ICMP, msg, size));
	fuzz_drain(s);
	fuzz_finish(s);
	return 0;
}
