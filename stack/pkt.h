/*
 * pkt.h - packet buffers and their pool
 *
 * A packet buffer holds one frame or datagram in a contiguous area with
 * headroom in front, so that each layer on the way out prepends its
 * header without copying, and each layer on the way in strips its header
 * by advancing `data`. Buffers come in two size classes: small ones for
 * MTU-sized frames and large ones for 64 KiB segments (reassembled
 * datagrams, and TCP super-segments when the link offloads
 * segmentation).
 *
 * The pool owns every buffer. It allocates lazily up to a fixed maximum
 * per class and recycles freed buffers through a free list, so the hot
 * path never calls malloc once the pool is warm, and memory is bounded
 * by PKT_SMALL_CAP * small_max + PKT_LARGE_CAP * large_max. At the
 * maximum, pkt_alloc() returns NULL and the caller drops and counts.
 */
#ifndef UTCP_PKT_H
#define UTCP_PKT_H

#include <stddef.h>
#include <stdint.h>

/* Room in front of the data for link headers (Ethernet, a virtio-net
 * header later) plus IPv4 with options plus a transport header. */
#define PKT_HEADROOM 128u
/* Small class: a 1500-byte-MTU frame with headroom fits. */
#define PKT_SMALL_CAP 2048u
/* Large class: a maximal IPv4 datagram plus Ethernet and headroom. */
#define PKT_LARGE_CAP (65536u + 256u)

enum pkt_class { PKT_CLASS_SMALL, PKT_CLASS_LARGE, PKT_CLASS_COUNT };

/* pkt->flags. */
/* Input: the link vouches for the L4 (TCP/UDP) checksum (the kernel
 * verified it, or it is local traffic whose checksum was never
 * computed); tcp_input and udp_input skip their check. The IPv4 header
 * checksum is checked anyway. */
#define PKT_F_CSUM_VALID 0x01u
/* Output: the L4 checksum field holds the folded, not complemented,
 * pseudo-header sum (Linux's CHECKSUM_PARTIAL); the link completes it
 * over the L4 header and payload (per segment with gso_size). */
#define PKT_F_CSUM_PARTIAL 0x02u
/* Input: a datagram joined from fragments (frag.c) into a new buffer:
 * there is no link header before its IPv4 header. */
#define PKT_F_REASSEMBLED 0x04u

struct pkt {
	struct pkt *next; /* link in whichever queue holds the buffer */
	uint8_t *data;	  /* first valid byte */
	uint32_t len;	  /* valid bytes from data */
	uint32_t cap;	  /* size of buf[] */
	uint16_t ifindex; /* stack interface the frame came in on / goes out */
	uint8_t pkt_class;
	uint8_t flags; /* PKT_F_* */
	/* Output offload (PKT_F_CSUM_PARTIAL): the L4 header is at
	 * buf[l4_offset] and its checksum field csum_offset bytes into it;
	 * gso_size, when not 0, is the payload of each segment the link
	 * cuts the frame into (TSO), the last one possibly shorter. */
	uint16_t gso_size;
	uint16_t l4_offset;
	uint16_t csum_offset;
	/* Filled by the input path for the layers above it. */
	uint32_t saddr, daddr; /* IPv4 source and destination, host order */
	uint16_t sport, dport; /* transport ports, host order */
	uint16_t l3_offset;    /* offset of the IPv4 header in buf[] */
	/* Output: the IPv4 header's TOS and TTL (0 = IPV4_DEFAULT_TTL),
	 * from the sending socket's options. */
	uint8_t tos, ttl;
	uint16_t frag_offset; /* reassembly: payload offset in bytes */
	uint8_t buf[];
};

/* A FIFO of packets linked through pkt->next. */
struct pkt_queue {
	struct pkt *head;
	struct pkt *tail;
	uint32_t count;
	uint32_t bytes;
};

struct pkt_pool {
	struct pkt *free_list[PKT_CLASS_COUNT];
	uint32_t allocated[PKT_CLASS_COUNT]; /* buffers that exist */
	uint32_t in_use[PKT_CLASS_COUNT];    /* buffers handed out */
	uint32_t max[PKT_CLASS_COUNT];	     /* bound on allocated */
	uint64_t alloc_failures;
};

/* Sets up an empty pool that will hold at most the given numbers. */
void pkt_pool_init(struct pkt_pool *pool, uint32_t small_max,
		   uint32_t large_max);

/* Frees every buffer on the free lists. Buffers still in use leak: the
 * caller must have returned them all (asserted in debug builds). */
void pkt_pool_destroy(struct pkt_pool *pool);

/*
 * Returns a buffer able to hold `size` bytes after PKT_HEADROOM, with
 * data pointing at the end of the headroom and len 0; NULL when size is
 * too large for any class or the pool is at its maximum.
 */
struct pkt *pkt_alloc(struct pkt_pool *pool, size_t size);

/* Returns a buffer to its pool. NULL is ignored. */
void pkt_free(struct pkt_pool *pool, struct pkt *p);

/* Bytes available in front of p->data. */
static inline size_t pkt_headroom(const struct pkt *p)
{
	return (size_t)(p->data - p->buf);
}

/* Bytes available after p->data + p->len. */
static inline size_t pkt_tailroom(const struct pkt *p)
{
	return p->cap - pkt_headroom(p) - p->len;
}

/* Prepends n bytes; returns the new start or NULL without headroom. */
static inline uint8_t *pkt_push(struct pkt *p, size_t n)
{
	if (pkt_headroom(p) < n)
		return NULL;
	p->data -= n;
	p->len += (uint32_t)n;
	return p->data;
}

/* Strips n bytes from the front; returns the new start or NULL. */
static inline uint8_t *pkt_pull(struct pkt *p, size_t n)
{
	if (p->len < n)
		return NULL;
	p->data += n;
	p->len -= (uint32_t)n;
	return p->data;
}

void pkt_queue_init(struct pkt_queue *q);
void pkt_queue_push(struct pkt_queue *q, struct pkt *p);
struct pkt *pkt_queue_pop(struct pkt_queue *q);
/* Frees every packet in q into pool. */
void pkt_queue_purge(struct pkt_queue *q, struct pkt_pool *pool);

#endif
