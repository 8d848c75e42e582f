/*
 * impair.c - an impairment relay between two interfaces: delay, loss,
 * reordering, duplication and a rate-limited bottleneck, for the
 * congestion-control benchmark (cc.sh) and the integration test
 * tcp_impair_relay
 *
 *     impair [OPTIONS] IF_A IF_B
 *
 * Theory of operation. Two AF_PACKET sockets, one bound to each
 * interface (the relay's ends of two veth pairs, in a namespace of its
 * own with no addresses), read every Ethernet frame that arrives there
 * and write it out of the other interface: a frame read on IF_A goes
 * out of IF_B (direction "ab") and back ("ba"). Each direction has its
 * own impairment, its own seeded generator (xorshift64*, so a seed
 * gives the same decisions for the same frames in the same order) and
 * its own counters. Every option takes VALUE (both directions) or
 * AB/BA (each its own).
 *
 * A frame read in a direction goes through, in this order:
 *   1. loss: dropped with probability --loss (counted dropped_loss);
 *   2. duplication: with probability --duplicate a copy follows it
 *      (duplicated), the copy going through the rest as a frame of its
 *      own;
 *   3. the bottleneck (--rate): a FIFO served at RATE Mbit/s of frame
 *      bytes (the Ethernet frame without preamble and FCS). When a
 *      frame arrives the queue holds what the link has not begun to
 *      send; with --queue-bytes or --queue-packets a frame that would
 *      take it past its limit is dropped (tail drop: dropped_queue).
 *      The server being work-conserving and FIFO, a frame's departure
 *      is known when it arrives (the link is free at link_free_ns), so
 *      no separate queue is kept: the frame enters the delay line at
 *      once, due at its departure plus the delay;
 *      With --red the queue also drops early, at random (Random Early
 *      Detection, Floyd and Jacobson 1993, "gentle"): at each arrival an
 *      average of the queue's bytes (weight RED_WEIGHT, decayed over
 *      idle time as if empty frames had arrived) sets a probability,
 *      0 below a quarter of --queue-bytes, rising to --red's at three
 *      quarters and to 1 at one and a half; the probability of each
 *      arrival grows with the frames since the last early drop (p / (1
 *      - count p)), which spaces the drops evenly. A drop is then
 *      independent of when a sender's frame comes against the link's
 *      drain: drop-tail's phase effects are gone, and each sender loses
 *      in proportion to what it sends (dropped_early; the tail drop at
 *      the limit stays, dropped_queue);
 *      With --jitter each frame's time on the link is its bytes' at
 *      RATE times a factor drawn uniformly from 1 - J to 1 + J (mean 1,
 *      so the mean rate stays RATE): a random component in the drain,
 *      which takes away the phase of a sender's arrivals against it
 *      (Floyd and Jacobson 1991; the queue is then measured in the
 *      time it takes to drain, counted in bytes at RATE);
 *   4. the delay line (--delay): the frame is written when due. With
 *      probability --reorder it is due --reorder-delay later still
 *      (reordered): it arrives after frames that left the bottleneck
 *      after it. The line is two FIFOs, plain and late; each one's due
 *      times only grow, so the next frame due is the earlier head.
 * Frames other than IPv4 (ARP) are written at once, unimpaired (passed).
 *
 * Per flow: the first IMPAIR_FLOWS flows of each direction (IPv4
 * addresses, and the ports of TCP and UDP) have their frames in, frames
 * dropped (loss, early, queue, no slot) and drop events counted: drops
 * of one flow less than a round trip (both directions' --delay and the
 * queue's delay at the first drop) after the event's first drop are
 * one event, as a sender that recovers once per window would count
 * them; an event that overlaps another flow's is counted shared too (on
 * a drop-tail queue, did both lose in the same overflow?).
 *
 * Memory is bounded: frames live in a pool of --slots slots per
 * direction, each as large as the largest frame taken (2 KiB; 64 KiB
 * and a little with --gso). The queue's limit bounds the bottleneck;
 * the pool bounds the delay line: a frame that finds no free slot is
 * dropped (dropped_full), as a line that is full. A frame larger than a
 * slot is dropped (oversize). The packet limit's bookkeeping is a ring
 * of the queued frames' start times, as long as the limit.
 *
 * Super-segments. The sockets use PACKET_VNET_HDR: every frame is read
 * behind a virtio-net header, which goes out with it as it came, so a
 * frame the kernel left to finish (a partial checksum, a GSO
 * super-segment) is finished by the kernel after the relay, as it
 * would be on the way to a NIC. Without --gso the slots take MTU
 * frames only: the benchmark turns TSO, GSO and GRO off on the veths
 * around the relay, the kernel cuts super-segments before they reach
 * it, and loss, reordering and the queue act on wire segments, as on a
 * real link (a super-segment that still arrives is counted oversize).
 * With --gso the slots take super-segments too, carried whole (counted
 * super_segments): each is lost, duplicated or reordered as one, and
 * the bottleneck charges it its segments' bytes (headers repeated per
 * segment of gso_size). README.md says what each mode carries here.
 *
 * Each read takes up to IMPAIR_BATCH frames (recvmmsg) and each write
 * up to IMPAIR_BATCH (sendmmsg); the loop waits in ppoll() for a
 * socket to read or the next frame due (timer slack 1 ns). A frame the
 * kernel refuses to send is counted (send_errors) and dropped; frames
 * the kernel dropped before the relay read them (its socket buffer
 * full) are counted from PACKET_STATISTICS (kernel_drops).
 *
 * "ready" is printed on stdout once both sockets are bound; the
 * counters, one line per flow ("ab flow 10.77.0.2:40000>10.77.0.3:5001
 * frames=N dropped=N drop_events=N shared_events=N") and then one per direction
 * ("ab: frames_in=N ..."), on SIGUSR1 and at exit (SIGTERM, SIGINT). Every
 * frame is accounted for:
 *     frames_in + duplicated = frames_out + dropped_loss + dropped_early
 *         + dropped_queue + dropped_full + oversize + send_errors + held
 * where held is the frames in the relay now (the delay line; at exit
 * they are dropped). peak_held is its maximum (--slots once a frame was
 * dropped_full), peak_queue_bytes the bottleneck queue's (above the
 * limit less one frame once a frame was dropped_queue), and
 * peak_queue_packets its frames, counted with --queue-packets only (the
 * limit once a frame was dropped_queue). Exit status: 0, or 1 on an
 * error (printed on stderr), 2 on a bad command line.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <math.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

#define IMPAIR_BATCH	      64
#define IMPAIR_READS_PER_TURN 8 /* batches read per socket per turn */
#define IMPAIR_VNET_LEN	      ((uint32_t)sizeof(struct virtio_net_hdr))
/* A slot: the virtio-net header and a frame of an MTU of up to 2000. */
#define IMPAIR_SLOT_BYTES 2048u
/* With --gso: a 64 KiB IP datagram, its Ethernet header and VLAN tag. */
#define IMPAIR_GSO_SLOT_BYTES (65536u + 64u)
#define IMPAIR_SLOTS_DEFAULT  16384u
#define IMPAIR_GSO_SLOTS      1024u
#define IMPAIR_SLOTS_MAX      (1u << 20)
#define IMPAIR_SOCKBUF_BYTES  (8 << 20)
#define NS_PER_S	      1000000000ull
#define NS_PER_MS	      1000000.0
#define IMPAIR_FLOWS	      16 /* flows counted per direction */
/* RED: the average's weight per arrival (Floyd and Jacobson's 0.002),
 * and the frame whose link time counts an idle period in arrivals. */
