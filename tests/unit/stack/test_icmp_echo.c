/* test_icmp_echo.c - our own echo requests (ping): matching replies by
 * identifier, sequence and source, timeouts, errors, the table's bound */
#include "harness.h"

#define MS 1000000ull

/* Sends an echo to dst with `seq` and a 1 s timeout; returns its id. */
static int send_echo(struct stack *s, uint64_t now, uint32_t dst, uint16_t seq)
{
	struct icmp_echo_request rq = {.dst = dst,
				       .ifindex = -1,
				       .seq = seq,
				       .len = 56,
				       .timeout_ns = 1000 * MS};
	return icmp_echo_send(s, now, &rq);
}

/* Pops the echo request just sent and checks it; returns its wire
 * identifier. */
static uint16_t pop_request(struct stack *s, uint16_t seq, uint32_t len)
{
	struct pkt *p = t_pop_ipv4(s, IPV4_PROTO_ICMP);
	const uint8_t *m = p->data + 34;
	uint16_t ident;

	ck_assert_uint_eq(p->len, 34 + 8 + len);
	ck_assert_uint_eq(get_be32(p->data + 14 + 16), PEER_ADDR);
	ck_assert_uint_eq(m[0], ICMP_ECHO_REQUEST);
	ck_assert_uint_eq(get_be16(m + 6), seq);
	for (uint32_t i = 0; i < len; i++)
		ck_assert_uint_eq(m[8 + i], (uint8_t)i);
	ck_assert_uint_eq(csum_fold(csum_partial(m, 8 + len, 0)), 0);
	ident = get_be16(m + 4);
	stack_pkt_free(s, p);
	return ident;
}

/* An echo reply from src with ident and seq, 56 bytes of pattern, ttl 61. */
static void reply_frame(struct tframe *f, uint32_t src, uint16_t ident,
			uint16_t seq)
{
	uint8_t *ip, *m;

	t_eth(f, OUR_MAC, PEER_MAC, ETHERTYPE_IPV4);
	ip = t_ipv4(f, src, OUR_ADDR, IPV4_PROTO_ICMP, 5, 0, 8 + 56);
	ip[8] = 61;
	t_ipv4_recsum(ip);
	m = f->b + f->len;
	m[0] = ICMP_ECHO_REPLY;
	m[1] = 0;
	put_be16(m + 2, 0);
	put_be16(m + 4, ident);
	put_be16(m + 6, seq);
	for (int i = 0; i < 56; i++)
		m[8 + i] = (uint8_t)i;
	put_be16(m + 2, csum_fold(csum_partial(m, 64, 0)));
	f->len += 64;
}

START_TEST(test_reply_ends_the_echo_with_its_rtt_and_ttl)
{
	struct stack *s = t_stack();
	struct icmp_echo_result r;
	struct tframe f;
	uint16_t ident;
	int e;

	t_learn_peer(s);
	e = send_echo(s, T0, PEER_ADDR, 7);
	ck_assert_int_ge(e, 0);
	ident = pop_request(s, 7, 56);
	ck_assert_uint_eq(icmp_echo_outstanding(s), 1);
	ck_assert(!icmp_echo_pop(s, &r));
	reply_frame(&f, PEER_ADDR, ident, 7);
	t_input(s, T0 + 3 * MS, &f);
	ck_assert(icmp_echo_pop(s, &r));
	ck_assert_int_eq(r.echo, e);
	ck_assert_int_eq(r.status, 0);
	ck_assert_uint_eq(r.from, PEER_ADDR);
	ck_assert_uint_eq(r.seq, 7);
	ck_assert_uint_eq(r.ttl, 61);
	ck_assert_uint_eq(r.len, 56);
	ck_assert_uint_eq(r.rtt_ns, 3 * MS);
	ck_assert(!icmp_echo_pop(s, &r));
	ck_assert_uint_eq(icmp_echo_outstanding(s), 0);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_icmp_tx_echo_requests), 1);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_icmp_rx_echo_replies), 1);
	/* The reply is not answered, nor taken for a request. */
	ck_assert_ptr_null(stack_pop_tx(s));
	stack_free(s);
}
END_TEST

START_TEST(test_wrong_id_seq_or_source_match_nothing)
{
	struct stack *s = t_stack();
	struct icmp_echo_result r;
	struct tframe f;
	uint16_t ident;

	t_learn_peer(s);
	ck_assert_int_ge(send_echo(s, T0, PEER_ADDR, 7), 0);
	ident = pop_request(s, 7, 56);
	reply_frame(&f, PEER_ADDR, (uint16_t)(ident + 1), 7); /* wrong id */
	t_input(s, T0 + MS, &f);
	reply_frame(&f, PEER_ADDR, (uint16_t)(ident - 1), 7); /* below base */
	t_input(s, T0 + MS, &f);
	reply_frame(&f, PEER_ADDR, ident, 8); /* wrong seq */
	t_input(s, T0 + MS, &f);
	reply_frame(&f, 0x0a000003u, ident, 7); /* wrong source */
	t_input(s, T0 + MS, &f);
	ck_assert(!icmp_echo_pop(s, &r));
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_icmp_rx_echo_unmatched), 4);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_icmp_rx_echo_replies), 0);
	/* Still waiting: the right one is taken. */
	reply_frame(&f, PEER_ADDR, ident, 7);
	t_input(s, T0 + 2 * MS, &f);
	ck_assert(icmp_echo_pop(s, &r));
	ck_assert_int_eq(r.status, 0);
	ck_assert_uint_eq(r.rtt_ns, 2 * MS);
	stack_free(s);
}
END_TEST

