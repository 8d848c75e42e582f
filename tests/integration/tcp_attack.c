/*
 * tcp_attack.c - a raw TCP peer for the hostile-load integration tests
 *
 *   tcp_attack -i IFACE -s SRC -d DST [-t SECONDS] COMMAND ARGS...
 *
 * It speaks Ethernet on the kernel's side of the test's TAP (IFACE)
 * through an AF_PACKET socket, with an address of its own (SRC, in the
 * namespace's subnet) and a MAC of its own: it answers the ARP requests
 * for SRC itself, so the namespace's kernel never sees its connections
 * (frames to another MAC are not the kernel's) and never resets them.
 * DST is utcpd's address. Everything it sends goes to DST on IFACE;
 * every run is bounded: it exits after SECONDS (default 60) at the
 * latest, and on SIGTERM or SIGINT, resetting what it opened first.
 *
 * Commands (each a function below and a line in `commands`; an attack
 * added later, a flood or out-of-window segments, is one more of each,
 * with send_tcp(), handshake_all() and hold() to build on):
 *   ooo-pin PORT CONNS SEGS
 *       Opens CONNS connections to DST:PORT (handshakes of its own, SACK
 *       permitted) and sends on each SEGS one-byte segments beyond a
 *       hole at the receiver's RCV.NXT (at offsets 1, 3, 5 ...), which
 *       the receiver can only hold or drop. Prints "pinned CONNS SEGS"
 *       and holds the connections, answering nothing but ARP, until
 *       the time is up or a signal comes; then resets each one and
 *       prints "reset CONNS".
 *
 * Exit status: 0, or 1 with a message on stderr (a handshake that did
 * not complete, a bad argument, a socket error).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CONNS_MAX   4096
#define FRAME_MAX   2048
#define SPORT_FIRST 20000
#define ISS_BASE    0x51000000u

static const uint8_t our_mac[6] = {0x02, 0x5a, 0x7a, 0xc4, 0x00, 0x01};

struct attack {
	int fd;
	int ifindex;
	uint32_t src, dst; /* host order */
	uint8_t dst_mac[6];
	bool dst_mac_known;
	uint64_t deadline_ns;
};

