/*
 * checksum.h - the Internet checksum (RFC 1071)
 *
 * csum_partial() adds a buffer to a running 32-bit one's complement sum
 * (every buffer but the last must have an even length); csum_fold()
 * folds and complements it into the 16-bit value that goes on the wire.
 * Values are in host order: store them with put_be16().
 */
#ifndef UTCP_CHECKSUM_H
#define UTCP_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* Adds len bytes at buf to sum; returns the new (unfolded) sum. */
uint32_t csum_partial(const void *buf, size_t len, uint32_t sum);

/* Folds the carries of sum and returns its one's complement. */
uint16_t csum_fold(uint32_t sum);

/* The IPv4 pseudo-header sum for TCP/UDP (RFC 768, RFC 9293). */
uint32_t csum_pseudo(uint32_t saddr, uint32_t daddr, uint8_t proto,
		     uint16_t len);

#endif
