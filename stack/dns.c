/*
 * dns.c - the stub resolver (dns.h)
 *
 * Not written yet: dns_new() returns NULL, so the daemon runs without
 * a resolver.
 */
#include "dns.h"

#include <errno.h>
#include <string.h>

#define NAME_OF(name) "dns_" #name,
static const char *const counter_names[] = {DNS_COUNTERS(NAME_OF)};
#define STATUS_NAME(id, name) name,
static const char *const status_names[] = {DNS_STATUSES(STATUS_NAME)};
static const char *const source_names[] = {DNS_SOURCES(STATUS_NAME)};

const char *dns_counter_name(enum dns_counter c)
{
	return (unsigned)c < DNS_COUNTER_COUNT ? counter_names[c] : "?";
}

const char *dns_status_name(enum dns_status st)
{
	return (unsigned)st < DNS_STATUS_COUNT ? status_names[st] : "?";
}

const char *dns_source_name(enum dns_source src)
{
	return (unsigned)src < DNS_SOURCE_COUNT ? source_names[src] : "?";
}

void dns_limits_default(struct dns_limits *l)
{
	l->cache_max = 512;
	l->ttl_max_s = 86400;
	l->negative_ttl_max_s = 3600;
	l->queries_max = 128;
	l->lookups_max = 256;
	l->owner_lookups_max = 16;
	l->timeout_ms = 1000;
	l->attempts = 3;
	l->ndots = 1;
}

struct dns_resolver *dns_new(const struct dns_limits *lim, uint64_t seed)
{
	return NULL;
}

void dns_free(struct dns_resolver *r)
{
}

int dns_set_servers(struct dns_resolver *r, uint64_t now,
		    const struct dns_server *sv, size_t n)
{
	return -ENOSYS;
}

int dns_set_search(struct dns_resolver *r, const char *const *domains, size_t n)
{
	return -ENOSYS;
}

int dns_set_ndots(struct dns_resolver *r, unsigned ndots)
{
	return -ENOSYS;
}

int dns_host_add(struct dns_resolver *r, const char *name,
		 const struct dns_addr *addr)
{
	return -ENOSYS;
}

void dns_hosts_clear(struct dns_resolver *r)
{
}

void dns_cache_flush(struct dns_resolver *r)
{
}

int dns_lookup(struct dns_resolver *r, uint64_t now, const char *name,
	       unsigned want, uint64_t owner, void *cookie)
{
	return -ENOSYS;
}

void dns_cancel(struct dns_resolver *r, int lookup)
{
}

bool dns_pop_result(struct dns_resolver *r, struct dns_result *out)
{
	return false;
}

bool dns_pop_tx(struct dns_resolver *r, struct dns_tx *tx)
{
	return false;
}

void dns_udp_input(struct dns_resolver *r, uint64_t now, uint32_t transport,
		   uint32_t src, uint16_t sport, const uint8_t *msg, size_t len)
{
}

void dns_tcp_input(struct dns_resolver *r, uint64_t now, uint32_t transport,
		   const uint8_t *msg, size_t len)
{
}

void dns_transport_error(struct dns_resolver *r, uint64_t now,
			 uint32_t transport, int err)
{
}

void dns_timer(struct dns_resolver *r, uint64_t now)
{
}

uint64_t dns_next_deadline(const struct dns_resolver *r)
{
	return UINT64_MAX;
}

uint64_t dns_counter_get(const struct dns_resolver *r, enum dns_counter c)
{
	return 0;
}

size_t dns_server_snapshot(const struct dns_resolver *r,
			   struct dns_server_info *out, size_t max)
{
	return 0;
}

size_t dns_search_snapshot(const struct dns_resolver *r,
			   char out[][DNS_NAME_MAX], size_t max)
{
	return 0;
}

unsigned dns_ndots(const struct dns_resolver *r)
{
	return 0;
}

size_t dns_cache_snapshot(const struct dns_resolver *r, uint64_t now,
			  struct dns_cache_info *out, size_t max)
{
	return 0;
}

size_t dns_cache_size(const struct dns_resolver *r)
{
	return 0;
}

size_t dns_lookups_pending(const struct dns_resolver *r)
{
	return 0;
}

size_t dns_owner_lookups(const struct dns_resolver *r, uint64_t owner)
{
	return 0;
}

size_t dns_questions_active(const struct dns_resolver *r)
{
	return 0;
}
