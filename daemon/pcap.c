/*
 * pcap.c - the bytes of a classic pcap file (pcap.h)
 *
 * Theory of operation. The file header is magic, version 2.4, a zero
 * time zone and accuracy, the snap length and the link type; a record
 * header is the timestamp's seconds and nanoseconds, the bytes held
 * (caplen) and the frame's length on the wire (orig_len). Every field
 * is written little-endian, byte by byte, so the output does not
 * depend on the host.
 */
#include "pcap.h"

#define NS_PER_SEC 1000000000u

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

void pcap_file_header(uint8_t out[PCAP_FILE_HDR_LEN], uint32_t snaplen)
{
	put_le32(out, PCAP_MAGIC_NSEC);
	put_le16(out + 4, 2); /* version 2.4 */
	put_le16(out + 6, 4);
	put_le32(out + 8, 0);  /* thiszone */
	put_le32(out + 12, 0); /* sigfigs */
	put_le32(out + 16, snaplen);
	put_le32(out + 20, PCAP_LINKTYPE_ETHER);
}

uint32_t pcap_record_header(uint8_t out[PCAP_REC_HDR_LEN], uint64_t realtime_ns,
			    uint32_t len, uint32_t snaplen)
{
	uint32_t caplen = len < snaplen ? len : snaplen;

	put_le32(out, (uint32_t)(realtime_ns / NS_PER_SEC));
	put_le32(out + 4, (uint32_t)(realtime_ns % NS_PER_SEC));
	put_le32(out + 8, caplen);
	put_le32(out + 12, len);
	return caplen;
}
