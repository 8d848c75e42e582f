/*
 * counters.h - every counter the stack keeps, one list
 *
 * Each layer counts what it receives, sends and drops, with one counter
 * per drop reason, so that `utcpctl status` can say why a frame was
 * dropped. The list is an X-macro: the enum, the names and the status
 * output all come from it, so a new counter is one line here. TCP's
 * rules (tcp_rules.h) each add a counter, tcp_rule_<name>.
 */
#ifndef UTCP_COUNTERS_H
#define UTCP_COUNTERS_H

#include "tcp_rules.h"

/* One counter per TCP rule, named tcp_rule_<name> (tcp_rules.h). */
#define STACK_RULE_COUNTER(X, name, section, description) X(tcp_rule_##name)

#define STACK_COUNTERS(X)                                                      \
	X(eth_rx_frames)                                                       \
	X(eth_rx_drop_short)                                                   \
	X(eth_rx_drop_not_for_us)                                              \
	X(eth_rx_drop_ethertype)                                               \
	X(eth_tx_frames)                                                       \
	X(eth_tx_drop_no_buffer)                                               \
	X(arp_rx)                                                              \
	X(arp_rx_drop_malformed)                                               \
	X(arp_rx_drop_unsupported)                                             \
	X(arp_rx_drop_not_for_us)                                              \
	X(arp_requests_tx)                                                     \
	X(arp_replies_tx)                                                      \
	X(arp_gratuitous_tx)                                                   \
	X(arp_probes_tx) /* RFC 5227 probes of a DHCP offer */                 \
	X(arp_conflicts) /* another host claims a DHCP address */              \
	X(arp_cache_evictions)                                                 \
	X(arp_cache_full)                                                      \
	X(arp_resolve_timeouts)                                                \
	X(arp_hold_drop_full)                                                  \
	X(arp_hold_drop_timeout)                                               \
	X(ip_rx)                                                               \
	X(ip_rx_drop_short)                                                    \
	X(ip_rx_drop_version)                                                  \
	X(ip_rx_drop_ihl)                                                      \
	X(ip_rx_drop_checksum)                                                 \
	X(ip_rx_drop_total_length)                                             \
	X(ip_rx_drop_bad_source)                                               \
	X(ip_rx_drop_not_for_us)                                               \
	X(ip_rx_drop_wrong_if)                                                 \
	X(ip_rx_drop_protocol)                                                 \
	X(ip_rx_options)                                                       \
	X(ip_tx)                                                               \
	X(ip_tx_drop_no_route)                                                 \
	X(ip_tx_drop_no_buffer)                                                \
	X(ip_tx_drop_too_big)                                                  \
	X(ip_tx_fragments)                                                     \
	X(frag_rx)                                                             \
	X(frag_reassembled)                                                    \
	X(frag_drop_malformed)                                                 \
	X(frag_drop_overlap)                                                   \
	X(frag_drop_oversize)                                                  \
	X(frag_drop_too_many)                                                  \
	X(frag_drop_memory)                                                    \
	X(frag_drop_timeout)                                                   \
	X(icmp_rx)                                                             \
	X(icmp_rx_drop_short)                                                  \
	X(icmp_rx_drop_checksum)                                               \
	X(icmp_rx_echo_requests)                                               \
	X(icmp_rx_unreachable)                                                 \
	X(icmp_rx_other)                                                       \
	X(icmp_tx_echo_replies)                                                \
	X(icmp_tx_unreachable)                                                 \
	X(icmp_tx_time_exceeded)                                               \
	X(icmp_tx_rate_limited)                                                \
	X(icmp_tx_echo_requests) /* our own pings */                           \
	X(icmp_rx_echo_replies)                                                \
	X(icmp_rx_echo_unmatched) /* late, duplicate or not ours */            \
	X(icmp_echo_timeouts)                                                  \
	X(icmp_echo_table_full)                                                \
	X(udp_rx)                                                              \
	X(udp_rx_drop_short)                                                   \
	X(udp_rx_drop_length)                                                  \
	X(udp_rx_drop_checksum)                                                \
	X(udp_rx_no_port)                                                      \
	X(udp_rx_drop_queue_full)                                              \
	X(udp_tx)                                                              \
	X(udp_tx_drop_no_buffer)                                               \
	X(udp_tx_drop_addr_gone) /* bound to an address we lost */             \
	X(dhcp_rx)                                                             \
	X(dhcp_rx_drop_short) /* then one per dhcp_parse_error, in order */    \
	X(dhcp_rx_drop_header)                                                 \
	X(dhcp_rx_drop_magic)                                                  \
	X(dhcp_rx_drop_option_length)                                          \
	X(dhcp_rx_drop_option_empty)                                           \
	X(dhcp_rx_drop_option_size)                                            \
	X(dhcp_rx_drop_no_end)                                                 \
	X(dhcp_rx_drop_overload)                                               \
	X(dhcp_rx_drop_routes)                                                 \
	X(dhcp_rx_drop_name)                                                   \
	X(dhcp_rx_drop_msg_type)                                               \
	X(dhcp_tx)                                                             \
	X(tcp_rx_segments)                                                     \
	X(tcp_rx_drop_short)                                                   \
	X(tcp_rx_drop_offset)                                                  \
	X(tcp_rx_drop_options)                                                 \
	X(tcp_rx_drop_checksum)                                                \
	X(tcp_rx_drop_flags)                                                   \
	X(tcp_rx_drop_broadcast)                                               \
	X(tcp_rx_drop_out_of_window)                                           \
	X(tcp_rx_drop_paws)                                                    \
	X(tcp_rx_drop_bad_ack)                                                 \
	X(tcp_rx_drop_no_buffer)                                               \
	X(tcp_rx_no_conn)                                                      \
	X(tcp_rx_resets)                                                       \
	X(tcp_rx_ooo_segments)                                                 \
	X(tcp_rx_ooo_drop)                                                     \
	X(tcp_rx_ooo_pruned)                                                   \
	X(tcp_rx_ooo_compact)                                                  \
	X(tcp_rx_coalesced)                                                    \
	X(tcp_rx_drop_mem_pressure)                                            \
	X(tcp_rx_trim_mem_pressure) /* cut to the minimum, the rest dropped */ \
	X(tcp_rcvbuf_grown)	    /* auto-tuning grew a receive buffer */    \
	X(tcp_rcvbuf_grow_pressure) /* ... but the pool was under pressure */  \
	X(tcp_rx_dup_acks)                                                     \
	X(tcp_tx_segments)                                                     \
	X(tcp_tx_resets)                                                       \
	X(tcp_tx_drop_no_buffer)                                               \
	X(tcp_retransmits)                                                     \
	X(tcp_fast_retransmits)                                                \
	X(tcp_rto_timeouts)                                                    \
	X(tcp_spurious_retransmits)                                            \
	X(tcp_rx_dsacks)                                                       \
	X(tcp_tx_dsacks)                                                       \
	X(tcp_quick_acks)                                                      \
	X(tcp_rack_reo_timeouts)                                               \
	X(tcp_tlp_probes)                                                      \
	X(tcp_tlp_recoveries)                                                  \
	X(tcp_prr_bounded) /* PRR-SSRB held a recovery send below ssthresh */  \
	X(tcp_hystart_css_entries) /* the RTT grew: conservative slow start */ \
	X(tcp_hystart_css_resumes) /* ... it fell back: slow start again */    \
	X(tcp_hystart_exits)	   /* CSS ended slow start, before a loss */   \
	X(tcp_challenge_acks)                                                  \
	X(tcp_challenge_acks_limited)                                          \
	X(tcp_invalid_acks)                                                    \
	X(tcp_invalid_acks_limited)                                            \
	X(tcp_invalid_acks_global_limited)                                     \
	X(tcp_listen_overflow)                                                 \
	X(tcp_syn_cookies_sent)                                                \
	X(tcp_syn_cookies_ok)                                                  \
	X(tcp_syn_cookies_bad)                                                 \
	X(tcp_active_opens)                                                    \
	X(tcp_passive_opens)                                                   \
	X(tcp_conns_reset)                                                     \
	X(tcp_conns_timed_out)                                                 \
	X(tcp_conns_refused)                                                   \
	X(tcp_conns_addr_gone) /* failed: their local address went */          \
	X(tcp_time_wait_recycled)                                              \
	X(tcp_time_wait_reused)                                                \
	X(tcp_connect_time_wait_reused)                                        \
	X(tcp_connect_no_port)                                                 \
	X(tcp_keepalive_probes)                                                \
	X(tcp_zero_window_probes)                                              \
	X(tcp_conns_table_full)                                                \
	X(tcp_orphans_reset_limit)                                             \
	X(tcp_send_mem_waits)	   /* sends refused: chunk pool short */       \
	X(tcp_send_mem_wakeups)	   /* ... and woken when chunks came back */   \
	X(tcp_send_reserve_chunks) /* taken from the reserve, below min */     \
	X(tcp_orphans_reset_mem)   /* reset: chunks held, others waiting */    \
	X(tcp_enter_closed)                                                    \
	X(tcp_enter_syn_sent)                                                  \
	X(tcp_enter_syn_received)                                              \
	X(tcp_enter_established)                                               \
	X(tcp_enter_fin_wait_1)                                                \
	X(tcp_enter_fin_wait_2)                                                \
	X(tcp_enter_close_wait)                                                \
	X(tcp_enter_closing)                                                   \
	X(tcp_enter_last_ack)                                                  \
	X(tcp_enter_time_wait)                                                 \
	X(tcp_bad_transitions)                                                 \
	TCP_RULES(STACK_RULE_COUNTER, X)                                       \
	X(dhcp_reports_dropped) /* the report ring was full: oldest gone */    \
	X(stack_events_dropped)                                                \
	X(pkt_alloc_failures)                                                  \
	/* tcp_rx_drop_out_of_window by which edge of the receive window  */   \
	/* refused the segment (tcp_input.c, tcp_count_out_of_window)     */   \
	X(tcp_rx_drop_out_of_window_left)                                      \
	X(tcp_rx_drop_out_of_window_zero_window)                               \
	X(tcp_rx_drop_out_of_window_right)                                     \
	X(tcp_rx_drop_out_of_window_spans)

enum stack_counter {
#define STACK_COUNTER_ENUM(name) STACK_CTR_##name,
	STACK_COUNTERS(STACK_COUNTER_ENUM)
#undef STACK_COUNTER_ENUM
	    STACK_COUNTER_COUNT
};

/* The counter's name as status shows it ("ip_rx_drop_checksum"). */
const char *stack_counter_name(enum stack_counter c);

#endif
