/*
 * test_tcp_offload.c - µTCP: segmentation and checksum offload: TSO
 * super-segments, partial and valid checksums
 *
 * The pair of stacks and the segment builders are in tcp_harness.h.
 */
#include "tcp_harness.h"

/* The TCP header of a frame a stack sent (no IP options). */
static uint8_t *t_sent_tcp_hdr(struct pkt *f)
{
	return f->data + ETH_HDR_LEN + IPV4_HDR_LEN;
}

START_TEST(test_tso_sends_super_segments_with_partial_checksum)
{
	struct pair p;
	int ca, cb, l;
	t_pair(&p);
	ck_assert_int_eq(stack_if_set_offload(p.a, 0, true, true), 0);
	t_connect(&p, &ca, &cb, &l);
	struct tcp_conn *a = tcp_conn_get(p.a, ca);
	uint32_t mss = tcp_payload_max(a);
	static uint8_t data[200000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	/* A window the size of the whole first burst. */
	a->cwnd = 1u << 20;
	ck_assert_int_eq(tcp_send(p.a, p.now, ca, data, sizeof(data)),
			 sizeof(data));
	struct pkt *f = stack_pop_tx(p.a);
	ck_assert_ptr_nonnull(f);
	uint8_t *th = t_sent_tcp_hdr(f);
	uint32_t tlen = f->len - ETH_HDR_LEN - IPV4_HDR_LEN;
	uint32_t hl = TCP_DOFF_LEN(th[TCP_OFF_DOFF]);
	uint32_t payload = tlen - hl;
	ck_assert_uint_gt(payload, mss);
	ck_assert_uint_le(payload, TCP_TSO_MAX);
	ck_assert_uint_eq(payload % mss, 0);
	ck_assert_uint_eq(f->gso_size, mss);
	ck_assert(f->flags & PKT_F_CSUM_PARTIAL);
	ck_assert_uint_eq(f->csum_offset, TCP_OFF_CSUM);
	ck_assert_ptr_eq(f->buf + f->l4_offset, th);
	ck_assert_uint_eq(get_be16(f->data + ETH_HDR_LEN + 2),
			  IPV4_HDR_LEN + tlen);
	/* The field holds the pseudo-header sum, folded, not complemented. */
	uint16_t pseudo = (uint16_t)~csum_fold(
	    csum_pseudo(OUR_ADDR, PEER_ADDR, IPV4_PROTO_TCP, (uint16_t)tlen));
	ck_assert_uint_eq(get_be16(th + TCP_OFF_CSUM), pseudo);
	/* Completed as a NIC does, the checksum is right. */
	put_be16(th + TCP_OFF_CSUM, csum_fold(csum_partial(th, tlen, 0)));
	ck_assert_uint_eq(csum_fold(csum_partial(
			      th, tlen,
			      csum_pseudo(OUR_ADDR, PEER_ADDR, IPV4_PROTO_TCP,
					  (uint16_t)tlen))),
			  0);
	ck_assert_int_eq(memcmp(th + hl, data, payload), 0);
	stack_pkt_free(p.a, f);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_tso_bulk_transfer_both_ways)
{
	struct pair p;
	int ca, cb, l;
	t_pair(&p);
	ck_assert_int_eq(stack_if_set_offload(p.a, 0, true, true), 0);
	ck_assert_int_eq(stack_if_set_offload(p.b, 0, true, true), 0);
	t_connect(&p, &ca, &cb, &l);
	t_transfer(&p, p.a, ca, p.b, cb, 3 << 20);
	t_transfer(&p, p.b, cb, p.a, ca, 300001);
	ck_assert_uint_eq(tcp_conn_get(p.a, ca)->retransmits, 0);
	/* Far fewer segments than MSS-sized ones would take. */
	ck_assert_uint_lt(stack_counter_get(p.a, STACK_CTR_tcp_tx_segments),
			  (3u << 20) / 1448 / 4);
	p.drop_every = 5;
	t_transfer(&p, p.a, ca, p.b, cb, 1 << 20);
	ck_assert_uint_gt(p.dropped, 0);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_tso_slow_start_counts_a_super_segment_ack_in_full)
{
	struct pair p;
	int ca, cb, l;
	t_pair(&p);
	ck_assert_int_eq(stack_if_set_offload(p.a, 0, true, true), 0);
	ck_assert_int_eq(stack_if_set_offload(p.b, 0, true, true), 0);
	t_connect(&p, &ca, &cb, &l);
	struct tcp_conn *a = tcp_conn_get(p.a, ca);
	uint32_t iw = a->cwnd;
	static uint8_t data[200000];
	tcp_send(p.a, p.now, ca, data, sizeof(data));
	/* The initial window leaves as one super-segment, and its one ACK
	 * doubles the window as ten MSS-sized ACKed segments would
	 * (RFC 3465's L counts segments as sent). */
	ck_assert_int_eq(t_move(&p, p.a, p.b), 1);
	ck_assert_int_eq(t_move(&p, p.b, p.a), 1);
	ck_assert_uint_eq(a->cwnd, 2 * iw);
	t_exchange(&p);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_without_tso_segments_stay_mss_sized)
{
	struct pair p;
	int ca, cb;
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	uint32_t mss = tcp_payload_max(a);
	static uint8_t data[100000];
	a->cwnd = 1u << 20;
	ck_assert_int_eq(tcp_send(p.a, p.now, ca, data, sizeof(data)),
			 sizeof(data));
	int n = 0;
	struct pkt *f;
	while ((f = stack_pop_tx(p.a))) {
		uint8_t *th = t_sent_tcp_hdr(f);
		uint32_t tlen = f->len - ETH_HDR_LEN - IPV4_HDR_LEN;
		ck_assert_uint_le(tlen - TCP_DOFF_LEN(th[TCP_OFF_DOFF]), mss);
		ck_assert_uint_eq(f->gso_size, 0);
		ck_assert(!(f->flags & PKT_F_CSUM_PARTIAL));
		ck_assert_uint_eq(
		    csum_fold(csum_partial(th, tlen,
					   csum_pseudo(OUR_ADDR, PEER_ADDR,
						       IPV4_PROTO_TCP,
						       (uint16_t)tlen))),
		    0);
		stack_pkt_free(p.a, f);
		n++;
	}
	ck_assert_int_gt(n, 1);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_large_segment_with_csum_valid_skips_the_check)
{
	struct pair p;
	int ca, cb;
	static struct tframe f;
	struct tcp_conn *a = t_open(&p, &ca, &cb);
	uint32_t seq = tcp_conn_get(p.b, cb)->snd_nxt;
	uint32_t rcv_before = a->rcv_nxt;
	size_t len = 20000;

	/* A garbage checksum without the flag: dropped. */
	t_craft(&p, ca, cb, &f, seq, TCP_ACK, NULL, 0, len);
	t_tcp_hdr(&f)[TCP_OFF_CSUM] ^= 0x5a;
	t_input(p.a, p.now, &f);
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_rx_drop_checksum), 1);
	ck_assert_uint_eq(a->rcv_nxt, rcv_before);

	/* The same with PKT_F_CSUM_VALID: taken. */
	struct pkt *q = stack_pkt_alloc(p.a, f.len);
	ck_assert_ptr_nonnull(q);
	ck_assert_uint_eq(q->pkt_class, PKT_CLASS_LARGE);
	memcpy(q->data, f.b, f.len);
	q->len = (uint32_t)f.len;
	q->flags = PKT_F_CSUM_VALID;
	stack_input(p.a, p.now, q);
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_rx_drop_checksum), 1);
	ck_assert_uint_eq(a->rcv_nxt, rcv_before + len);

	/* The IPv4 header checksum is still checked. */
	t_craft(&p, ca, cb, &f, seq + (uint32_t)len, TCP_ACK, NULL, 0, 100);
	f.b[ETH_HDR_LEN + 10] ^= 0x01; /* its checksum */
	q = stack_pkt_alloc(p.a, f.len);
	memcpy(q->data, f.b, f.len);
	q->len = (uint32_t)f.len;
	q->flags = PKT_F_CSUM_VALID;
	stack_input(p.a, p.now, q);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_ip_rx_drop_checksum),
			  1);
	ck_assert_uint_eq(a->rcv_nxt, rcv_before + len);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_set_offload_checks_its_arguments)
{
	struct stack_limits lim;
	stack_limits_default(&lim);
	struct stack *s = t_tcp_stack(OUR_MAC, OUR_ADDR, &lim);
	ck_assert_int_eq(stack_if_set_offload(s, 1, true, true), -ENODEV);
	ck_assert_int_eq(stack_if_set_offload(s, -1, false, false), -ENODEV);
	ck_assert_int_eq(stack_if_set_offload(s, 0, true, false), -EINVAL);
	ck_assert_int_eq(stack_if_set_offload(s, 0, false, true), 0);
	ck_assert_int_eq(stack_if_set_offload(s, 0, false, false), 0);
	stack_free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tcp_offload");
	TCase *tc = tcase_create("offload");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_tso_sends_super_segments_with_partial_checksum);
	tcase_add_test(tc, test_tso_bulk_transfer_both_ways);
	tcase_add_test(tc,
		       test_tso_slow_start_counts_a_super_segment_ack_in_full);
	tcase_add_test(tc, test_without_tso_segments_stay_mss_sized);
	tcase_add_test(tc, test_large_segment_with_csum_valid_skips_the_check);
	tcase_add_test(tc, test_set_offload_checks_its_arguments);
	suite_add_tcase(s, tc);
	return t_run(s);
}
