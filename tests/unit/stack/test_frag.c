/* test_frag.c - reassembly: order, overlaps, duplicates, bounds, timeout */
#include "harness.h"

/* A fragment of a UDP datagram from the peer with identification id:
 * `len` payload bytes of `dgram` starting at byte `off`. */
static void t_frag(struct tframe *f, uint16_t id, const uint8_t *dgram,
		   size_t off, size_t len, int more)
{
	t_eth(f, OUR_MAC, PEER_MAC, ETHERTYPE_IPV4);
	t_ipv4(f, PEER_ADDR, OUR_ADDR, IPV4_PROTO_UDP, id,
	       (uint16_t)((more ? IPV4_FLAG_MF : 0) | (off / 8)), len);
	memcpy(f->b + f->len, dgram + off, len);
	f->len += len;
}

/* Builds a whole UDP datagram (header + payload) to port 9 in dgram;
 * returns its length. */
static size_t t_dgram(uint8_t *dgram, size_t payload)
{
	for (size_t i = 0; i < payload; i++)
		dgram[8 + i] = (uint8_t)(i * 13 + 1);
	put_be16(dgram, 4000);
	put_be16(dgram + 2, 9);
	put_be16(dgram + 4, (uint16_t)(8 + payload));
	put_be16(dgram + 6, 0);
	put_be16(dgram + 6,
		 csum_fold(csum_partial(dgram, 8 + payload,
					csum_pseudo(PEER_ADDR, OUR_ADDR, 17,
						    (uint16_t)(8 + payload)))));
	return 8 + payload;
}

static struct stack *t_stack_with_sock(int *sock)
{
	struct stack *s = t_stack();
	t_learn_peer(s);
	*sock = udp_socket_open(s, 0, 9, 0, 0);
	ck_assert_int_ge(*sock, 0);
	return s;
}

static void check_delivered(struct stack *s, int sock, const uint8_t *dgram,
			    size_t len)
{
	struct udp_datagram dg;
	ck_assert_int_eq(udp_peek(s, sock, &dg), 0);
	ck_assert_uint_eq(dg.len, len - 8);
	ck_assert_mem_eq(dg.data, dgram + 8, len - 8);
	udp_pop(s, sock);
}

START_TEST(test_out_of_order_fragments_reassemble)
{
	int sock;
	struct stack *s = t_stack_with_sock(&sock);
	static uint8_t d[4008];
	static struct tframe f;
	size_t n = t_dgram(d, 4000);
	/* 1480-byte pieces: 0, 1480, 2960..4008; sent last, first, middle */
	t_frag(&f, 77, d, 2960, n - 2960, 0);
	t_input(s, T0, &f);
	t_frag(&f, 77, d, 0, 1480, 1);
	t_input(s, T0, &f);
	ck_assert_int_eq(udp_peek(s, sock, &(struct udp_datagram){0}), -EAGAIN);
	t_frag(&f, 77, d, 1480, 1480, 1);
	t_input(s, T0, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_frag_reassembled), 1);
	check_delivered(s, sock, d, n);
	ck_assert_uint_eq(stack_next_deadline(s) > T0, 1);
	stack_free(s);
}
END_TEST

START_TEST(test_exact_duplicate_fragment_is_ignored)
{
	int sock;
	struct stack *s = t_stack_with_sock(&sock);
	static uint8_t d[2008];
	static struct tframe f;
	size_t n = t_dgram(d, 2000);
	t_frag(&f, 5, d, 0, 1480, 1);
	t_input(s, T0, &f);
	t_input(s, T0, &f);
	t_frag(&f, 5, d, 1480, n - 1480, 0);
	t_input(s, T0, &f);
	check_delivered(s, sock, d, n);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_frag_drop_overlap), 0);
	stack_free(s);
}
END_TEST

START_TEST(test_overlap_drops_datagram_and_its_later_fragments)
{
	int sock;
	struct stack *s = t_stack_with_sock(&sock);
	static uint8_t d[2008];
	static struct tframe f;
	size_t n = t_dgram(d, 2000);
	t_frag(&f, 6, d, 0, 1480, 1);
	t_input(s, T0, &f);
	t_frag(&f, 6, d, 1400, 80, 1); /* overlaps the first */
	t_input(s, T0, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_frag_drop_overlap), 1);
	t_frag(&f, 6, d, 0, 1480, 1); /* would complete it again */
	t_input(s, T0, &f);
	t_frag(&f, 6, d, 1480, n - 1480, 0);
	t_input(s, T0, &f);
	ck_assert_int_eq(udp_peek(s, sock, &(struct udp_datagram){0}), -EAGAIN);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_frag_reassembled), 0);
	/* Only the table entry remains; no buffer is held. */
	struct stack_pool_info pi;
	stack_pool_info(s, &pi);
	ck_assert_uint_eq(pi.in_use[PKT_CLASS_SMALL], 0);
	stack_free(s);
}
END_TEST

START_TEST(test_series_beyond_65535_is_dropped)
{
	int sock;
	struct stack *s = t_stack_with_sock(&sock);
	static uint8_t d[70000];
	static struct tframe f;
	memset(d, 1, sizeof(d));
	t_frag(&f, 8, d, 0, 1480, 1);
	t_input(s, T0, &f);
	t_frag(&f, 8, d, 8191 * 8, 100, 0); /* ends at 65628 */
	t_input(s, T0, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_frag_drop_oversize), 1);
	stack_free(s);
}
END_TEST

