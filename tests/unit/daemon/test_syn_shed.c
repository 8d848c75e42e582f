/*
 * test_syn_shed.c - shedding a SYN flood at the TAP (daemon/syn_shed.c)
 *
 * When: syn_shed_step() at its thresholds (more than SYN_SHED_TRIGGER
 * drops within SYN_SHED_WINDOW_NS; off SYN_SHED_WINDOW_NS after the
 * last such second), and per interface: a real stack with two
 * interfaces, flooded on one, sheds on that one alone. What: the
 * classic BPF filter itself, attached to an AF_UNIX datagram socket
 * (SO_ATTACH_FILTER runs it on each datagram as the TAP runs it on each
 * frame), lets one pure SYN in SYN_SHED_KEEP through and every other
 * frame. No root, no TAP.
 */
#include <sys/socket.h>
#include <unistd.h>

#include "syn_shed.h"
#include "tcp_harness.h"

#define SEC 1000000000ull

/* n SYNs from 10.0.<net>.9 to s's address on interface ifindex
 * (10.0.<net>.2), port 80, each read in as the TAP hands it over. */
static void syn_flood_on(struct stack *s, int ifindex, unsigned net, unsigned n)
{
	struct tframe f;

	for (unsigned i = 0; i < n; i++) {
		struct pkt *p;

		t_tcp_frame(&f, &(struct t_tcp){.saddr = 0x0a000009u | net << 8,
						.daddr = 0x0a000002u | net << 8,
						.sport = (uint16_t)(1024 + i),
						.dport = 80,
						.seq = 1000u * i,
						.flags = TCP_SYN,
						.wnd = 65535});
		p = stack_pkt_alloc(s, f.len);
		ck_assert_ptr_nonnull(p);
		memcpy(p->data, f.b, f.len);
		p->len = (uint32_t)f.len;
		p->ifindex = (uint16_t)ifindex;
		stack_input(s, T0, p);
	}
}

static uint64_t syn_drops(struct stack *s, int ifindex)
{
	struct stack_if_info info;

	ck_assert_int_eq(stack_if_info(s, ifindex, &info), 0);
	return info.syn_over_budget;
}

START_TEST(test_a_flood_on_one_interface_sheds_there_alone)
{
	struct stack_limits lim;
	struct syn_shed sh0 = {0}, sh1 = {0};
	struct stack *s;

	stack_limits_default(&lim);
	s = t_stack_lim(&lim); /* tap0: 10.0.0.2 */
	/* t_tcp_frame() addresses a frame not to OUR_ADDR to PEER_MAC */
	ck_assert_int_eq(stack_if_add(s, "tap1", PEER_MAC, 1500), 1);
	ck_assert_int_eq(stack_if_set_address(s, T0, 1, 0x0a000102u, 24), 0);
	t_drain(s);
	ck_assert_int_ge(tcp_listen(s, 0, 80, 64, NULL), 0);
	/* One turn: the flood on tap0 spends the budget, and tap1's few
	 * genuine SYNs are dropped too, counted on tap1. */
	syn_flood_on(s, 0, 0, 3000);
	syn_flood_on(s, 1, 1, 20);
	ck_assert_uint_eq(syn_drops(s, 0), 3000 - lim.tcp_syn_turn_budget);
	ck_assert_uint_eq(syn_drops(s, 1), 20);
	ck_assert_int_eq(syn_shed_step(&sh0, syn_drops(s, 0), 5 * SEC),
			 SYN_SHED_ATTACH);
	ck_assert_int_eq(syn_shed_step(&sh1, syn_drops(s, 1), 5 * SEC),
			 SYN_SHED_SAME);
	ck_assert(sh0.on);
	ck_assert(!sh1.on);
	t_drain(s);
	stack_free(s);
}
END_TEST

START_TEST(test_shedding_starts_past_the_trigger_within_a_second)
{
	struct syn_shed sh = {0};
	uint64_t t = 10 * SEC, drops = 0;

	/* the documented figures (docs/design.md) */
	ck_assert_uint_eq(SYN_SHED_TRIGGER, 2048);
	ck_assert_uint_eq(SYN_SHED_WINDOW_NS, SEC);
	/* SYN_SHED_TRIGGER drops within the second: not yet a flood */
	ck_assert_int_eq(syn_shed_step(&sh, drops, t), SYN_SHED_SAME);
	drops += SYN_SHED_TRIGGER - 1;
	ck_assert_int_eq(syn_shed_step(&sh, drops, t + SEC / 2), SYN_SHED_SAME);
	drops += 1;
	ck_assert_int_eq(syn_shed_step(&sh, drops, t + SEC - 1), SYN_SHED_SAME);
	ck_assert(!sh.on);
	/* a new second: the count starts again */
	drops += 2;
	ck_assert_int_eq(syn_shed_step(&sh, drops, t + SEC), SYN_SHED_SAME);
	drops += SYN_SHED_TRIGGER - 2;
	ck_assert_int_eq(syn_shed_step(&sh, drops, t + SEC + 1), SYN_SHED_SAME);
	/* one more within it: on */
	drops += 1;
	ck_assert_int_eq(syn_shed_step(&sh, drops, t + SEC + 2),
			 SYN_SHED_ATTACH);
	ck_assert(sh.on);
	ck_assert_uint_eq(sh.times_on, 1);
	/* it stays on, and a step with no drops does not take it off
	 * before a whole window passed since the last flooded step */
	ck_assert_int_eq(syn_shed_step(&sh, drops, t + 2 * SEC + 1),
			 SYN_SHED_SAME);
	ck_assert(sh.on);
	ck_assert_int_eq(syn_shed_step(&sh, drops, t + 2 * SEC + 2),
			 SYN_SHED_DETACH);
	ck_assert(!sh.on);
	ck_assert_int_eq(syn_shed_step(&sh, drops, t + 3 * SEC), SYN_SHED_SAME);
}
END_TEST

