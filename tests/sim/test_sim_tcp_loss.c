/*
 * test_sim_tcp_loss.c - µTCP against exact losses on a clean link
 * (10 ms each way, 100 Mbit/s): a scripted filter drops one chosen
 * segment (the SYN, the SYN-ACK, the 3rd data segment, a FIN, a window
 * update after a zero window) and the scenario checks how TCP recovers
 */
#include "test_sim_tcp_app.c"

#define LOSS_DELAY SIM_MS(10)
#define LOSS_BPS   100000000ull

/* What the filter drops: the n-th frame (1-based) of a kind in one
 * direction, or the first of a kind once armed. */
enum drop_kind {
	DROP_SYN,      /* SYN without ACK */
	DROP_SYNACK,   /* SYN with ACK */
	DROP_DATA,     /* a segment carrying payload (first copies only) */
	DROP_FIN,      /* any segment with FIN */
	DROP_PURE_ACK, /* no payload, no SYN/FIN/RST */
};

struct dropper {
	enum sim_dir dir;
	enum drop_kind kind;
	uint32_t nth;  /* drop the nth matching frame */
	bool burst;    /* and every one offered in the same instant */
	bool armed;    /* false: count and pass nothing yet */
	uint32_t seen; /* matching frames while armed */
	uint32_t dropped;
	uint64_t drop_ns; /* when */
	uint32_t max_seq; /* DROP_DATA: highest end seen, to skip copies */
	bool have_seq;
	uint32_t drop_seq; /* the dropped segment's sequence number */
	uint16_t drop_wnd; /* ... and its window field */
};

static bool dropper_filter(void *arg, const struct sim_frame_info *fi)
{
	struct dropper *d = arg;
	size_t plen;
	const uint8_t *t;
	uint8_t fl;
	bool match = false;
	bool again = d->burst && d->dropped && fi->now == d->drop_ns;

	if (fi->dir != d->dir || !d->armed || (d->dropped && !again))
		return false;
	t = frame_tcp(fi->data, fi->len, &plen);
	if (!t)
		return false;
	fl = t[13];
	switch (d->kind) {
	case DROP_SYN:
		match = (fl & 0x02) && !(fl & 0x10);
		break;
	case DROP_SYNACK:
		match = (fl & 0x02) && (fl & 0x10);
		break;
	case DROP_DATA: {
		uint32_t seq = get_be32(t + 4), end = seq + (uint32_t)plen;
		if (!plen)
			break;
		/* Count first transmissions only. */
		if (d->have_seq && (int32_t)(end - d->max_seq) <= 0)
			break;
		d->have_seq = true;
		d->max_seq = end;
		match = true;
		break;
	}
	case DROP_FIN:
		match = fl & 0x01;
		break;
	case DROP_PURE_ACK:
		match = !plen && !(fl & 0x07);
		break;
	}
	if (!match || (!again && ++d->seen != d->nth))
		return false;
	if (d->dropped++)
		return true; /* the burst's later frames */
	d->drop_ns = fi->now;
	d->drop_seq = get_be32(t + 4);
	d->drop_wnd = get_be16(t + 14);
	return true;
}

static void loss_setup_lim(struct tpair *p, uint64_t seed, struct dropper *d,
			   const struct stack_limits *lim)
{
	struct sim_link_params lp = lossy(LOSS_DELAY, LOSS_BPS, 0, 0);
	struct sim_link_params ab = lp, ba = lp;

	if (d) {
		struct sim_link_params *q = d->dir == SIM_AB ? &ab : &ba;
		q->filter = dropper_filter;
		q->filter_arg = d;
	}
	tpair_setup(p, seed, &ab, &ba, lim);
	p->app_b.shut_after_eof = true;
}

static void loss_setup(struct tpair *p, uint64_t seed, struct dropper *d)
{
	loss_setup_lim(p, seed, d, NULL);
}