struct conn {
	uint16_t sport;
	uint32_t iss, irs;
	bool established;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void __attribute__((format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("tcp_attack: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (; len > 1; p += 2, len -= 2)
		sum += get16(p);
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void send_frame(struct attack *a, const uint8_t *f, size_t len)
{
	struct sockaddr_ll sll = {
	    .sll_family = AF_PACKET,
	    .sll_ifindex = a->ifindex,
	    .sll_halen = 6,
	};

	memcpy(sll.sll_addr, f, 6);
	if (sendto(a->fd, f, len, 0, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		die("sendto: %s", strerror(errno));
}

/* An ARP packet (op 1 request, 2 reply) from us. */
static void send_arp(struct attack *a, uint16_t op, const uint8_t *tha,
		     uint32_t tpa)
{
	uint8_t f[60] = {0};
	uint8_t *arp = f + 14;

	memcpy(f,
	       op == 1 ? (const uint8_t[6]){0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
		       : tha,
	       6);
	memcpy(f + 6, our_mac, 6);
	put16(f + 12, ETHERTYPE_ARP);
	put16(arp, 1);
	put16(arp + 2, ETHERTYPE_IP);
	arp[4] = 6;
	arp[5] = 4;
	put16(arp + 6, op);
	memcpy(arp + 8, our_mac, 6);
	put32(arp + 14, a->src);
	if (op == 2)
		memcpy(arp + 18, tha, 6);
	put32(arp + 24, tpa);
	send_frame(a, f, sizeof(f));
}

/* A TCP segment from us to DST with len bytes of payload (0x41...). */
static void send_tcp(struct attack *a, uint16_t sport, uint16_t dport,
		     uint32_t seq, uint32_t ack, uint8_t flags, uint32_t len)
{
	uint8_t f[FRAME_MAX] = {0};
	uint8_t *ip = f + 14, *t = ip + 20;
	size_t optlen = (flags & 0x02) ? 8 : 0; /* SYN: MSS, SACK-permitted */
	size_t tl = 20 + optlen + len;
	uint32_t sum;

	if (14 + 20 + tl > sizeof(f))
		die("segment too long");
	memcpy(f, a->dst_mac, 6);
	memcpy(f + 6, our_mac, 6);
	put16(f + 12, ETHERTYPE_IP);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + tl));
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	put32(ip + 12, a->src);
	put32(ip + 16, a->dst);
	put16(ip + 10, fold(sum16(ip, 20, 0)));
	put16(t, sport);
	put16(t + 2, dport);
	put32(t + 4, seq);
	put32(t + 8, ack);
	t[12] = (uint8_t)(((20 + optlen) / 4) << 4);
	t[13] = flags;
	put16(t + 14, 65535);
	if (optlen) {
		t[20] = 2; /* MSS 1460 */
		t[21] = 4;
		put16(t + 22, 1460);
		t[24] = 1;
		t[25] = 1;
		t[26] = 4; /* SACK permitted */
		t[27] = 2;
	}
	memset(t + 20 + optlen, 0x41, len);
	sum = sum16(ip + 12, 8, 0) + IPPROTO_TCP + (uint32_t)tl;
	put16(t + 16, fold(sum16(t, tl, sum)));
	send_frame(a, f, 14 + 20 + tl);
}

/* Reads one frame (waiting at most ms); answers ARP for SRC and learns
 * DST's MAC. Returns the TCP header of a segment from DST to SRC (its
 * length in *tlen), or NULL. */
static const uint8_t *poll_frame(struct attack *a, int ms, uint8_t *f,
				 size_t *tlen)
{
	struct pollfd pfd = {.fd = a->fd, .events = POLLIN};
	struct sockaddr_ll sll;
	socklen_t sl = sizeof(sll);
	ssize_t n;

	if (poll(&pfd, 1, ms) <= 0)
		return NULL;
	n = recvfrom(a->fd, f, FRAME_MAX, MSG_DONTWAIT, (struct sockaddr *)&sll,
		     &sl);
	if (n < 14 || sll.sll_pkttype == PACKET_OUTGOING)
		return NULL;
	if (get16(f + 12) == ETHERTYPE_ARP && n >= 14 + 28) {
		const uint8_t *arp = f + 14;
		if (get32(arp + 14) == a->dst) {
			memcpy(a->dst_mac, arp + 8, 6);
			a->dst_mac_known = true;
		}
		if (get16(arp + 6) == 1 && get32(arp + 24) == a->src)
			send_arp(a, 2, arp + 8, get32(arp + 14));
		return NULL;
	}
	if (get16(f + 12) != ETHERTYPE_IP || memcmp(f, our_mac, 6) != 0 ||
	    n < 14 + 40)
		return NULL;
	const uint8_t *ip = f + 14;
	size_t ihl = (size_t)(ip[0] & 15) * 4, tot = get16(ip + 2);
	if (ip[9] != IPPROTO_TCP || get32(ip + 12) != a->dst ||
	    get32(ip + 16) != a->src || tot > (size_t)n - 14 || tot < ihl + 20)
		return NULL;
	*tlen = tot - ihl;
	return ip + ihl;
}

static void resolve_dst(struct attack *a)
{
	uint8_t f[FRAME_MAX];
	size_t tl;
	uint64_t next = 0;

	while (!a->dst_mac_known) {
		if (now_ns() > a->deadline_ns || stop)
			die("no ARP reply from the destination");
		if (now_ns() >= next) {
			send_arp(a, 1, NULL, a->dst);
			next = now_ns() + 500000000ull;
		}
		poll_frame(a, 100, f, &tl);
	}
}

/* Completes the handshakes of n connections to port (SYN again every
 * second); dies when they are not all done within 20 s. */
static void handshake_all(struct attack *a, struct conn *c, int n,
			  uint16_t port)
{
	uint64_t limit = now_ns() + 20000000000ull, next = 0;
	uint8_t f[FRAME_MAX];
	int done = 0;

	while (done < n) {
		const uint8_t *t;
		size_t tl;
		if (now_ns() > limit || now_ns() > a->deadline_ns || stop)
			die("%d of %d handshakes completed", done, n);
		if (now_ns() >= next) {
			for (int i = 0; i < n; i++)
				if (!c[i].established)
					send_tcp(a, c[i].sport, port, c[i].iss,
						 0, 0x02, 0);
			next = now_ns() + 1000000000ull;
		}
		t = poll_frame(a, 20, f, &tl);
		if (!t || get16(t) != port)
			continue;
		uint16_t sport = get16(t + 2);
		if (sport < SPORT_FIRST || sport >= SPORT_FIRST + n)
			continue;
		struct conn *k = &c[sport - SPORT_FIRST];
		if ((t[13] & 0x12) != 0x12 || get32(t + 8) != k->iss + 1)
			continue;
		k->irs = get32(t + 4);
		send_tcp(a, k->sport, port, k->iss + 1, k->irs + 1, 0x10, 0);
		if (!k->established) {
			k->established = true;
			done++;
		}
	}
}

/* Answers ARP until the time is up or a signal comes. */
static void hold(struct attack *a)
{
	uint8_t f[FRAME_MAX];
	size_t tl;

	while (!stop && now_ns() < a->deadline_ns)
		poll_frame(a, 100, f, &tl);
}

static void reset_all(struct attack *a, struct conn *c, int n, uint16_t port)
{
	for (int i = 0; i < n; i++)
		if (c[i].established)
			send_tcp(a, c[i].sport, port, c[i].iss + 1, 0, 0x04, 0);
}

static int cmd_ooo_pin(struct attack *a, int argc, char **argv)
{
	if (argc != 3)
		die("usage: ooo-pin PORT CONNS SEGS");
	uint16_t port = (uint16_t)atoi(argv[0]);
	int n = atoi(argv[1]), segs = atoi(argv[2]);
	struct conn *c;

	if (n < 1 || n > CONNS_MAX || segs < 0 || segs > 60000 || !port)
		die("ooo-pin: bad arguments");
	c = calloc((size_t)n, sizeof(*c));
	if (!c)
		die("out of memory");
	for (int i = 0; i < n; i++) {
		c[i].sport = (uint16_t)(SPORT_FIRST + i);
		c[i].iss = ISS_BASE + (uint32_t)i * 0x100000u;
	}
	resolve_dst(a);
	handshake_all(a, c, n, port);
	for (int j = 0; j < segs; j++) {
		for (int i = 0; i < n; i++)
			send_tcp(a, c[i].sport, port,
				 c[i].iss + 1 + 2 * (uint32_t)j + 1,
				 c[i].irs + 1, 0x10, 1);
		/* Pace the rounds (the TAP's queue is short) and keep ARP
		 * answered meanwhile. */
		uint8_t f[FRAME_MAX];
		size_t tl;
		uint64_t until = now_ns() + 2000000ull;
		while (now_ns() < until)
			poll_frame(a, 1, f, &tl);
	}
	printf("pinned %d %d\n", n, segs);
	fflush(stdout);
	hold(a);
	reset_all(a, c, n, port);
	printf("reset %d\n", n);
	fflush(stdout);
	free(c);
	return 0;
}

/* The commands: a new attack is a function taking its arguments and a
 * line here. */
static const struct {
	const char *name;
	int (*run)(struct attack *a, int argc, char **argv);
} commands[] = {
    {"ooo-pin", cmd_ooo_pin},
};

static uint32_t parse_ip(const char *s)
{
	struct in_addr in;

	if (inet_pton(AF_INET, s, &in) != 1)
		die("bad address %s", s);
	return ntohl(in.s_addr);
}

int main(int argc, char **argv)
{
	struct attack a = {.fd = -1};
	const char *ifname = NULL;
	int secs = 60, opt;

	while ((opt = getopt(argc, argv, "+i:s:d:t:")) != -1) {
		switch (opt) {
		case 'i':
			ifname = optarg;
			break;
		case 's':
			a.src = parse_ip(optarg);
			break;
		case 'd':
			a.dst = parse_ip(optarg);
			break;
		case 't':
			secs = atoi(optarg);
			break;
		default:
			die("usage: tcp_attack -i IFACE -s SRC -d DST "
			    "[-t SECONDS] COMMAND ARGS...");
		}
	}
	if (!ifname || !a.src || !a.dst || optind >= argc || secs < 1 ||
	    secs > 600)
		die("usage: tcp_attack -i IFACE -s SRC -d DST [-t SECONDS] "
		    "COMMAND ARGS...");
	if ((a.src ^ a.dst) >> 8)
		die("SRC and DST must share a /24");
	a.ifindex = (int)if_nametoindex(ifname);
	if (!a.ifindex)
		die("no interface %s", ifname);
	a.fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (a.fd < 0)
		die("socket(AF_PACKET): %s", strerror(errno));
	struct sockaddr_ll sll = {.sll_family = AF_PACKET,
				  .sll_protocol = htons(ETH_P_ALL),
				  .sll_ifindex = a.ifindex};
	if (bind(a.fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		die("bind: %s", strerror(errno));
	a.deadline_ns = now_ns() + (uint64_t)secs * 1000000000ull;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			return commands[i].run(&a, argc - optind - 1,
					       argv + optind + 1);
	die("unknown command %s", argv[optind]);
	return 1;
}