#define RED_WEIGHT	     0.002
#define RED_IDLE_FRAME_BYTES 1514u

/* One direction's impairment, from the command line. */
struct impairment {
	double loss; /* probabilities, 0 to 1 */
	double duplicate;
	double reorder;
	uint64_t delay_ns;
	uint64_t reorder_delay_ns; /* more, for a reordered frame */
	uint64_t rate_bps;	   /* 0: no bottleneck */
	uint64_t queue_bytes;	   /* 0: no limit in bytes */
	uint32_t queue_packets;	   /* 0: no limit in packets */
	double red_max_p;	   /* 0: drop-tail only */
	double jitter; /* of each frame's time on the link, 0 to 1 */
};

/* One flow's frames (addresses and ports as on the wire). */
struct flow {
	bool used;
	uint32_t saddr, daddr;
	uint16_t sport, dport; /* 0 but for TCP and UDP */
	uint64_t frames, dropped, drop_events, shared_events;
	uint64_t event_end_ns; /* a drop before this is the same event */
	bool event_shared;     /* the current event overlaps another's */
};

struct counters {
	uint64_t frames_in, bytes_in, frames_out, bytes_out, passed;
	uint64_t dropped_loss, dropped_early, dropped_queue, dropped_full;
	uint64_t oversize;
	uint64_t reordered, duplicated, super_segments, send_errors;
	uint64_t kernel_drops, peak_queue_bytes, peak_queue_packets;
	uint64_t peak_held;
};

/* A FIFO of slot numbers, as long as the pool (a slot is in at most
 * one FIFO at a time, so it never overflows). */
struct fifo {
	uint32_t *slot;
	uint32_t head, count, size;
};

struct direction {
	char name[3]; /* "ab" or "ba" */
	int in_fd, out_fd;
	struct impairment imp;
	uint64_t rng;
	uint8_t *data; /* slot i at data + i * slot_bytes */
	uint32_t *len; /* bytes in slot i, the virtio-net header's too */
	uint64_t *due; /* when slot i is written */
	uint32_t *free_slot;
	uint32_t nfree;
	struct fifo line[2]; /* the delay line: plain, reordered */
	uint64_t link_free_ns;
	/* With --queue-packets: start times of the frames still queued. */
	uint64_t *start;
	uint32_t start_head, start_count;
	/* RED: the average queue in bytes, the time up to which an idle
	 * queue's decay is applied, the arrivals since the last early
	 * drop. */
	double red_avg;
	uint64_t red_idle_ns;
	uint64_t red_count;
	uint64_t round_trip_ns; /* both directions' delays */
	struct flow flow[IMPAIR_FLOWS];
	struct counters c;
};