START_TEST(test_duplicate_reply_is_counted_not_reported)
{
	struct stack *s = t_stack();
	struct icmp_echo_result r;
	struct tframe f;
	uint16_t ident;

	t_learn_peer(s);
	ck_assert_int_ge(send_echo(s, T0, PEER_ADDR, 1), 0);
	ident = pop_request(s, 1, 56);
	reply_frame(&f, PEER_ADDR, ident, 1);
	t_input(s, T0 + MS, &f);
	t_input(s, T0 + 2 * MS, &f); /* before the pop */
	ck_assert(icmp_echo_pop(s, &r));
	t_input(s, T0 + 3 * MS, &f); /* after it */
	ck_assert(!icmp_echo_pop(s, &r));
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_icmp_rx_echo_replies), 1);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_icmp_rx_echo_unmatched), 2);
	stack_free(s);
}
END_TEST

START_TEST(test_timeout_at_the_deadline_then_late_reply_is_unmatched)
{
	struct stack *s = t_stack();
	struct icmp_echo_result r;
	struct tframe f;
	uint16_t ident;

	t_learn_peer(s);
	ck_assert_int_ge(send_echo(s, T0, PEER_ADDR, 3), 0);
	ident = pop_request(s, 3, 56);
	ck_assert_uint_eq(stack_next_deadline(s), T0 + 1000 * MS);
	stack_timer(s, T0 + 1000 * MS - 1);
	ck_assert(!icmp_echo_pop(s, &r));
	ck_assert_uint_eq(stack_next_deadline(s), T0 + 1000 * MS);
	stack_timer(s, T0 + 1000 * MS);
	ck_assert(icmp_echo_pop(s, &r));
	ck_assert_int_eq(r.status, -ETIMEDOUT);
	ck_assert_uint_eq(r.seq, 3);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_icmp_echo_timeouts), 1);
	ck_assert_uint_eq(stack_next_deadline(s) == T0 + 1000 * MS, 0);
	reply_frame(&f, PEER_ADDR, ident, 3);
	t_input(s, T0 + 1001 * MS, &f);
	ck_assert(!icmp_echo_pop(s, &r));
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_icmp_rx_echo_unmatched), 1);
	stack_free(s);
}
END_TEST

START_TEST(test_table_is_bounded_at_its_limit)
{
	struct stack_limits lim;
	struct icmp_echo_result r;
	struct stack *s;
	int ids[4];

	stack_limits_default(&lim);
	lim.icmp_echo_max = 4;
	s = t_stack_lim(&lim);
	t_learn_peer(s);
	for (int i = 0; i < 4; i++) {
		ids[i] = send_echo(s, T0, PEER_ADDR, (uint16_t)i);
		ck_assert_int_ge(ids[i], 0);
		for (int j = 0; j < i; j++)
			ck_assert_int_ne(ids[i], ids[j]);
	}
	ck_assert_int_eq(send_echo(s, T0, PEER_ADDR, 4), -ENOBUFS);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_icmp_echo_table_full), 1);
	ck_assert_uint_eq(icmp_echo_outstanding(s), 4);
	/* An ended echo holds its slot until popped. */
	stack_timer(s, T0 + 1000 * MS);
	ck_assert_int_eq(send_echo(s, T0, PEER_ADDR, 4), -ENOBUFS);
	ck_assert(icmp_echo_pop(s, &r));
	ck_assert_int_ge(send_echo(s, T0 + 1000 * MS, PEER_ADDR, 4), 0);
	ck_assert_int_eq(send_echo(s, T0, PEER_ADDR, 5), -ENOBUFS);
	t_drain(s);
	stack_free(s);
}
END_TEST

START_TEST(test_cancelled_echo_reports_nothing)
{
	struct stack *s = t_stack();
	struct icmp_echo_result r;
	struct tframe f;
	uint16_t ident;
	int a, b;

	t_learn_peer(s);
	a = send_echo(s, T0, PEER_ADDR, 1);
	ident = pop_request(s, 1, 56);
	b = send_echo(s, T0, PEER_ADDR, 2);
	pop_request(s, 2, 56);
	icmp_echo_cancel(s, a); /* waiting */
	ck_assert_uint_eq(icmp_echo_outstanding(s), 1);
	reply_frame(&f, PEER_ADDR, ident, 1);
	t_input(s, T0 + MS, &f);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_icmp_rx_echo_unmatched), 1);
	stack_timer(s, T0 + 1000 * MS); /* b ends, then goes */
	icmp_echo_cancel(s, b);
	ck_assert(!icmp_echo_pop(s, &r));
	ck_assert_uint_eq(icmp_echo_outstanding(s), 0);
	icmp_echo_cancel(s, -1); /* ignored */
	icmp_echo_cancel(s, 1000);
	stack_free(s);
}
END_TEST

