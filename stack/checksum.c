/*
 * checksum.c - the Internet checksum (RFC 1071)
 *
 * The sum is taken over 32-bit big-endian words into a 64-bit
 * accumulator, which is the same one's complement sum as over 16-bit
 * words once the carries are folded back in (RFC 1071 section 2(B)).
 */
#include <string.h>

#include "checksum.h"

static uint64_t csum_add_words(const uint8_t *p, size_t len, uint64_t acc)
{
	while (len >= 4) {
		acc += ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
		       ((uint32_t)p[2] << 8) | p[3];
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		acc += ((uint32_t)p[0] << 8) | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		acc += (uint32_t)p[0] << 8;
	return acc;
}

uint32_t csum_partial(const void *buf, size_t len, uint32_t sum)
{
	uint64_t acc = csum_add_words(buf, len, sum);

	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t csum_pseudo(uint32_t saddr, uint32_t daddr, uint8_t proto,
		     uint16_t len)
{
	uint64_t acc = (uint64_t)saddr + daddr + proto + len;

	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}
