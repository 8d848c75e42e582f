/*
 * test_sim_tcp_ports.c - 100,000 sequential connects from one stack to
 * one server all succeed: ephemeral ports per 4-tuple (RFC 6056) and
 * TIME_WAIT taken over when timestamps make it safe (tcp_tw_reuse)
 *
 * A (the client) connects to B:80, and as soon as the connection is up
 * closes it and opens the next: A closes first, so every port it used
 * stays in TIME_WAIT for 60 s, far longer than the range of ports lasts
 * at this rate. B accepts, and closes when it reads the end of stream.
 * Every connect must succeed and every connection complete; the ports
 * come round again through the reuse of their TIME_WAIT.
 */
#include <stdio.h>

#include "sim_test.h"

#include "tcp.h" /* TCP_PORT_FIRST_DEFAULT, read only */

#define CONNECTS    100000u
#define SERVER_PORT 80

struct churn {
	struct sim_node *a, *b;
	int listener;
	int conn;	    /* A's current connection */
	uint32_t started;   /* connects made */
	uint32_t connected; /* ... that completed */
	uint32_t failed;    /* connect calls refused, errors seen */
	int last_error;
	uint32_t accepted; /* on B */
	uint32_t closed_b; /* B's ends closed at end of stream */
};

static void churn_connect(struct sim *sim, struct churn *c)
{
	struct stack *s = sim_node_stack(c->a);

	if (c->started == CONNECTS)
		return;
	c->conn = tcp_connect(s, sim_now(sim), 0, 0, ADDR_B, SERVER_PORT, NULL);
	c->started++;
	if (c->conn < 0) {
		c->failed++;
		c->last_error = -c->conn;
	}
}

static void on_event_a(struct sim *sim, struct sim_node *node,
		       const struct stack_event *ev, void *arg)
{
	struct churn *c = arg;
	struct stack *s = sim_node_stack(node);

	if (ev->type == STACK_EV_TCP_CONNECTED && ev->sock == c->conn) {
		c->connected++;
		tcp_close(s, sim_now(sim), c->conn);
		churn_connect(sim, c);
	} else if (ev->type == STACK_EV_TCP_ERROR && ev->sock == c->conn) {
		c->failed++;
		c->last_error = ev->error;
		tcp_close(s, sim_now(sim), c->conn);
	}
}

static void on_event_b(struct sim *sim, struct sim_node *node,
		       const struct stack_event *ev, void *arg)
{
	struct churn *c = arg;
	struct stack *s = sim_node_stack(node);
	const uint8_t *data;
	size_t len;
	int id;

	if (ev->type == STACK_EV_TCP_ACCEPTABLE) {
		while ((id = tcp_accept(s, c->listener, NULL, NULL)) >= 0)
			c->accepted++;
	} else if (ev->type == STACK_EV_TCP_READABLE) {
		if (tcp_recv_peek(s, ev->sock, &data, &len) == 0 && len == 0) {
			tcp_close(s, sim_now(sim), ev->sock);
			c->closed_b++;
		}
	}
}

static bool churn_running(struct sim *sim, void *arg)
{
	struct churn *c = arg;

	(void)sim;
	return c->connected + c->failed < CONNECTS;
}

static void start(struct sim *sim, void *arg)
{
	churn_connect(sim, arg);
}

START_TEST(test_100000_sequential_connects_to_one_server)
{
	const struct sim_config cfg = {.seed = 6056};
	const struct sim_link_params wire = {.delay_ns = SIM_MS(1) / 2};
	struct churn c = {0};
	struct sim *sim = sim_new(&cfg);
	ck_assert_ptr_nonnull(sim);
	c.a = sim_add_host(sim, "a", ADDR_A, 24, MTU, NULL, on_event_a, &c);
	c.b = sim_add_host(sim, "b", ADDR_B, 24, MTU, NULL, on_event_b, &c);
	ck_assert_ptr_nonnull(sim_link(sim, c.a, 0, c.b, 0, &wire, NULL));
	struct stack *a = sim_node_stack(c.a), *b = sim_node_stack(c.b);
	c.listener = tcp_listen(b, 0, SERVER_PORT, 128, NULL);
	ck_assert_int_ge(c.listener, 0);

	ck_assert_int_eq(sim_at(sim, sim_now(sim), start, &c), 0);
	sim_run_while(sim, churn_running, &c, sim_now(sim) + SIM_SEC(3600));
	uint64_t reused =
	    stack_counter_get(a, STACK_CTR_tcp_connect_time_wait_reused);
	printf(
	    "%u sequential connects in %.1f s simulated: %u completed, %u "
	    "failed (last error %d); ports taken over from TIME_WAIT %" PRIu64
	    ", TIME_WAIT recycled %" PRIu64 "\n",
	    c.started, (sim_now(sim) - SIM_T0_NS) / 1e9, c.connected, c.failed,
	    c.last_error, reused,
	    stack_counter_get(a, STACK_CTR_tcp_time_wait_recycled));
	ck_assert_uint_eq(c.failed, 0);
	ck_assert_uint_eq(c.connected, CONNECTS);
	/* The range (16384 ports) came round several times. */
	ck_assert_uint_ge(reused, CONNECTS - (TCP_PORT_LAST_DEFAULT -
					      TCP_PORT_FIRST_DEFAULT + 1));
	ck_assert_uint_eq(stack_counter_get(a, STACK_CTR_tcp_connect_no_port),
			  0);
	/* B finished every connection. */
	sim_run_until(sim, sim_now(sim) + SIM_SEC(5));
	ck_assert_uint_eq(c.accepted, CONNECTS);
	ck_assert_uint_eq(c.closed_b, CONNECTS);
	ck_assert_uint_eq(stack_counter_get(b, STACK_CTR_tcp_conns_reset), 0);
	sim_free(sim);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sim_tcp_ports");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	setvbuf(stdout, NULL, _IOLBF, 0);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_100000_sequential_connects_to_one_server);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