/* Transfers `len` bytes A -> B; checks it arrived and both closed. */
static void loss_transfer(struct tpair *p, uint64_t len, struct tflow **fa,
			  struct tflow **fb)
{
	tapp_listen(&p->app_b, 0, NULL);
	*fa = tapp_connect(&p->app_a, ADDR_B, len, NULL);
	ck_assert_int_eq(tpair_run_flows(p, sim_now(p->sim) + SIM_SEC(300)), 0);
	ck_assert_int_eq(p->app_b.nflows, 1);
	*fb = &p->app_b.flows[0];
	tflow_assert_received(*fb, len);
	tflow_assert_received(*fa, 0);
	ck_assert_int_eq((*fa)->state_at_eof, TCPS_TIME_WAIT);
	ck_assert_uint_eq(p->app_a.stray_events + p->app_b.stray_events, 0);
}

START_TEST(test_syn_lost_connect_after_rto)
{
	struct dropper d = {
	    .dir = SIM_AB, .kind = DROP_SYN, .nth = 1, .armed = true};
	struct tflow *fa, *fb;
	struct tpair p;

	loss_setup(&p, 201, &d);
	loss_transfer(&p, 64 * 1024, &fa, &fb);
	ck_assert_uint_eq(d.dropped, 1);
	/* ARP (one RTT), the initial RTO of 1 s, then the handshake. */
	uint64_t t = fa->t_connected - fa->t_start;
	printf("sim_tcp_loss: SYN dropped: connected after %.3f s\n", t / 1e9);
	ck_assert_uint_ge(t, SIM_SEC(1));
	ck_assert_uint_le(t, SIM_SEC(1) + SIM_MS(60));
	ck_assert_uint_eq(ctr(p.a, STACK_CTR_tcp_retransmits), 1);
	ck_assert_uint_eq(ctr(p.a, STACK_CTR_tcp_rto_timeouts), 1);
	ck_assert_uint_eq(ctr(p.a, STACK_CTR_tcp_active_opens), 1);
	ck_assert_uint_eq(ctr(p.b, STACK_CTR_tcp_passive_opens), 1);
	tpair_assert_all_freed(&p);
	tpair_teardown(&p);
}
END_TEST

START_TEST(test_synack_lost_connect_after_rto)
{
	struct dropper d = {
	    .dir = SIM_BA, .kind = DROP_SYNACK, .nth = 1, .armed = true};
	struct tflow *fa, *fb;
	struct tpair p;

	loss_setup(&p, 202, &d);
	loss_transfer(&p, 64 * 1024, &fa, &fb);
	ck_assert_uint_eq(d.dropped, 1);
	uint64_t t = fa->t_connected - fa->t_start;
	printf("sim_tcp_loss: SYN-ACK dropped: connected after %.3f s\n",
	       t / 1e9);
	ck_assert_uint_ge(t, SIM_SEC(1));
	ck_assert_uint_le(t, SIM_SEC(1) + SIM_MS(60));
	/* One side or both resent their part of the handshake. */
	ck_assert_uint_ge(ctr(p.a, STACK_CTR_tcp_retransmits) +
			      ctr(p.b, STACK_CTR_tcp_retransmits),
			  1);
	ck_assert_uint_eq(ctr(p.b, STACK_CTR_tcp_passive_opens), 1);
	ck_assert_uint_eq(p.app_b.accepted, 1);
	tpair_assert_all_freed(&p);
	tpair_teardown(&p);
}
END_TEST

/* The 3rd data segment of 256 KiB is dropped: the seven that follow in
 * the initial window bring duplicate ACKs, and fast retransmit repairs
 * it without waiting for the RTO. */
static void third_segment_run(struct tpair *p, struct dropper *d)
{
	struct tflow *fa, *fb;

	*d = (struct dropper){
	    .dir = SIM_AB, .kind = DROP_DATA, .nth = 3, .armed = true};
	loss_setup(p, 203, d);
	loss_transfer(p, 256 * 1024, &fa, &fb);
	ck_assert_uint_eq(d->dropped, 1);
	printf("sim_tcp_loss: 3rd segment dropped: done in %.3f s, "
	       "%" PRIu64 " fast retransmits, %" PRIu64 " RTOs, %" PRIu64
	       " segments retransmitted\n",
	       (fb->t_eof - fa->t_start) / 1e9,
	       ctr(p->a, STACK_CTR_tcp_fast_retransmits),
	       ctr(p->a, STACK_CTR_tcp_rto_timeouts),
	       ctr(p->a, STACK_CTR_tcp_retransmits));
}

