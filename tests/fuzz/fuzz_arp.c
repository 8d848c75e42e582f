/*
 * fuzz_arp.c - the ARP parser, and ARP input against a live cache
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arp_view a;
	static uint8_t frame[14 + 256];
	struct stack *s;

	if (arp_parse(data, size, &a) == 0 && size < ARP_PKT_LEN)
		abort(); /* accepted a packet shorter than ARP */
	if (size > 256)
		size = 256;
	s = fuzz_stack();
	memcpy(frame, fuzz_our_mac, 6);
	memcpy(frame + 6, fuzz_peer_mac, 6);
	put_be16(frame + 12, ETHERTYPE_ARP);
	memcpy(frame + 14, data, size);
	fuzz_frame(s, FUZZ_T0, frame, 14 + size);
	fuzz_drain(s);
	fuzz_finish(s);
	return 0;
}
