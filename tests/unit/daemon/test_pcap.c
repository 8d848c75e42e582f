/*
 * test_pcap.c - the bytes of a pcap file (daemon/pcap.c)
 *
 * The file header and a record header, byte for byte, against ones
 * worked out by hand from the format: little-endian fields, the
 * nanosecond magic, version 2.4, link type 1 (Ethernet).
 */
#include <check.h>
#include <string.h>

#include "pcap.h"

#include "harness.h"

START_TEST(test_file_header_is_byte_exact)
{
	static const uint8_t want[PCAP_FILE_HDR_LEN] = {
	    0x4d, 0x3c, 0xb2, 0xa1, /* magic a1b23c4d: nanoseconds */
	    0x02, 0x00, 0x04, 0x00, /* version 2.4 */
	    0x00, 0x00, 0x00, 0x00, /* thiszone */
	    0x00, 0x00, 0x00, 0x00, /* sigfigs */
	    0x00, 0x00, 0x04, 0x00, /* snaplen 262144 */
	    0x01, 0x00, 0x00, 0x00, /* LINKTYPE_ETHERNET */
	};
	uint8_t got[PCAP_FILE_HDR_LEN];

	memset(got, 0xee, sizeof(got));
	pcap_file_header(got, 262144);
	ck_assert_mem_eq(got, want, sizeof(want));
}
END_TEST

/* 2026-12-06 02:30:00.123456789 UTC = 1796524200 s (0x6b14c8a8). */
START_TEST(test_record_header_is_byte_exact)
{
	static const uint8_t want[PCAP_REC_HDR_LEN] = {
	    0xa8, 0xc8, 0x14, 0x6b, /* seconds */
	    0x15, 0xcd, 0x5b, 0x07, /* nanoseconds 123456789 */
	    0x40, 0x00, 0x00, 0x00, /* caplen 64 */
	    0x0e, 0xff, 0x00, 0x00, /* orig_len 65294: a TSO frame */
	};
	uint8_t got[PCAP_REC_HDR_LEN];

	ck_assert_uint_eq(
	    pcap_record_header(got, 1796524200ull * 1000000000ull + 123456789u,
			       65294, 64),
	    64);
	ck_assert_mem_eq(got, want, sizeof(want));
}
END_TEST

/* A frame at or below the snap length is kept whole; one byte over is
 * cut to the snap length. */
START_TEST(test_caplen_at_the_snap_length)
{
	uint8_t got[PCAP_REC_HDR_LEN];

	ck_assert_uint_eq(pcap_record_header(got, 0, 64, 64), 64);
	ck_assert_uint_eq(got[8], 64);
	ck_assert_uint_eq(got[12], 64);
	ck_assert_uint_eq(pcap_record_header(got, 0, 65, 64), 64);
	ck_assert_uint_eq(got[8], 64);
	ck_assert_uint_eq(got[12], 65);
	ck_assert_uint_eq(pcap_record_header(got, 0, 63, 64), 63);
	ck_assert_uint_eq(got[8], 63);
	/* the timestamp's nanoseconds stay below a second */
	pcap_record_header(got, 1999999999u, 60, 64);
	ck_assert_mem_eq(got, "\x01\x00\x00\x00\xff\xc9\x9a\x3b", 8);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pcap");
	TCase *tc = tcase_create("bytes");

	tcase_add_test(tc, test_file_header_is_byte_exact);
	tcase_add_test(tc, test_record_header_is_byte_exact);
	tcase_add_test(tc, test_caplen_at_the_snap_length);
	suite_add_tcase(s, tc);
	return t_run(s);
}