START_TEST(test_third_segment_lost_fast_retransmit)
{
	struct dropper d;
	struct tpair p;

	third_segment_run(&p, &d);
	ck_assert_uint_eq(ctr(p.a, STACK_CTR_tcp_fast_retransmits), 1);
	ck_assert_uint_eq(ctr(p.a, STACK_CTR_tcp_rto_timeouts), 0);
	ck_assert_uint_ge(ctr(p.a, STACK_CTR_tcp_retransmits), 1);
	ck_assert_uint_ge(ctr(p.a, STACK_CTR_tcp_rx_dup_acks), 3);
	tpair_assert_all_freed(&p);
	tpair_teardown(&p);
}
END_TEST

/*
 * KNOWN µTCP BUG - NOT REGISTERED (see add_tests): one segment lost,
 * yet A retransmits several. In SACK recovery every further duplicate
 * ACK calls tcp_retransmit_one() (tcp_input.c, tcp_ack_in, "Step 3"
 * branch) while flight < cwnd, and tcp_retransmit_one() (tcp_output.c)
 * resends the first un-SACKed segment at or above high_rxt even when it
 * lies above the highest SACKed sequence, i.e. is merely in flight and
 * not lost (RFC 6675 NextSeg requires S2 < highest SACKed and IsLost).
 * Each such resend is of the segment whose SACK is about to arrive.
 * Enable once fixed.
 */
START_TEST(test_third_segment_lost_one_retransmission)
{
	struct dropper d;
	struct tpair p;

	third_segment_run(&p, &d);
	ck_assert_uint_eq(ctr(p.a, STACK_CTR_tcp_retransmits), 1);
	tpair_assert_all_freed(&p);
	tpair_teardown(&p);
}
END_TEST

/* B's FIN (the last one of the connection) is lost: B resends it after
 * its RTO, A takes it and enters TIME_WAIT. B's ACK of A's FIN waited
 * for B's FIN to carry it (tcp_fin_in), so it was lost with it: A's
 * own loss probe resends its FIN too, as between two Linux hosts. */
START_TEST(test_final_fin_lost_resent)
{
	struct dropper d = {
	    .dir = SIM_BA, .kind = DROP_FIN, .nth = 1, .armed = true};
	struct tflow *fa, *fb;
	struct tpair p;

	loss_setup(&p, 204, &d);
	loss_transfer(&p, 64 * 1024, &fa, &fb);
	ck_assert_uint_eq(d.dropped, 1);
	ck_assert_int_eq(fb->state_at_close, TCPS_LAST_ACK);
	/* A saw EOF once B's loss probe (RFC 8985 7, due with the RTO for
	 * a flight of one segment, and in its place) resent the FIN. */
	printf("sim_tcp_loss: B's FIN dropped: A saw EOF %.3f s after\n",
	       (fa->t_eof - d.drop_ns) / 1e9);
	ck_assert_uint_ge(fa->t_eof - d.drop_ns, SIM_MS(200));
	ck_assert_uint_le(fa->t_eof - d.drop_ns, SIM_SEC(2));
	ck_assert_uint_eq(ctr(p.b, STACK_CTR_tcp_retransmits), 1);
	ck_assert_uint_eq(ctr(p.b, STACK_CTR_tcp_tlp_probes), 1);
	ck_assert_uint_eq(ctr(p.b, STACK_CTR_tcp_rto_timeouts), 0);
	ck_assert_uint_eq(ctr(p.a, STACK_CTR_tcp_retransmits), 1);
	ck_assert_uint_eq(ctr(p.a, STACK_CTR_tcp_tlp_probes), 1);
	ck_assert_uint_eq(ctr(p.a, STACK_CTR_tcp_rto_timeouts), 0);
	tpair_assert_all_freed(&p);
	tpair_teardown(&p);
}
END_TEST

