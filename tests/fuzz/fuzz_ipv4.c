/*
 * fuzz_ipv4.c - the IPv4 header parser and fragment reassembly
 *
 * The input is cut into IPv4 packets (2-byte length prefixes); each goes
 * to ipv4_parse() directly and, as a frame, through the stack, so that
 * fuzzed fragment series exercise overlap, limits and timeouts.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[14 + 1600];
	struct stack *s = fuzz_stack();
	uint64_t now = FUZZ_T0;

	while (size >= 2) {
		size_t len = get_be16(data) % 1500;
		struct ipv4_view ip;
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		if (ipv4_parse(data, len, &ip) == IPV4_OK &&
		    (ip.total_len > len || ip.hdr_len > ip.total_len))
			abort(); /* a view beyond the buffer */
		memcpy(frame, fuzz_our_mac, 6);
		memcpy(frame + 6, fuzz_peer_mac, 6);
		put_be16(frame + 12, ETHERTYPE_IPV4);
		memcpy(frame + 14, data, len);
		fuzz_frame(s, now, frame, 14 + len);
		fuzz_drain(s);
		data += len;
		size -= len;
		now += 1000000000ull;
	}
	fuzz_finish(s);
	return 0;
}
