/*
 * syn_flood.c - SYNs from random sources at a listener, for the SYN
 * flood benchmark and integration test
 *
 *     syn_flood IFNAME DST_MAC DST_IP DPORT COUNT SECONDS [SRC_NET]
 *
 * Theory of operation. An AF_PACKET socket bound to IFNAME (the
 * kernel's side of utcpd's TAP, inside the test's namespace) sends
 * Ethernet frames straight onto that link, so the frames reach utcpd
 * and nothing else: they never pass the namespace's routing. Each frame
 * is an IPv4 TCP SYN (with an MSS option) to DST_IP:DPORT at DST_MAC,
 * from the interface's own MAC and a random source address and port in
 * SRC_NET (a.b.c.d/len, default 198.18.0.0/15, the benchmarking range:
 * off-link for utcpd, so its answers go to its gateway and need no
 * neighbour resolution; pass an on-link net to see that cost too).
 * Frames go out in batches of FLOOD_BATCH through sendmmsg(); a batch
 * the link cannot take (ENOBUFS) is counted as not sent, as a NIC's
 * drop. It stops after COUNT frames or SECONDS seconds, whichever comes
 * first, and prints "sent N seconds S rate R" on stdout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FLOOD_BATCH 64
#define FRAME_LEN   (14 + 20 + 24)

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* xorshift64: cheap, and good enough for addresses and ports. */
static uint64_t rng_next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
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

/* One SYN from saddr:sport to daddr:dport into f (FRAME_LEN bytes). */
static void build(uint8_t *f, const uint8_t *dmac, const uint8_t *smac,
		  uint32_t saddr, uint32_t daddr, uint16_t sport,
		  uint16_t dport, uint32_t seq, uint16_t id)
{
	uint8_t *ip = f + 14, *t = ip + 20, pseudo[12];
	uint32_t sum;

	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	put16(f + 12, 0x0800);
	memset(ip, 0, 20 + 24);
	ip[0] = 0x45;
	put16(ip + 2, 20 + 24);
	put16(ip + 4, id);
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = 6;
	put32(ip + 12, saddr);
	put32(ip + 16, daddr);
	put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	put16(t, sport);
	put16(t + 2, dport);
	put32(t + 4, seq);
	t[12] = 6 << 4; /* 24 bytes */
	t[13] = 0x02;	/* SYN */
	put16(t + 14, 64240);
	t[20] = 2; /* MSS 1460 */
	t[21] = 4;
	put16(t + 22, 1460);
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 6;
	put16(pseudo + 10, 24);
	sum = csum_add(csum_add(0, pseudo, 12), t, 24);
	put16(t + 16, csum_fold(sum));
}

static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned m[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4],
		   &m[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
	return 0;
}

int main(int argc, char **argv)
{
	static uint8_t frames[FLOOD_BATCH][FRAME_LEN];
	struct mmsghdr msgs[FLOOD_BATCH];
	struct iovec iov[FLOOD_BATCH];
	struct sockaddr_ll sll = {0};
	struct ifreq ifr = {0};
	uint8_t dmac[6], smac[6];
	struct in_addr dst, net;
	const char *srcnet = argc > 7 ? argv[7] : "198.18.0.0/15";
	char netbuf[32], *slash;
	unsigned long long count, sent = 0;
	double seconds, t0, t;
	uint32_t mask, base;
	uint64_t x;
	int fd, plen;
	unsigned dport;

	if (argc < 7)
		fprintf(stderr, "usage: syn_flood IFNAME DST_MAC DST_IP DPORT "
				"COUNT SECONDS [SRC_NET]\n"),
		    exit(2);
	snprintf(netbuf, sizeof(netbuf), "%s", srcnet);
	slash = strchr(netbuf, '/');
	plen = slash ? atoi(slash + 1) : 32;
	if (slash)
		*slash = 0;
	if (parse_mac(argv[2], dmac) < 0 ||
	    inet_pton(AF_INET, argv[3], &dst) != 1 ||
	    inet_pton(AF_INET, netbuf, &net) != 1 || plen < 1 || plen > 32)
		fprintf(stderr, "syn_flood: bad address\n"), exit(2);
	dport = (unsigned)atoi(argv[4]);
	count = strtoull(argv[5], NULL, 10);
	seconds = atof(argv[6]);
	mask = plen == 32 ? 0 : (0xffffffffu >> plen);
	base = ntohl(net.s_addr) & ~mask;

	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		die("socket");
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[1]);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		die("SIOCGIFHWADDR");
	memcpy(smac, ifr.ifr_hwaddr.sa_data, 6);
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_ifindex = (int)if_nametoindex(argv[1]);
	if (sll.sll_ifindex == 0)
		die("if_nametoindex");
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		die("bind");

	x = (uint64_t)time(NULL) * 2654435761u ^ (uint64_t)getpid();
	if (x == 0)
		x = 1;
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < FLOOD_BATCH; i++) {
		iov[i].iov_base = frames[i];
		iov[i].iov_len = FRAME_LEN;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now_s();
	t = t0;
	while (sent < count && t - t0 < seconds) {
		unsigned n = FLOOD_BATCH;
		int r;

		if (count - sent < n)
			n = (unsigned)(count - sent);
		for (unsigned i = 0; i < n; i++) {
			uint64_t r64 = rng_next(&x);
			uint32_t src = base | ((uint32_t)r64 & mask);

			if ((src & 0xff) == 0 || (src & 0xff) == 0xff)
				src ^= 1; /* no network or broadcast address */
			build(frames[i], dmac, smac, src, ntohl(dst.s_addr),
			      (uint16_t)(1024 + (r64 >> 32) % 64000),
			      (uint16_t)dport, (uint32_t)(r64 >> 16),
			      (uint16_t)r64);
		}
		r = sendmmsg(fd, msgs, n, 0);
		if (r > 0)
			sent += (unsigned)r;
		else if (r < 0 && errno != ENOBUFS && errno != EAGAIN &&
			 errno != EINTR)
			die("sendmmsg");
		t = now_s();
	}
	printf("sent %llu seconds %.3f rate %.0f\n", sent, t - t0,
	       t > t0 ? (double)sent / (t - t0) : 0.0);
	close(fd);
	return 0;
}