START_TEST(test_a_flood_that_goes_on_keeps_the_filter_on)
{
	struct syn_shed sh = {0};
	uint64_t t = 10 * SEC, drops = 0;

	ck_assert_int_eq(syn_shed_step(&sh, drops, t), SYN_SHED_SAME);
	for (int i = 1; i <= 10; i++) {
		drops += 2 * SYN_SHED_TRIGGER;
		ck_assert_int_eq(
		    syn_shed_step(&sh, drops, t + (uint64_t)i * SEC),
		    i == 1 ? SYN_SHED_ATTACH : SYN_SHED_SAME);
		ck_assert(sh.on);
	}
	ck_assert_uint_eq(sh.times_on, 1);
	ck_assert_int_eq(syn_shed_step(&sh, drops, t + 11 * SEC),
			 SYN_SHED_DETACH);
}
END_TEST

/* Sends `frame` n times through the filtered pair and returns how many
 * the filter let through. */
static unsigned through_filter(int sv[2], const struct tframe *f, unsigned n)
{
	unsigned got = 0;
	uint8_t buf[2048];

	for (unsigned i = 0; i < n; i++) {
		ck_assert_int_eq(send(sv[0], f->b, f->len, 0), (ssize_t)f->len);
		while (recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) > 0)
			got++;
	}
	return got;
}

static void tcp_frame_flags(struct tframe *f, uint8_t flags, uint16_t frag)
{
	t_tcp_frame(f, &(struct t_tcp){.saddr = PEER_ADDR,
				       .daddr = OUR_ADDR,
				       .sport = 5555,
				       .dport = 80,
				       .seq = 1,
				       .ack = flags & TCP_ACK ? 1u : 0u,
				       .flags = flags,
				       .wnd = 1000});
	/* IPv4 flags and fragment offset (the checksum is not looked at) */
	f->b[ETH_HDR_LEN + 6] = (uint8_t)(frag >> 8);
	f->b[ETH_HDR_LEN + 7] = (uint8_t)frag;
}

START_TEST(test_the_filter_passes_one_syn_in_sixteen_and_all_else)
{
	struct sock_fprog prog;
	struct tframe f;
	int sv[2];
	unsigned n = 16 * 1024, got; /* the documented one in 16 */

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	syn_shed_filter(&prog);
	ck_assert_int_eq(setsockopt(sv[1], SOL_SOCKET, SO_ATTACH_FILTER, &prog,
				    sizeof(prog)),
			 0);
	/* Pure SYNs: about one in SYN_SHED_KEEP (1024 expected; the
	 * binomial spread is about 31; one in 8 or in 32 would be far
	 * outside). */
	tcp_frame_flags(&f, TCP_SYN, 0);
	got = through_filter(sv, &f, n);
	ck_assert_uint_gt(got, 1024 * 3 / 4);
	ck_assert_uint_lt(got, 1024 * 4 / 3);
	/* Every other frame passes: SYN-ACK, ACK, RST, FIN, a SYN in a
	 * later fragment, UDP, ARP; a SYN with ECE set (beyond the four
	 * flags looked at) is a pure SYN still. */
	tcp_frame_flags(&f, TCP_SYN | TCP_ACK, 0);
	ck_assert_uint_eq(through_filter(sv, &f, 100), 100);
	tcp_frame_flags(&f, TCP_ACK, 0);
	ck_assert_uint_eq(through_filter(sv, &f, 100), 100);
	tcp_frame_flags(&f, TCP_RST, 0);
	ck_assert_uint_eq(through_filter(sv, &f, 100), 100);
	tcp_frame_flags(&f, TCP_FIN | TCP_ACK, 0);
	ck_assert_uint_eq(through_filter(sv, &f, 100), 100);
	tcp_frame_flags(&f, TCP_SYN, 0x0010); /* offset 16 * 8 */
	ck_assert_uint_eq(through_filter(sv, &f, 100), 100);
	tcp_frame_flags(&f, TCP_SYN | 0x40, 0);
	got = through_filter(sv, &f, 100 * SYN_SHED_KEEP);
	ck_assert_uint_lt(got, 100 * SYN_SHED_KEEP); /* ECE: still a SYN */
	t_eth(&f, OUR_MAC, PEER_MAC, ETHERTYPE_IPV4);
	t_ipv4(&f, PEER_ADDR, OUR_ADDR, IPV4_PROTO_UDP, 7, 0, 8);
	memset(f.b + f.len, 0x02, 8); /* a UDP "flags" byte of SYN */
	f.len += 8;
	ck_assert_uint_eq(through_filter(sv, &f, 100), 100);
	t_eth(&f, OUR_MAC, PEER_MAC, ETHERTYPE_ARP);
	memset(f.b + f.len, 0x02, 28);
	f.len += 28;
	ck_assert_uint_eq(through_filter(sv, &f, 100), 100);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("syn_shed");
	TCase *tc = tcase_create("syn_shed");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_a_flood_on_one_interface_sheds_there_alone);
	tcase_add_test(tc,
		       test_shedding_starts_past_the_trigger_within_a_second);
	tcase_add_test(tc, test_a_flood_that_goes_on_keeps_the_filter_on);
	tcase_add_test(tc,
		       test_the_filter_passes_one_syn_in_sixteen_and_all_else);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