static uint32_t slot_bytes = IMPAIR_SLOT_BYTES;
static uint32_t nslots = IMPAIR_SLOTS_DEFAULT;
static volatile sig_atomic_t stop_requested, report_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_report(int sig)
{
	(void)sig;
	report_requested = 1;
}

/* Takes the signals that wait while the sockets kept ppoll() busy: it
 * returns as soon as a socket is ready, and a signal that came meanwhile
 * stays pending (blocked again) until it is taken here. */
static void take_pending_signals(const sigset_t *set)
{
	const struct timespec zero = {0, 0};
	int sig;

	while ((sig = sigtimedwait(set, NULL, &zero)) > 0) {
		if (sig == SIGUSR1)
			report_requested = 1;
		else
			stop_requested = 1;
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* xorshift64*, seeded through splitmix64 so that nearby seeds differ. */
static uint64_t rng_seed(uint64_t seed)
{
	uint64_t z = seed + 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return z ? z : 1;
}

/* True with probability p. */
/* A number in [0, 1) from d's generator. */
static double uniform(struct direction *d)
{
	uint64_t x = d->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	d->rng = x;
	return (double)((x * 0x2545f4914f6cdd1dull) >> 11) / 9007199254740992.0;
}

/* True with probability p (the generator untouched when p is 0). */
static bool chance(struct direction *d, double p)
{
	return p > 0 && uniform(d) < p;
}

static uint8_t *slot_data(struct direction *d, uint32_t slot)
{
	return d->data + (size_t)slot * slot_bytes;
}

static void fifo_push(struct fifo *f, uint32_t slot)
{
	f->slot[(f->head + f->count++) % f->size] = slot;
}

static uint32_t fifo_pop(struct fifo *f)
{
	uint32_t slot = f->slot[f->head];

	f->head = (f->head + 1) % f->size;
	f->count--;
	return slot;
}

static void slot_free(struct direction *d, uint32_t slot)
{
	d->free_slot[d->nfree++] = slot;
}

/* Records how many slots are taken, at its peak. */
static void note_held(struct direction *d)
{
	if (nslots - d->nfree > d->c.peak_held)
		d->c.peak_held = nslots - d->nfree;
}

/* The bytes a frame occupies on the wire: a super-segment's segments
 * each repeat its headers (Ethernet, IPv4, TCP when it can tell). */
static uint64_t wire_bytes(const uint8_t *buf, uint32_t len)
{
	const struct virtio_net_hdr *vh = (const void *)buf;
	const uint8_t *f = buf + IMPAIR_VNET_LEN;
	uint32_t flen = len - IMPAIR_VNET_LEN, hdrs, ihl, segs;

	if (vh->gso_type == VIRTIO_NET_HDR_GSO_NONE || vh->gso_size == 0)
		return flen;
	ihl = flen > 14 ? (uint32_t)(f[14] & 0x0f) * 4 : 0;
	hdrs = 14 + ihl + 20;
	if (flen >= 14 + ihl + 20)
		hdrs = 14 + ihl + (uint32_t)(f[14 + ihl + 12] >> 4) * 4;
	if (flen <= hdrs)
		return flen;
	segs = (flen - hdrs + vh->gso_size - 1) / vh->gso_size;
	return (uint64_t)flen + (uint64_t)(segs - 1) * hdrs;
}

/* The bytes queued at the bottleneck at now: what the link has not
 * sent yet, what remains of the frame on it included. */
static uint64_t queued_bytes(const struct direction *d, uint64_t now)
{
	if (d->link_free_ns <= now)
		return 0;
	return (uint64_t)((double)(d->link_free_ns - now) *
			  (double)d->imp.rate_bps / 8e9);
}

/* The flow of the frame read into buf (buflen bytes, its virtio-net
 * header first), counted from its first frame, or NULL (not IPv4, or
 * IMPAIR_FLOWS others came first). */
static struct flow *flow_of_frame(struct direction *d, const uint8_t *buf,
				  uint32_t buflen)
{
	const uint8_t *f = buf + IMPAIR_VNET_LEN, *ip = f + 14;
	uint32_t len = buflen - IMPAIR_VNET_LEN - 14, ihl, saddr, daddr;
	uint16_t sport = 0, dport = 0;
	int i;

	if (buflen < IMPAIR_VNET_LEN + 14 + 20 || f[12] != 0x08 ||
	    f[13] != 0x00)
		return NULL;
	ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	memcpy(&saddr, ip + 12, sizeof(saddr));
	memcpy(&daddr, ip + 16, sizeof(daddr));
	/* Ports of TCP and UDP, in a first (or only) fragment. */
	if ((ip[9] == IPPROTO_TCP || ip[9] == IPPROTO_UDP) && ihl >= 20 &&
	    len >= ihl + 4 && (((ip[6] & 0x1f) << 8) | ip[7]) == 0) {
		sport = (uint16_t)(ip[ihl] << 8 | ip[ihl + 1]);
		dport = (uint16_t)(ip[ihl + 2] << 8 | ip[ihl + 3]);
	}
	for (i = 0; i < IMPAIR_FLOWS; i++) {
		struct flow *fl = &d->flow[i];

		if (!fl->used) {
			fl->used = true;
			fl->saddr = saddr, fl->daddr = daddr;
			fl->sport = sport, fl->dport = dport;
			return fl;
		}
		if (fl->saddr == saddr && fl->daddr == daddr &&
		    fl->sport == sport && fl->dport == dport)
			return fl;
	}
	return NULL;
}

/* The flow of the IPv4 frame in slot (flow_of_frame). */
static struct flow *flow_of(struct direction *d, uint32_t slot)
{
	return flow_of_frame(d, slot_data(d, slot), d->len[slot]);
}

/* Marks fl's current drop event shared with another flow's. */
static void flow_event_shared(struct flow *fl)
{
	if (!fl->event_shared) {
		fl->event_shared = true;
		fl->shared_events++;
	}
}

/* Counts a drop of a frame of flow fl (NULL: none): a new drop event
 * unless one began less than a round trip ago; shared with the events
 * of other flows it overlaps. */
static void flow_drop(struct direction *d, struct flow *fl, uint64_t now)
{
	uint64_t queue_delay;
	int i;

	if (!fl)
		return;
	fl->dropped++;
	if (now < fl->event_end_ns)
		return;
	queue_delay = d->link_free_ns > now ? d->link_free_ns - now : 0;
	fl->drop_events++;
	fl->event_end_ns = now + d->round_trip_ns + queue_delay;
	fl->event_shared = false;
	for (i = 0; i < IMPAIR_FLOWS && d->flow[i].used; i++) {
		if (&d->flow[i] == fl || now >= d->flow[i].event_end_ns)
			continue;
		flow_event_shared(&d->flow[i]);
		flow_event_shared(fl);
	}
}

/* Counts a drop of slot's frame against its flow (flow_drop). */
static void flow_dropped(struct direction *d, uint32_t slot, uint64_t now)
{
	flow_drop(d, flow_of(d, slot), now);
}

/* RED (Floyd and Jacobson 1993, gentle): whether the frame arriving at
 * now, the queue holding queued bytes, is dropped early. */
static bool red_drops(struct direction *d, uint64_t queued, uint64_t now)
{
	const struct impairment *imp = &d->imp;
	double min_th = (double)imp->queue_bytes / 4;
	double max_th = 3 * min_th, p;
	double frame_ns =
	    RED_IDLE_FRAME_BYTES * 8.0 * 1e9 / (double)imp->rate_bps;

	if (queued == 0) {
		/* Idle since the last frame left (or since the decay was
		 * last applied): decay as if empty frames had come at the
		 * link's rate, Floyd and Jacobson's m. */
		uint64_t idle = d->link_free_ns > d->red_idle_ns
				    ? d->link_free_ns
				    : d->red_idle_ns;

		if (now > idle)
			d->red_avg *= pow(1 - RED_WEIGHT,
					  (double)(now - idle) / frame_ns);
		d->red_idle_ns = now;
	} else {
		d->red_avg += RED_WEIGHT * ((double)queued - d->red_avg);
	}
	if (d->red_avg < min_th) {
		d->red_count = 0;
		return false;
	}
	if (d->red_avg < max_th)
		p = imp->red_max_p * (d->red_avg - min_th) / (max_th - min_th);
	else if (d->red_avg < 2 * max_th)
		p = imp->red_max_p +
		    (1 - imp->red_max_p) * (d->red_avg - max_th) / max_th;
	else
		p = 1;
	d->red_count++;
	if ((double)d->red_count * p < 1)
		p /= 1 - (double)d->red_count * p;
	else
		p = 1;
	if (!chance(d, p))
		return false;
	d->red_count = 0;
	return true;
}

/* Puts slot through the bottleneck and into the delay line at now, or
 * drops it (early with --red; tail drop at the queue's limit). */
static void enqueue(struct direction *d, uint32_t slot, uint64_t now)
{
	const struct impairment *imp = &d->imp;
	uint64_t departure = now, wire, queued, service;
	int late;

	if (imp->rate_bps) {
		wire = wire_bytes(slot_data(d, slot), d->len[slot]);
		queued = queued_bytes(d, now);
		while (d->start_count &&
		       d->start[d->start_head] <= now) { /* on the link */
			d->start_head =
			    (d->start_head + 1) % imp->queue_packets;
			d->start_count--;
		}
		if ((imp->queue_bytes && queued + wire > imp->queue_bytes) ||
		    (imp->queue_packets &&
		     d->start_count >= imp->queue_packets)) {
			d->c.dropped_queue++;
			flow_dropped(d, slot, now);
			slot_free(d, slot);
			return;
		}
		if (imp->red_max_p > 0 && red_drops(d, queued, now)) {
			d->c.dropped_early++;
			flow_dropped(d, slot, now);
			slot_free(d, slot);
			return;
		}
		departure = d->link_free_ns > now ? d->link_free_ns : now;
		if (imp->queue_packets) {
			d->start[(d->start_head + d->start_count++) %
				 imp->queue_packets] = departure;
			if (d->start_count > d->c.peak_queue_packets)
				d->c.peak_queue_packets = d->start_count;
		}
		if (queued + wire > d->c.peak_queue_bytes)
			d->c.peak_queue_bytes = queued + wire;
		service = wire * 8 * NS_PER_S / imp->rate_bps;
		if (imp->jitter > 0)
			service = (uint64_t)((double)service *
					     (1 + imp->jitter *
						      (2 * uniform(d) - 1)));
		departure += service;
		d->link_free_ns = departure;
	}
	late = chance(d, imp->reorder);
	d->due[slot] = departure + imp->delay_ns;
	if (late) {
		d->due[slot] += imp->reorder_delay_ns;
		d->c.reordered++;
	}
	fifo_push(&d->line[late], slot);
}

/* One frame read in slot: counted, then impaired. */
static void take_frame(struct direction *d, uint32_t slot, uint64_t now)
{
	const uint8_t *f = slot_data(d, slot) + IMPAIR_VNET_LEN;
	const struct virtio_net_hdr *vh = (const void *)slot_data(d, slot);
	uint32_t len = d->len[slot], copy;
	struct flow *fl;

	d->c.frames_in++;
	d->c.bytes_in += len - IMPAIR_VNET_LEN;
	if (vh->gso_type != VIRTIO_NET_HDR_GSO_NONE)
		d->c.super_segments++;
	if (len < IMPAIR_VNET_LEN + 14 || f[12] != 0x08 || f[13] != 0x00) {
		d->c.passed++;
		if (send(d->out_fd, slot_data(d, slot), len, MSG_DONTWAIT) < 0)
			d->c.send_errors++;
		else
			d->c.frames_out++,
			    d->c.bytes_out += len - IMPAIR_VNET_LEN;
		slot_free(d, slot);
		return;
	}
	fl = flow_of(d, slot);
	if (fl)
		fl->frames++;
	if (chance(d, d->imp.loss)) {
		d->c.dropped_loss++;
		flow_dropped(d, slot, now);
		slot_free(d, slot);
		return;
	}
	copy = UINT32_MAX;
	if (chance(d, d->imp.duplicate)) {
		d->c.duplicated++;
		if (d->nfree) {
			copy = d->free_slot[--d->nfree];
			note_held(d);
			memcpy(slot_data(d, copy), slot_data(d, slot), len);
			d->len[copy] = len;
		} else {
			d->c.dropped_full++;
			flow_dropped(d, slot, now);
		}
	}
	enqueue(d, slot, now);
	if (copy != UINT32_MAX)
		enqueue(d, copy, now);
}

/* Reads what waits on d's socket, IMPAIR_READS_PER_TURN batches at
 * most. Returns 0 or a negative errno from recvmmsg. */
static int receive(struct direction *d, uint64_t now)
{
	static uint8_t scratch[IMPAIR_GSO_SLOT_BYTES];
	struct mmsghdr msg[IMPAIR_BATCH];
	struct iovec iov[IMPAIR_BATCH];
	struct sockaddr_ll from[IMPAIR_BATCH];
	uint32_t slot[IMPAIR_BATCH];
	unsigned int want, i;
	int n, round;

	for (round = 0; round < IMPAIR_READS_PER_TURN; round++) {
		want = d->nfree < IMPAIR_BATCH ? d->nfree : IMPAIR_BATCH;
		if (want == 0) {
			/* The delay line is full: read one to drop it
			 * (counted against its flow too), unless it is one
			 * the relay sent (as below). */
			struct sockaddr_ll src;
			socklen_t srclen = sizeof(src);
			struct flow *fl;

			n = (int)recvfrom(d->in_fd, scratch, slot_bytes,
					  MSG_DONTWAIT | MSG_TRUNC,
					  (struct sockaddr *)&src, &srclen);
			if (n < 0)
				break;
			if (src.sll_pkttype == PACKET_OUTGOING)
				continue;
			d->c.frames_in++;
			if ((uint32_t)n > IMPAIR_VNET_LEN)
				d->c.bytes_in += (uint32_t)n - IMPAIR_VNET_LEN;
			d->c.dropped_full++;
			fl = flow_of_frame(d, scratch,
					   (uint32_t)n < slot_bytes
					       ? (uint32_t)n
					       : slot_bytes);
			if (fl) {
				fl->frames++;
				flow_drop(d, fl, now);
			}
			continue;
		}
		memset(msg, 0, sizeof(msg[0]) * want);
		for (i = 0; i < want; i++) {
			slot[i] = d->free_slot[d->nfree - 1 - i];
			iov[i].iov_base = slot_data(d, slot[i]);
			iov[i].iov_len = slot_bytes;
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
			msg[i].msg_hdr.msg_name = &from[i];
			msg[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		n = recvmmsg(d->in_fd, msg, want, MSG_DONTWAIT, NULL);
		if (n < 0)
			break;
		d->nfree -= (uint32_t)n;
		note_held(d);
		for (i = 0; i < (unsigned int)n; i++) {
			if (from[i].sll_pkttype == PACKET_OUTGOING) {
				slot_free(d, slot[i]);
				continue;
			}
			if ((msg[i].msg_hdr.msg_flags & MSG_TRUNC) ||
			    msg[i].msg_len < IMPAIR_VNET_LEN) {
				d->c.frames_in++;
				d->c.oversize++;
				slot_free(d, slot[i]);
				continue;
			}
			d->len[slot[i]] = msg[i].msg_len;
			take_frame(d, slot[i], now);
		}
		if ((unsigned int)n < want)
			return 0;
	}
	if (round < IMPAIR_READS_PER_TURN && errno != EAGAIN &&
	    errno != EWOULDBLOCK && errno != EINTR)
		return -errno;
	return 0;
}

/* The delay line's next frame due, or UINT64_MAX. */
static uint64_t next_due(const struct direction *d)
{
	uint64_t t = UINT64_MAX;
	int k;

	for (k = 0; k < 2; k++)
		if (d->line[k].count) {
			uint64_t due = d->due[d->line[k].slot[d->line[k].head]];

			if (due < t)
				t = due;
		}
	return t;
}

/* Writes every frame due at now, in batches. */
static void transmit(struct direction *d, uint64_t now)
{
	struct mmsghdr msg[IMPAIR_BATCH];
	struct iovec iov[IMPAIR_BATCH];
	uint32_t slot[IMPAIR_BATCH];
	unsigned int n, i;
	int sent, k;

	for (;;) {
		n = 0;
		while (n < IMPAIR_BATCH && next_due(d) <= now) {
			const struct fifo *a = &d->line[0], *b = &d->line[1];

			k = !a->count ||
			    (b->count && d->due[b->slot[b->head]] <
					     d->due[a->slot[a->head]]);
			slot[n++] = fifo_pop(&d->line[k]);
		}
		if (n == 0)
			return;
		memset(msg, 0, sizeof(msg[0]) * n);
		for (i = 0; i < n; i++) {
			iov[i].iov_base = slot_data(d, slot[i]);
			iov[i].iov_len = d->len[slot[i]];
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
		}
		i = 0;
		while (i < n) {
			sent =
			    sendmmsg(d->out_fd, msg + i, n - i, MSG_DONTWAIT);
			if (sent < 0 && errno == EINTR)
				continue;
			if (sent <= 0) { /* this frame is refused: the next */
				d->c.send_errors++;
				i++;
				continue;
			}
			for (k = 0; k < sent; k++, i++) {
				d->c.frames_out++;
				d->c.bytes_out +=
				    msg[i].msg_len - IMPAIR_VNET_LEN;
			}
		}
		for (i = 0; i < n; i++)
			slot_free(d, slot[i]);
	}
}

static void update_kernel_drops(struct direction *d)
{
	struct tpacket_stats st;
	socklen_t len = sizeof(st);

	/* The statistics reset on every read: add them up. */
	if (getsockopt(d->in_fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
		d->c.kernel_drops += st.tp_drops;
}

static void report(struct direction *dir)
{
	for (int i = 0; i < 2; i++) {
		for (int k = 0; k < IMPAIR_FLOWS && dir[i].flow[k].used; k++) {
			const struct flow *fl = &dir[i].flow[k];
			char sa[INET_ADDRSTRLEN], da[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &fl->saddr, sa, sizeof(sa));
			inet_ntop(AF_INET, &fl->daddr, da, sizeof(da));
			printf("%s flow %s:%u>%s:%u frames=%" PRIu64
			       " dropped=%" PRIu64 " drop_events=%" PRIu64
			       " shared_events=%" PRIu64 "\n",
			       dir[i].name, sa, fl->sport, da, fl->dport,
			       fl->frames, fl->dropped, fl->drop_events,
			       fl->shared_events);
		}
	}
	for (int i = 0; i < 2; i++) {
		struct direction *d = &dir[i];
		const struct counters *c = &d->c;

		update_kernel_drops(d);
		printf("%s: frames_in=%" PRIu64 " bytes_in=%" PRIu64
		       " frames_out=%" PRIu64 " bytes_out=%" PRIu64
		       " passed=%" PRIu64 " dropped_loss=%" PRIu64
		       " dropped_early=%" PRIu64 " dropped_queue=%" PRIu64
		       " dropped_full=%" PRIu64 " oversize=%" PRIu64
		       " reordered=%" PRIu64 " duplicated=%" PRIu64
		       " super_segments=%" PRIu64 " send_errors=%" PRIu64
		       " kernel_drops=%" PRIu64 " peak_queue_bytes=%" PRIu64
		       " peak_queue_packets=%" PRIu64 " held=%" PRIu32
		       " peak_held=%" PRIu64 "\n",
		       d->name, c->frames_in, c->bytes_in, c->frames_out,
		       c->bytes_out, c->passed, c->dropped_loss,
		       c->dropped_early, c->dropped_queue, c->dropped_full,
		       c->oversize, c->reordered, c->duplicated,
		       c->super_segments, c->send_errors, c->kernel_drops,
		       c->peak_queue_bytes, c->peak_queue_packets,
		       nslots - d->nfree, c->peak_held);
	}
	fflush(stdout);
}

/* An AF_PACKET socket on ifname with virtio-net headers. Returns the
 * descriptor or a negative errno. */
static int packet_socket(const char *ifname)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET,
				  .sll_protocol = htons(ETH_P_ALL)};
	int fd, one = 1, size = IMPAIR_SOCKBUF_BYTES, err;

	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (sll.sll_ifindex == 0)
		return -errno;
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    htons(ETH_P_ALL));
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	/* Our own writes to this interface are not frames to relay (older
	 * kernels: PACKET_OUTGOING, skipped on reading). */
	setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Allocates d's pool and delay line. Returns 0 or -ENOMEM. */
static int direction_init(struct direction *d, const char *name)
{
	uint32_t i;

	memcpy(d->name, name, 3);
	d->data = malloc((size_t)nslots * slot_bytes);
	d->len = calloc(nslots, sizeof(*d->len));
	d->due = calloc(nslots, sizeof(*d->due));
	d->free_slot = calloc(nslots, sizeof(*d->free_slot));
	d->line[0].slot = calloc(nslots, sizeof(uint32_t));
	d->line[1].slot = calloc(nslots, sizeof(uint32_t));
	if (d->imp.rate_bps && d->imp.queue_packets)
		d->start = calloc(d->imp.queue_packets, sizeof(*d->start));
	if (!d->data || !d->len || !d->due || !d->free_slot ||
	    !d->line[0].slot || !d->line[1].slot ||
	    (d->imp.rate_bps && d->imp.queue_packets && !d->start))
		return -ENOMEM;
	d->line[0].size = d->line[1].size = nslots;
	/* Slot 0 on top: the first frames reuse the same few slots. */
	for (i = 0; i < nslots; i++)
		d->free_slot[i] = nslots - 1 - i;
	d->nfree = nslots;
	return 0;
}

static void usage(FILE *to)
{
	fprintf(
	    to,
	    "usage: impair [OPTIONS] IF_A IF_B\n"
	    "Relays Ethernet frames between IF_A and IF_B (ab: read on A, "
	    "written on B;\nba: back), impaired. Each VALUE is one for "
	    "both directions or AB/BA.\n"
	    "  -d, --delay MS             one-way delay\n"
	    "  -l, --loss PERCENT         random loss\n"
	    "  -r, --reorder PERCENT      frames held back by "
	    "--reorder-delay more\n"
	    "  -R, --reorder-delay MS     (default 5)\n"
	    "  -u, --duplicate PERCENT    frames sent twice\n"
	    "  -b, --rate MBIT            bottleneck rate (default: none)\n"
	    "  -q, --queue-bytes BYTES    bottleneck queue limit (tail "
	    "drop)\n"
	    "  -Q, --queue-packets N      the same in frames (default "
	    "1000 when\n"
	    "                             --rate is given and neither "
	    "is)\n"
	    "  -e, --red PERCENT          RED: early drops up to PERCENT at "
	    "3/4 of\n"
	    "                             --queue-bytes (needs it)\n"
	    "  -j, --jitter PERCENT       each frame's time on the "
	    "bottleneck\n"
	    "                             +-PERCENT at random\n"
	    "  -s, --seed N               the generators' seed (default "
	    "1)\n"
	    "  -n, --slots N              frames held per direction "
	    "(default %u, %u with -g)\n"
	    "  -g, --gso                  take super-segments whole "
	    "(64 KiB slots)\n"
	    "Counters on stdout on SIGUSR1 and at exit (SIGTERM, "
	    "SIGINT).\n",
	    IMPAIR_SLOTS_DEFAULT, IMPAIR_GSO_SLOTS);
}

/* Parses "X" or "X/Y" into v[0] (ab) and v[1] (ba). Returns 0 or
 * -EINVAL (not numbers, negative, or above max). */
static int parse_pair(const char *s, double max, double v[2])
{
	char *end;

	v[0] = strtod(s, &end);
	if (end == s)
		return -EINVAL;
	v[1] = v[0];
	if (*end == '/') {
		s = end + 1;
		v[1] = strtod(s, &end);
		if (end == s)
			return -EINVAL;
	}
	if (*end || !(v[0] >= 0 && v[1] >= 0 && v[0] <= max && v[1] <= max))
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"delay", required_argument, NULL, 'd'},
	    {"loss", required_argument, NULL, 'l'},
	    {"reorder", required_argument, NULL, 'r'},
	    {"reorder-delay", required_argument, NULL, 'R'},
	    {"duplicate", required_argument, NULL, 'u'},
	    {"rate", required_argument, NULL, 'b'},
	    {"queue-bytes", required_argument, NULL, 'q'},
	    {"queue-packets", required_argument, NULL, 'Q'},
	    {"red", required_argument, NULL, 'e'},
	    {"jitter", required_argument, NULL, 'j'},
	    {"seed", required_argument, NULL, 's'},
	    {"slots", required_argument, NULL, 'n'},
	    {"gso", no_argument, NULL, 'g'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct direction dir[2];
	struct pollfd pfd[2];
	struct sigaction sa;
	sigset_t block, waitmask;
	uint64_t seed = 1, now, next;
	bool slots_given = false, queue_given[2] = {false, false};
	double v[2], reorder_delay[2] = {5, 5};
	int opt, i, err;

	memset(dir, 0, sizeof(dir));
	while ((opt = getopt_long(argc, argv, "d:l:r:R:u:b:q:Q:e:j:s:n:gh",
				  longopts, NULL)) != -1) {
		double max = opt == 'l' || opt == 'r' || opt == 'u' ||
				     opt == 'e' || opt == 'j'
				 ? 100
			     : opt == 'b' ? 1e6
			     : opt == 'Q' ? 1e7
					  : 1e12;

		if (opt == 'g') {
			slot_bytes = IMPAIR_GSO_SLOT_BYTES;
			if (!slots_given)
				nslots = IMPAIR_GSO_SLOTS;
			continue;
		}
		if (opt == 'h') {
			usage(stdout);
			return 0;
		}
		if (opt == 's' || opt == 'n') {
			char *end;
			unsigned long long x = strtoull(optarg, &end, 0);

			if (*optarg == '\0' || *end ||
			    (opt == 'n' && (x == 0 || x > IMPAIR_SLOTS_MAX))) {
				fprintf(stderr, "impair: bad -%c %s\n", opt,
					optarg);
				return 2;
			}
			if (opt == 's')
				seed = x;
			else
				nslots = (uint32_t)x, slots_given = true;
			continue;
		}
		if (!strchr("dlrRubqQej", opt) || parse_pair(optarg, max, v)) {
			if (strchr("dlrRubqQej", opt))
				fprintf(stderr, "impair: bad -%c %s\n", opt,
					optarg);
			usage(stderr);
			return 2;
		}
		for (i = 0; i < 2; i++) {
			struct impairment *imp = &dir[i].imp;

			switch (opt) {
			case 'd':
				imp->delay_ns = (uint64_t)(v[i] * NS_PER_MS);
				break;
			case 'l':
				imp->loss = v[i] / 100;
				break;
			case 'r':
				imp->reorder = v[i] / 100;
				break;
			case 'R':
				reorder_delay[i] = v[i];
				break;
			case 'u':
				imp->duplicate = v[i] / 100;
				break;
			case 'b':
				imp->rate_bps = (uint64_t)(v[i] * 1e6);
				break;
			case 'q':
				imp->queue_bytes = (uint64_t)v[i];
				queue_given[i] = true;
				break;
			case 'Q':
				imp->queue_packets = (uint32_t)v[i];
				queue_given[i] = true;
				break;
			case 'e':
				imp->red_max_p = v[i] / 100;
				break;
			case 'j':
				imp->jitter = v[i] / 100;
				break;
			}
		}
	}
	if (argc - optind != 2) {
		usage(stderr);
		return 2;
	}
	for (i = 0; i < 2; i++) {
		struct direction *d = &dir[i];

		d->imp.reorder_delay_ns =
		    (uint64_t)(reorder_delay[i] * NS_PER_MS);
		if (d->imp.rate_bps && !queue_given[i])
			d->imp.queue_packets = 1000;
		if (d->imp.red_max_p > 0 &&
		    (!d->imp.rate_bps || !d->imp.queue_bytes)) {
			fprintf(stderr, "impair: --red needs --rate and "
					"--queue-bytes\n");
			return 2;
		}
		d->round_trip_ns = dir[0].imp.delay_ns + dir[1].imp.delay_ns;
		d->rng = rng_seed(seed * 2 + (uint64_t)i);
		if (direction_init(d, i ? "ba" : "ab")) {
			fprintf(stderr, "impair: no memory for %u slots\n",
				nslots);
			return 1;
		}
	}
	for (i = 0; i < 2; i++) {
		err = packet_socket(argv[optind + i]);
		if (err < 0) {
			fprintf(stderr, "impair: %s: %s\n", argv[optind + i],
				strerror(-err));
			return 1;
		}
		pfd[i].fd = err;
		pfd[i].events = POLLIN;
	}
	dir[0].in_fd = dir[1].out_fd = pfd[0].fd;
	dir[1].in_fd = dir[0].out_fd = pfd[1].fd;
	for (i = 0; i < 2; i++)
		update_kernel_drops(&dir[i]); /* counting from here */

	/* The signals are taken while waiting in ppoll() or after it
	 * (take_pending_signals), never between a flag test and the wait. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_report;
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGUSR1);
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	printf("ready\n");
	fflush(stdout);

	while (!stop_requested) {
		struct timespec ts, *tsp = NULL;

		if (report_requested) {
			report_requested = 0;
			report(dir);
		}
		now = now_ns();
		transmit(&dir[0], now);
		transmit(&dir[1], now);
		next = next_due(&dir[0]);
		if (next_due(&dir[1]) < next)
			next = next_due(&dir[1]);
		if (next != UINT64_MAX) {
			now = now_ns();
			next = next > now ? next - now : 0;
			ts.tv_sec = (time_t)(next / NS_PER_S);
			ts.tv_nsec = (long)(next % NS_PER_S);
			tsp = &ts;
		}
		if (ppoll(pfd, 2, tsp, &waitmask) < 0) {
			if (errno == EINTR)
				continue;
			perror("impair: ppoll");
			return 1;
		}
		take_pending_signals(&block);
		now = now_ns();
		for (i = 0; i < 2; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLERR)))
				continue;
			err = receive(&dir[i], now);
			if (err < 0) {
				fprintf(stderr, "impair: reading %s: %s\n",
					argv[optind + i], strerror(-err));
				return 1;
			}
		}
	}
	report(dir);
	return 0;
}