/* A's FIN (with the last data) is lost: resent, both still close. */
START_TEST(test_first_fin_lost_resent)
{
	struct dropper d = {
	    .dir = SIM_AB, .kind = DROP_FIN, .nth = 1, .armed = true};
	struct tflow *fa, *fb;
	struct tpair p;

	loss_setup(&p, 205, &d);
	loss_transfer(&p, 64 * 1024, &fa, &fb);
	ck_assert_uint_eq(d.dropped, 1);
	ck_assert_uint_ge(ctr(p.a, STACK_CTR_tcp_retransmits), 1);
	ck_assert_uint_eq(ctr(p.b, STACK_CTR_tcp_retransmits), 0);
	tpair_assert_all_freed(&p);
	tpair_teardown(&p);
}
END_TEST

/* Zero window: B does not read until `release_at`; A fills B's buffer
 * and its own, the window closes, A probes it. When B reads, the window
 * updates it sends (one each time its reads double the window A knows
 * of, all in that instant) are lost; A's persist timer must find the
 * open window. */
struct zw {
	struct tpair *p;
	struct dropper *d;
	uint32_t rcv_wnd_b, snd_wnd_a;
	uint64_t probes_before;
	uint64_t release_ns;
};

static void zw_release(struct sim *sim, void *arg)
{
	struct zw *z = arg;
	struct stack_tcp_info info;
	struct tflow *fa = &z->p->app_a.flows[0], *fb = &z->p->app_b.flows[0];

	ck_assert(tapp_conn_info(sim_node_stack(z->p->b), sim_now(sim),
				 fb->conn, &info));
	z->rcv_wnd_b = info.rcv_wnd;
	ck_assert(tapp_conn_info(sim_node_stack(z->p->a), sim_now(sim),
				 fa->conn, &info));
	z->snd_wnd_a = info.snd_wnd;
	z->probes_before = ctr(z->p->a, STACK_CTR_tcp_zero_window_probes);
	z->release_ns = sim_now(sim);
	z->d->armed = true; /* the next pure ACK B sends is lost */
	fb->hold_rx = false;
	tflow_pump(fb);
}

START_TEST(test_window_update_lost_persist_recovers)
{
	struct dropper d = {
	    .dir = SIM_BA, .kind = DROP_PURE_ACK, .nth = 1, .burst = true};
	const uint64_t len = 1u << 20;
	struct tflow *fa, *fb;
	struct tpair p;
	struct zw z = {.p = &p, .d = &d};
	struct stack_limits lim;

	/* A fixed buffer (window scale 3), so that the window closes to
	 * its last byte: auto-tuning's scale 7 can leave a few bytes under
	 * one 128-byte unit offered, and the sender then needs no probe. */
	stack_limits_default(&lim);
	lim.tcp_rcvbuf_max = 0;
	loss_setup_lim(&p, 206, &d, &lim);
	tapp_listen(&p.app_b, 0, NULL);
	fa = tapp_connect(&p.app_a, ADDR_B, len, NULL);
	/* B accepts but does not read. */
	sim_run_until(p.sim, sim_now(p.sim) + SIM_MS(100));
	ck_assert_int_eq(p.app_b.nflows, 1);
	fb = &p.app_b.flows[0];
	fb->hold_rx = true;
	ck_assert_int_eq(
	    sim_at(p.sim, sim_now(p.sim) + SIM_SEC(3), zw_release, &z), 0);
	ck_assert_int_eq(tpair_run_flows(&p, sim_now(p.sim) + SIM_SEC(300)), 0);
	/* The window was closed when B started reading, A had probed it,
	 * and the updates were the frames dropped. */
	ck_assert_uint_eq(z.rcv_wnd_b, 0);
	ck_assert_uint_eq(z.snd_wnd_a, 0);
	ck_assert_uint_gt(z.probes_before, 0);
	ck_assert_uint_ge(d.dropped, 1);
	ck_assert_uint_gt(d.drop_wnd, 0);
	ck_assert_uint_gt(ctr(p.a, STACK_CTR_tcp_zero_window_probes),
			  z.probes_before);
	tflow_assert_received(fb, len);
	tflow_assert_received(fa, 0);
	printf("sim_tcp_loss: window update lost: %" PRIu64
	       " probes while closed, %" PRIu64 " after; done %.3f s after "
	       "B started reading\n",
	       z.probes_before,
	       ctr(p.a, STACK_CTR_tcp_zero_window_probes) - z.probes_before,
	       (fb->t_eof - z.release_ns) / 1e9);
	ck_assert_uint_le(fb->t_eof - z.release_ns, SIM_SEC(30));
	ck_assert_uint_eq(ctr(p.a, STACK_CTR_tcp_rto_timeouts), 0);
	tpair_assert_all_freed(&p);
	tpair_teardown(&p);
}
END_TEST