START_TEST(test_no_arp_answer_is_host_unreachable)
{
	struct stack *s = t_stack();
	struct icmp_echo_result r;
	struct icmp_echo_request rq = {.dst = 0x0a000064u,
				       .ifindex = -1,
				       .seq = 3,
				       .len = 0,
				       .timeout_ns = 10000 * MS};
	uint64_t now = T0;
	int i;

	t_drain(s);
	ck_assert_int_ge(icmp_echo_send(s, now, &rq), 0);
	for (i = 0; i < 20 && !icmp_echo_pop(s, &r); i++) {
		now = stack_next_deadline(s);
		stack_timer(s, now);
		t_drain(s);
	}
	ck_assert_int_lt(i, 20);
	/* ARP gave up (3 requests, 1 s apart), well before the timeout. */
	ck_assert_uint_lt(now, T0 + 10000 * MS);
	ck_assert_uint_eq(r.seq, 3);
	ck_assert_int_eq(r.status, -EHOSTUNREACH);
	ck_assert_uint_eq(r.from, OUR_ADDR);
	stack_free(s);
}
END_TEST

START_TEST(test_router_unreachable_quoting_the_echo_ends_it)
{
	struct stack *s = t_stack();
	struct icmp_echo_result r;
	struct tframe f;
	struct pkt *p;
	uint8_t *m;

	t_learn_peer(s);
	ck_assert_int_eq(stack_route_add(s, 0, 0, PEER_ADDR, 0), 0);
	ck_assert_int_ge(send_echo(s, T0, 0xc0000201u, 9), 0);
	p = t_pop_ipv4(s, IPV4_PROTO_ICMP);
	t_eth(&f, OUR_MAC, PEER_MAC, ETHERTYPE_IPV4);
	t_ipv4(&f, PEER_ADDR, OUR_ADDR, IPV4_PROTO_ICMP, 6, 0, 8 + 28);
	m = f.b + f.len;
	memset(m, 0, 8);
	m[0] = ICMP_DEST_UNREACH;
	m[1] = 1; /* host unreachable */
	memcpy(m + 8, p->data + 14, 28);
	put_be16(m + 2, csum_fold(csum_partial(m, 36, 0)));
	f.len += 36;
	stack_pkt_free(s, p);
	t_input(s, T0 + 5 * MS, &f);
	ck_assert(icmp_echo_pop(s, &r));
	ck_assert_int_eq(r.status, -EHOSTUNREACH);
	ck_assert_uint_eq(r.from, PEER_ADDR);
	ck_assert_uint_eq(r.seq, 9);
	stack_free(s);
}
END_TEST

START_TEST(test_refused_requests)
{
	struct stack *s = t_stack();
	struct icmp_echo_request rq = {.dst = PEER_ADDR,
				       .ifindex = 1,
				       .seq = 1,
				       .len = 56,
				       .timeout_ns = MS};

	t_learn_peer(s);
	ck_assert_int_eq(icmp_echo_send(s, T0, &rq), -ENETUNREACH);
	rq.ifindex = 0;
	rq.dst = 0xc0000201u; /* no route */
	ck_assert_int_eq(icmp_echo_send(s, T0, &rq), -ENETUNREACH);
	rq.dst = 0x0a0000ffu;
	ck_assert_int_eq(icmp_echo_send(s, T0, &rq), -EACCES);
	rq.dst = PEER_ADDR;
	rq.timeout_ns = 0;
	ck_assert_int_eq(icmp_echo_send(s, T0, &rq), -EINVAL);
	rq.timeout_ns = MS;
	rq.len = ICMP_ECHO_DATA_MAX + 1;
	ck_assert_int_eq(icmp_echo_send(s, T0, &rq), -EINVAL);
	rq.len = ICMP_ECHO_DATA_MAX; /* the largest: fragmented */
	ck_assert_int_ge(icmp_echo_send(s, T0, &rq), 0);
	ck_assert_int_eq(t_drain(s), 45);
	ck_assert_uint_eq(icmp_echo_outstanding(s), 1);
	stack_free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("icmp_echo");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_reply_ends_the_echo_with_its_rtt_and_ttl);
	tcase_add_test(tc, test_wrong_id_seq_or_source_match_nothing);
	tcase_add_test(tc, test_duplicate_reply_is_counted_not_reported);
	tcase_add_test(
	    tc, test_timeout_at_the_deadline_then_late_reply_is_unmatched);
	tcase_add_test(tc, test_table_is_bounded_at_its_limit);
	tcase_add_test(tc, test_cancelled_echo_reports_nothing);
	tcase_add_test(tc, test_no_arp_answer_is_host_unreachable);
	tcase_add_test(tc, test_router_unreachable_quoting_the_echo_ends_it);
	tcase_add_test(tc, test_refused_requests);
	suite_add_tcase(s, tc);
	return t_run(s);
}
