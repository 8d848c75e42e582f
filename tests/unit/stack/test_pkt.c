/* test_pkt.c - the packet pool: bounded, recycling, two size classes */
#include "harness.h"

START_TEST(test_pool_stops_at_its_maximum)
{
	struct pkt_pool pool;
	struct pkt *p[4];
	pkt_pool_init(&pool, 3, 1);
	for (int i = 0; i < 3; i++)
		ck_assert_ptr_nonnull(p[i] = pkt_alloc(&pool, 1500));
	ck_assert_ptr_null(pkt_alloc(&pool, 1500));
	ck_assert_uint_eq(pool.alloc_failures, 1);
	pkt_free(&pool, p[1]);
	ck_assert_ptr_eq(pkt_alloc(&pool, 100), p[1]); /* recycled */
	ck_assert_uint_eq(pool.allocated[PKT_CLASS_SMALL], 3);
	for (int i = 0; i < 3; i++)
		pkt_free(&pool, p[i]);
	ck_assert_uint_eq(pool.in_use[PKT_CLASS_SMALL], 0);
	pkt_pool_destroy(&pool);
}
END_TEST

START_TEST(test_size_selects_class)
{
	struct pkt_pool pool;
	pkt_pool_init(&pool, 4, 1);
	struct pkt *small = pkt_alloc(&pool, PKT_SMALL_CAP - PKT_HEADROOM);
	struct pkt *large = pkt_alloc(&pool, 65535);
	ck_assert_ptr_nonnull(small);
	ck_assert_ptr_nonnull(large);
	ck_assert_uint_eq(small->pkt_class, PKT_CLASS_SMALL);
	ck_assert_uint_eq(large->pkt_class, PKT_CLASS_LARGE);
	ck_assert_uint_ge(pkt_tailroom(large), 65535);
	ck_assert_ptr_null(pkt_alloc(&pool, 70000)); /* too big for any */
	ck_assert_ptr_null(pkt_alloc(&pool, 9000));  /* large class full */
	pkt_free(&pool, small);
	pkt_free(&pool, large);
	pkt_pool_destroy(&pool);
}
END_TEST

START_TEST(test_push_and_pull_respect_bounds)
{
	struct pkt_pool pool;
	pkt_pool_init(&pool, 1, 0);
	struct pkt *p = pkt_alloc(&pool, 10);
	ck_assert_uint_eq(pkt_headroom(p), PKT_HEADROOM);
	ck_assert_ptr_nonnull(pkt_push(p, PKT_HEADROOM));
	ck_assert_ptr_null(pkt_push(p, 1));
	ck_assert_ptr_nonnull(pkt_pull(p, PKT_HEADROOM));
	ck_assert_ptr_null(pkt_pull(p, 1));
	pkt_free(&pool, p);
	pkt_pool_destroy(&pool);
}
END_TEST

START_TEST(test_queue_is_fifo_and_counts_bytes)
{
	struct pkt_pool pool;
	struct pkt_queue q;
	pkt_pool_init(&pool, 3, 0);
	pkt_queue_init(&q);
	for (uint32_t i = 1; i <= 3; i++) {
		struct pkt *p = pkt_alloc(&pool, 100);
		p->len = i * 10;
		pkt_queue_push(&q, p);
	}
	ck_assert_uint_eq(q.count, 3);
	ck_assert_uint_eq(q.bytes, 60);
	struct pkt *p = pkt_queue_pop(&q);
	ck_assert_uint_eq(p->len, 10);
	pkt_free(&pool, p);
	ck_assert_uint_eq(q.bytes, 50);
	pkt_queue_purge(&q, &pool);
	ck_assert_uint_eq(q.count, 0);
	ck_assert_uint_eq(pool.in_use[PKT_CLASS_SMALL], 0);
	pkt_pool_destroy(&pool);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pkt");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_pool_stops_at_its_maximum);
	tcase_add_test(tc, test_size_selects_class);
	tcase_add_test(tc, test_push_and_pull_respect_bounds);
	tcase_add_test(tc, test_queue_is_fifo_and_counts_bytes);
	suite_add_tcase(s, tc);
	return t_run(s);
}