/*
 * KNOWN µTCP BUG - NOT REGISTERED (see add_tests): data segments that
 * carry a SACK option are larger than the MTU, so IPv4 fragments them.
 * Both directions send; one of B's data segments is lost, so A holds
 * out-of-order data from B and every data segment A sends while the
 * hole lasts has TS + SACK options (12 + 12..28 bytes) on top of a
 * full MSS payload: 1448 + 20 + 24 + 20 = 1512 > 1500, fragmented
 * into 1500 + 32 bytes ([frag id N off 0 MF] + [off 1480] in
 * SIM_TRACE). c->mss (tcp_output.c, tcp_output / tcp_retransmit_one)
 * only accounts for the timestamp option; the payload must shrink by
 * the option bytes beyond those counted in the MSS (RFC 9293 3.7.1,
 * RFC 6691). A lost fragment costs the whole segment, and the other
 * fragments sit in B's reassembly table until it times out (30 s),
 * holding pool buffers and ending in ICMP time exceeded. Enable once
 * fixed.
 */
START_TEST(test_sack_option_keeps_segments_within_mtu)
{
	struct dropper d = {
	    .dir = SIM_BA, .kind = DROP_DATA, .nth = 3, .armed = true};
	const uint64_t len = 256 * 1024;
	struct tflow *fa, *fb;
	struct tpair p;

	loss_setup(&p, 207, &d);
	p.app_b.shut_after_eof = false;
	tapp_listen(&p.app_b, len, NULL);
	fa = tapp_connect(&p.app_a, ADDR_B, len, NULL);
	ck_assert_int_eq(tpair_run_flows(&p, sim_now(p.sim) + SIM_SEC(300)), 0);
	fb = &p.app_b.flows[0];
	tflow_assert_received(fa, len);
	tflow_assert_received(fb, len);
	ck_assert_uint_eq(d.dropped, 1);
	printf("sim_tcp_loss: SACK + data: A sent %" PRIu64 " IP fragments\n",
	       ctr(p.a, STACK_CTR_ip_tx_fragments));
	ck_assert_uint_eq(ctr(p.a, STACK_CTR_ip_tx_fragments), 0);
	tpair_assert_all_freed(&p);
	tpair_teardown(&p);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, test_syn_lost_connect_after_rto);
	tcase_add_test(tc, test_synack_lost_connect_after_rto);
	tcase_add_test(tc, test_third_segment_lost_fast_retransmit);
	tcase_add_test(tc, test_third_segment_lost_one_retransmission);
	tcase_add_test(tc, test_sack_option_keeps_segments_within_mtu);
	tcase_add_test(tc, test_final_fin_lost_resent);
	tcase_add_test(tc, test_first_fin_lost_resent);
	tcase_add_test(tc, test_window_update_lost_persist_recovers);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	(void)argc;
	(void)argv;
	return sim_run_suite("sim_tcp_loss", add_tests);
}
