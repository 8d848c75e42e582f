/*
 * pkt.c - the packet buffer pool (see pkt.h)
 *
 * Buffers are allocated on first demand and never returned to the
 * system while the pool lives: a freed buffer goes onto its class's
 * free list. `allocated` never exceeds `max`, which bounds memory.
 */
#include <assert.h>
#include <stdlib.h>

#include "pkt.h"

static const uint32_t pkt_class_cap[PKT_CLASS_COUNT] = {
    [PKT_CLASS_SMALL] = PKT_SMALL_CAP,
    [PKT_CLASS_LARGE] = PKT_LARGE_CAP,
};

void pkt_pool_init(struct pkt_pool *pool, uint32_t small_max,
		   uint32_t large_max)
{
	*pool = (struct pkt_pool){0};
	pool->max[PKT_CLASS_SMALL] = small_max;
	pool->max[PKT_CLASS_LARGE] = large_max;
}

void pkt_pool_destroy(struct pkt_pool *pool)
{
	for (int c = 0; c < PKT_CLASS_COUNT; c++) {
		struct pkt *p = pool->free_list[c];
		while (p) {
			struct pkt *next = p->next;
			free(p);
			p = next;
		}
		pool->free_list[c] = NULL;
		assert(pool->in_use[c] == 0);
	}
}

struct pkt *pkt_alloc(struct pkt_pool *pool, size_t size)
{
	int c;
	struct pkt *p;

	if (size + PKT_HEADROOM <= PKT_SMALL_CAP)
		c = PKT_CLASS_SMALL;
	else if (size + PKT_HEADROOM <= PKT_LARGE_CAP)
		c = PKT_CLASS_LARGE;
	else
		return NULL;

	p = pool->free_list[c];
	if (p) {
		pool->free_list[c] = p->next;
	} else {
		if (pool->allocated[c] >= pool->max[c])
			goto fail;
		p = malloc(sizeof(*p) + pkt_class_cap[c]);
		if (!p)
			goto fail;
		pool->allocated[c]++;
	}
	pool->in_use[c]++;
	*p = (struct pkt){
	    .data = p->buf + PKT_HEADROOM,
	    .cap = pkt_class_cap[c],
	    .pkt_class = (uint8_t)c,
	};
	return p;
fail:
	pool->alloc_failures++;
	return NULL;
}

void pkt_free(struct pkt_pool *pool, struct pkt *p)
{
	if (!p)
		return;
	assert(p->pkt_class < PKT_CLASS_COUNT);
	assert(pool->in_use[p->pkt_class] > 0);
	pool->in_use[p->pkt_class]--;
	p->next = pool->free_list[p->pkt_class];
	pool->free_list[p->pkt_class] = p;
}

void pkt_queue_init(struct pkt_queue *q)
{
	*q = (struct pkt_queue){0};
}

void pkt_queue_push(struct pkt_queue *q, struct pkt *p)
{
	p->next = NULL;
	if (q->tail)
		q->tail->next = p;
	else
		q->head = p;
	q->tail = p;
	q->count++;
	q->bytes += p->len;
}

struct pkt *pkt_queue_pop(struct pkt_queue *q)
{
	struct pkt *p = q->head;

	if (!p)
		return NULL;
	q->head = p->next;
	if (!q->head)
		q->tail = NULL;
	q->count--;
	q->bytes -= p->len;
	p->next = NULL;
	return p;
}

void pkt_queue_purge(struct pkt_queue *q, struct pkt_pool *pool)
{
	struct pkt *p;

	while ((p = pkt_queue_pop(q)))
		pkt_free(pool, p);
}