START_TEST(test_too_many_fragments_drop_the_datagram)
{
	struct stack_limits lim;
	stack_limits_default(&lim);
	lim.reasm_frags_max = 4;
	struct stack *s = t_stack_lim(&lim);
	static uint8_t d[1000];
	static struct tframe f;
	t_learn_peer(s);
	t_dgram(d, 900);
	for (size_t off = 0; off < 8 * 6; off += 8) {
		t_frag(&f, 9, d, off, 8, 1);
		t_input(s, T0, &f);
	}
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_frag_drop_too_many), 1);
	struct stack_pool_info pi;
	stack_pool_info(s, &pi);
	ck_assert_uint_eq(pi.in_use[PKT_CLASS_SMALL], 0);
	stack_free(s);
}
END_TEST

START_TEST(test_memory_bound_evicts_oldest_datagram)
{
	struct stack_limits lim;
	stack_limits_default(&lim);
	lim.reasm_bytes_max = 3 * (PKT_SMALL_CAP);
	struct stack *s = t_stack_lim(&lim);
	static uint8_t d[4000];
	static struct tframe f;
	t_learn_peer(s);
	t_dgram(d, 3000);
	for (uint16_t id = 1; id <= 4; id++) { /* four first fragments */
		t_frag(&f, id, d, 0, 1480, 1);
		t_input(s, T0 + id, &f);
	}
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_frag_drop_memory), 1);
	struct stack_pool_info pi;
	stack_pool_info(s, &pi);
	ck_assert_uint_le(pi.in_use[PKT_CLASS_SMALL], 3);
	stack_free(s);
}
END_TEST

START_TEST(test_incomplete_datagram_times_out_with_time_exceeded)
{
	int sock;
	struct stack *s = t_stack_with_sock(&sock);
	struct stack_limits lim;
	stack_limits_default(&lim);
	static uint8_t d[2008];
	static struct tframe f;
	t_dgram(d, 2000);
	t_frag(&f, 10, d, 0, 1480, 1);
	t_input(s, T0, &f);
	ck_assert_uint_eq(stack_next_deadline(s), T0 + lim.reasm_timeout_ns);
	stack_timer(s, T0 + lim.reasm_timeout_ns);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_frag_drop_timeout), 1);
	struct pkt *p = t_pop_ipv4(s, IPV4_PROTO_ICMP);
	ck_assert_uint_eq(p->data[14 + 20], ICMP_TIME_EXCEEDED);
	ck_assert_uint_eq(p->data[14 + 21], ICMP_EXC_FRAGTIME);
	stack_pkt_free(s, p);
	stack_free(s);
}
END_TEST

START_TEST(test_non_multiple_of_8_middle_fragment_is_malformed)
{
	int sock;
	struct stack *s = t_stack_with_sock(&sock);
	static uint8_t d[2008];
	static struct tframe f;
	t_dgram(d, 2000);
	t_frag(&f, 11, d, 0, 1001, 1);
	t_input(s, T0, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_frag_drop_malformed), 1);
	stack_free(s);
}
END_TEST

START_TEST(test_stack_fragments_large_datagram_and_peer_reassembles)
{
	/* Two stacks: A sends 5000 bytes over MTU 1500 to B. */
	struct stack *a = t_stack();
	struct stack_limits lim;
	stack_limits_default(&lim);
	struct stack *b = stack_new(&lim, 7);
	stack_if_add(b, "tap0", PEER_MAC, 1500);
	stack_if_set_address(b, T0, 0, PEER_ADDR, 24);
	t_drain(b);
	t_learn_peer(a);
	int sa = udp_socket_open(a, 0, 1000, 0, 0);
	int sb = udp_socket_open(b, 0, 2000, 0, 0);
	static uint8_t msg[5000];
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i ^ (i >> 8));
	ck_assert_int_eq(udp_send(a, T0, sa, PEER_ADDR, 2000, msg, 5000), 0);
	ck_assert_uint_eq(t_ctr(a, STACK_CTR_ip_tx_fragments), 4);
	struct pkt *p;
	while ((p = stack_pop_tx(a))) {
		struct pkt *q = stack_pkt_alloc(b, p->len);
		ck_assert_uint_le(p->len, 1514);
		memcpy(q->data, p->data, p->len);
		q->len = p->len;
		q->ifindex = 0;
		stack_pkt_free(a, p);
		stack_input(b, T0, q);
	}
	struct udp_datagram dg;
	ck_assert_int_eq(udp_peek(b, sb, &dg), 0);
	ck_assert_uint_eq(dg.len, 5000);
	ck_assert_mem_eq(dg.data, msg, 5000);
	ck_assert_uint_eq(dg.src_port, 1000);
	udp_pop(b, sb);
	t_drain(b);
	stack_free(b);
	stack_free(a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("frag");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_out_of_order_fragments_reassemble);
	tcase_add_test(tc, test_exact_duplicate_fragment_is_ignored);
	tcase_add_test(tc, test_overlap_drops_datagram_and_its_later_fragments);
	tcase_add_test(tc, test_series_beyond_65535_is_dropped);
	tcase_add_test(tc, test_too_many_fragments_drop_the_datagram);
	tcase_add_test(tc, test_memory_bound_evicts_oldest_datagram);
	tcase_add_test(tc,
		       test_incomplete_datagram_times_out_with_time_exceeded);
	tcase_add_test(tc, test_non_multiple_of_8_middle_fragment_is_malformed);
	tcase_add_test(
	    tc, test_stack_fragments_large_datagram_and_peer_reassembles);
	suite_add_tcase(s, tc);
	return t_run(s);
}
