/*
 * tcp_wire.h - the TCP header and options as they are on the wire
 *
 * Every offset, flag and option kind, named once (RFC 9293 3.1 and 3.2,
 * RFC 7323, RFC 2018): the parser (tcp_parse), the builders in
 * tcp_output.c, and the tests all use these names, never a number.
 * Multi-byte fields are big-endian (get_be16/put_be32 and friends).
 */
#ifndef UTCP_TCP_WIRE_H
#define UTCP_TCP_WIRE_H

#define TCP_HDR_LEN 20 /* without options */
#define TCP_HDR_MAX 60 /* data offset 15 */
#define TCP_OPT_MAX 40

/* Field offsets from the start of the header. */
#define TCP_OFF_SPORT  0
#define TCP_OFF_DPORT  2
#define TCP_OFF_SEQ    4
#define TCP_OFF_ACK    8
#define TCP_OFF_DOFF   12 /* data offset in 32-bit words, high nibble */
#define TCP_OFF_FLAGS  13
#define TCP_OFF_WINDOW 14
#define TCP_OFF_CSUM   16
#define TCP_OFF_URP    18

/* The data offset byte for a header of hdr_len bytes, and back. */
#define TCP_DOFF_BYTE(hdr_len) ((uint8_t)(((hdr_len) / 4) << 4))
#define TCP_DOFF_LEN(byte)     ((uint8_t)(((byte) >> 4) * 4))

/* Flags (the byte at TCP_OFF_FLAGS). */
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

/* Option kinds and their lengths (kind and length bytes included). */
#define TCP_OPT_EOL	       0
#define TCP_OPT_NOP	       1
#define TCP_OPT_MSS	       2 /* RFC 9293 3.2, SYN only */
#define TCP_OPT_WSCALE	       3 /* RFC 7323 2, SYN only */
#define TCP_OPT_SACK_PERMITTED 4 /* RFC 2018 2, SYN only */
#define TCP_OPT_SACK	       5 /* RFC 2018 3 */
#define TCP_OPT_TIMESTAMP      8 /* RFC 7323 3 */

#define TCP_OPTLEN_MSS		  4
#define TCP_OPTLEN_WSCALE	  3
#define TCP_OPTLEN_SACK_PERMITTED 2
#define TCP_OPTLEN_TIMESTAMP	  10
#define TCP_OPTLEN_SACK(blocks)	  (2 + 8 * (blocks))

#endif
