/*
 * pcap.h - the bytes of a classic pcap file: its header and one
 * record's header
 *
 * A capture (capture.c) is a pcap file made of a 24-byte file header
 * and, per frame, a 16-byte record header followed by the frame's first
 * caplen bytes. utcpd writes the nanosecond variant (magic a1b23c4d,
 * version 2.4, link type 1 = Ethernet) in little-endian byte order:
 * every reader (tcpdump, tshark, Wireshark, libpcap) takes either byte
 * order by the magic, and a fixed order makes the bytes the same on
 * every host. Nothing here does I/O or reads a clock.
 */
#ifndef UTCPD_PCAP_H
#define UTCPD_PCAP_H

#include <stddef.h>
#include <stdint.h>

#define PCAP_FILE_HDR_LEN   24u
#define PCAP_REC_HDR_LEN    16u
#define PCAP_MAGIC_NSEC	    0xa1b23c4du
#define PCAP_LINKTYPE_ETHER 1u

/* Writes the file header of a capture of `snaplen` bytes per frame
 * (nanosecond timestamps, Ethernet) into out. */
void pcap_file_header(uint8_t out[PCAP_FILE_HDR_LEN], uint32_t snaplen);

/* Writes the header of the record of a frame of `len` bytes seen at
 * `realtime_ns` (nanoseconds since the epoch) into out, for a capture of
 * `snaplen` bytes per frame. Returns the bytes of the frame the record
 * holds (caplen: len, or snaplen when the frame is longer). */
uint32_t pcap_record_header(uint8_t out[PCAP_REC_HDR_LEN], uint64_t realtime_ns,
			    uint32_t len, uint32_t snaplen);

#endif
