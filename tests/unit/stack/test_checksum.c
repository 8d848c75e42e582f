/* test_checksum.c - the Internet checksum (RFC 1071) */
#include "harness.h"

START_TEST(test_rfc1071_example_sums_to_ddf2)
{
	/* RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2. */
	const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	ck_assert_uint_eq(csum_fold(csum_partial(b, sizeof(b), 0)),
			  (uint16_t)~0xddf2);
}
END_TEST

START_TEST(test_odd_length_pads_with_zero)
{
	const uint8_t odd[] = {0x12, 0x34, 0x56};
	const uint8_t even[] = {0x12, 0x34, 0x56, 0x00};
	ck_assert_uint_eq(csum_fold(csum_partial(odd, 3, 0)),
			  csum_fold(csum_partial(even, 4, 0)));
}
END_TEST

START_TEST(test_split_buffers_equal_whole)
{
	uint8_t b[1001];
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(i * 7 + 3);
	for (size_t cut = 0; cut <= 1000; cut += 2) {
		uint32_t part = csum_partial(b, cut, 0);
		ck_assert_uint_eq(
		    csum_fold(csum_partial(b + cut, sizeof(b) - cut, part)),
		    csum_fold(csum_partial(b, sizeof(b), 0)));
	}
}
END_TEST

START_TEST(test_all_ones_carries_fold)
{
	uint8_t b[4096];
	memset(b, 0xff, sizeof(b));
	/* Every word is 0xffff (negative zero): the sum is 0xffff. */
	ck_assert_uint_eq(csum_fold(csum_partial(b, sizeof(b), 0)), 0);
	memset(b, 0, sizeof(b));
	ck_assert_uint_eq(csum_fold(csum_partial(b, sizeof(b), 0)), 0xffff);
}
END_TEST

START_TEST(test_header_with_its_checksum_verifies_to_zero)
{
	struct tframe f;
	f.len = 0;
	uint8_t *h =
	    t_ipv4(&f, 0xc0a80001, 0xc0a800c7, 17, 0x1c46, 0x4000, 100);
	ck_assert_uint_eq(csum_fold(csum_partial(h, 20, 0)), 0);
	h[8]--; /* any change breaks it */
	ck_assert_uint_ne(csum_fold(csum_partial(h, 20, 0)), 0);
}
END_TEST

START_TEST(test_pseudo_header_matches_byte_layout)
{
	uint8_t ph[12];
	put_be32(ph, 0x0a000001);
	put_be32(ph + 4, 0xc0a80102);
	ph[8] = 0;
	ph[9] = 17;
	put_be16(ph + 10, 1234);
	ck_assert_uint_eq(
	    csum_fold(csum_pseudo(0x0a000001, 0xc0a80102, 17, 1234)),
	    csum_fold(csum_partial(ph, 12, 0)));
}
END_TEST

static Suite *checksum_suite(void)
{
	Suite *s = suite_create("checksum");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_rfc1071_example_sums_to_ddf2);
	tcase_add_test(tc, test_odd_length_pads_with_zero);
	tcase_add_test(tc, test_split_buffers_equal_whole);
	tcase_add_test(tc, test_all_ones_carries_fold);
	tcase_add_test(tc, test_header_with_its_checksum_verifies_to_zero);
	tcase_add_test(tc, test_pseudo_header_matches_byte_layout);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return t_run(checksum_suite());
}
