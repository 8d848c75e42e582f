/*
 * tcp_rules.h - every rule µTCP applies, one list
 *
 * A rule is one case of the specification: a segment of some kind
 * arriving in some state, a timer expiring, a user call. The code that
 * applies a rule counts it (TCP_RULE(s, name), a counter named
 * tcp_rule_<name> that `utcpctl status` shows and tests assert on), so
 * the counters tell which rules a run exercised: the sans-IO form of
 * logging each rule applied.
 *
 * Names: where a rule does what a rule of the Netsem TCP specification
 * does (as its µTCP implementation lists them: deliver_in_N for
 * arriving segments, timer_tt_*_1 for timers), it has that name.
 * Otherwise it is named for what it does, and the section column says
 * where the behaviour is specified. Differences from Netsem worth
 * knowing: a RST at RCV.NXT in TIME-WAIT closes the connection
 * (rst_closing; Netsem's deliver_in_7c ignores it, as RFC 1337
 * suggests), and a SYN in a synchronized state gets a challenge ACK
 * (deliver_in_8, as µTCP does, RFC 5961 4.2). Every ACK these rules
 * send to an invalid segment (paws_reject, seq_unacceptable,
 * rst_challenge, deliver_in_8, ack_unsent, ack_too_old) is bounded per
 * connection and in all (tcp_invalid_ack() in tcp_input.c).
 *
 * Each entry is R(X, name, section, description); see counters.h for
 * how the list becomes counters.
 */
#ifndef UTCP_TCP_RULES_H
#define UTCP_TCP_RULES_H

/* clang-format off */
#define TCP_RULES(R, X)                                                        \
	/* A segment arrives: checks at the edge (tcp_input). */               \
	R(X, deliver_in_4, "RFC 9293 3.10.7",                                  \
	  "drop a malformed segment, or one to or from a broadcast or "        \
	  "unspecified address")                                               \
	R(X, deliver_in_3a, "RFC 9293 3.1",                                    \
	  "drop a segment whose checksum fails")                               \
	R(X, deliver_in_10, "RFC 9293 3.10.7",                                 \
	  "drop a flag combination no TCP sends: SYN with FIN or RST, or "     \
	  "none of SYN, ACK and RST")                                          \
	R(X, deliver_in_5, "RFC 9293 3.10.7.1",                                \
	  "no connection and no listener: answer with a reset")                \
	R(X, time_wait_syn_reopen, "RFC 9293 3.6.1, RFC 6191",                 \
	  "a newer SYN takes an orphan TIME-WAIT connection's 4-tuple")        \
	/* LISTEN (tcp_listen_input). */                                       \
	R(X, deliver_in_1, "RFC 9293 3.10.7.2",                                \
	  "passive open: a SYN at a listener makes a SYN-RECEIVED "            \
	  "connection, which sends a SYN-ACK")                                 \
	R(X, deliver_in_1b, "RFC 9293 3.10.7.2",                               \
	  "a listener gets an ACK that returns no valid SYN cookie: reset")    \
	R(X, deliver_in_7b, "RFC 9293 3.10.7.2",                               \
	  "a RST at a listener is ignored")                                    \
	R(X, listen_queue_full, "RFC 9293 3.10.7.2",                           \
	  "the accept queue is full: the SYN is dropped, the peer retries")    \
	R(X, syn_cookie_sent, "RFC 4987 3.6",                                  \
	  "the half-open bound is reached: a SYN cookie answers the SYN")      \
	R(X, syn_cookie_ack, "RFC 4987 3.6",                                   \
	  "an ACK returns a valid SYN cookie: a SYN-RECEIVED connection")      \
	R(X, syn_over_budget, "RFC 4987 3.1",                                  \
	  "more SYNs this turn than tcp_syn_turn_budget: dropped, the peer "   \
	  "retries")                                                           \
	/* SYN-SENT (tcp_syn_sent_in). */                                      \
	R(X, deliver_in_2, "RFC 9293 3.10.7.3",                                \
	  "active open: a SYN-ACK acknowledging our SYN, to ESTABLISHED")      \
	R(X, deliver_in_2a, "RFC 9293 3.10.7.3",                               \
	  "SYN-SENT: a bad ACK gets a reset; a RST without an acceptable "     \
	  "ACK, or a segment without SYN, is dropped")                         \
	R(X, deliver_in_2b, "RFC 9293 3.10.7.3",                               \
	  "simultaneous open: a SYN without ACK, to SYN-RECEIVED")             \
	R(X, deliver_in_7d, "RFC 9293 3.10.7.3",                               \
	  "SYN-SENT: a RST with an acceptable ACK, connection refused")        \
	/* The synchronized states (tcp_established_in). */                    \
	R(X, synack_resend, "RFC 9293 3.10.7.4",                               \
	  "SYN-RECEIVED: the peer's SYN again, so our SYN-ACK was lost: "      \
	  "resend it")                                                         \
	R(X, paws_reject, "RFC 7323 5.3",                                      \
	  "a timestamp older than TS.Recent: drop, send an ACK")               \
	R(X, seq_unacceptable, "RFC 9293 3.10.7.4 first check",               \
	  "outside the receive window: drop, send an ACK (a RST: drop)")       \
	R(X, zero_window_accept, "RFC 9293 3.10.7.4 first check",             \
	  "zero window and SEG.SEQ = RCV.NXT: keep ACK and RST, drop data")    \
	R(X, rst_challenge, "RFC 5961 3.2",                                    \
	  "an in-window RST not at RCV.NXT: a challenge ACK")                  \
	R(X, deliver_in_7, "RFC 9293 3.10.7.4 second check",                  \
	  "a RST at RCV.NXT in ESTABLISHED, FIN-WAIT or CLOSE-WAIT: reset")    \
	R(X, deliver_in_7a, "RFC 9293 3.10.7.4 second check",                 \
	  "a RST at RCV.NXT in SYN-RECEIVED: refused")                         \
	R(X, rst_closing, "RFC 9293 3.10.7.4 second check",                   \
	  "a RST at RCV.NXT in CLOSING, LAST-ACK or TIME-WAIT: closed")        \
	R(X, deliver_in_8, "RFC 5961 4.2",                                     \
	  "a SYN in a synchronized state: a challenge ACK")                    \
	R(X, ack_missing, "RFC 9293 3.10.7.4 fifth check",                    \
	  "no ACK bit: drop")                                                  \
	R(X, deliver_in_3c, "RFC 9293 3.10.7.4 fifth check",                  \
	  "SYN-RECEIVED: an ACK that does not acknowledge our SYN: reset")     \
	R(X, deliver_in_3d, "RFC 9293 3.10.7.4 fifth check",                  \
	  "SYN-RECEIVED: the ACK of our SYN, to ESTABLISHED")                  \
	R(X, deliver_in_3, "RFC 9293 3.10.7.4",                                \
	  "an acceptable segment in a synchronized state: its ACK, window, "   \
	  "data and FIN")                                                      \
	R(X, ack_unsent, "RFC 9293 3.10.7.4 fifth check",                     \
	  "an ACK of something not yet sent: drop, send an ACK")               \
	R(X, ack_too_old, "RFC 5961 5.2",                                      \
	  "an ACK below SND.UNA - MAX.SND.WND: drop, a challenge ACK")         \
	R(X, ack_new_data, "RFC 9293 3.10.7.4 fifth check",                   \
	  "new data acknowledged: SND.UNA advances")                           \
	R(X, dup_ack, "RFC 5681 2", "a duplicate ACK")                         \
	R(X, fast_retransmit, "RFC 6582 3.2 step 2",                           \
	  "the third duplicate ACK (no SACK): resend, enter fast recovery")    \
	R(X, recovery_partial_ack, "RFC 6582 3.2 step 4",                      \
	  "a partial ACK in recovery (no SACK): resend the next segment")      \
	R(X, recovery_end, "RFC 6582 3.2 step 3, RFC 6675 5",                  \
	  "a full acknowledgement ends fast recovery")                         \
	R(X, spurious_undo, "RFC 3522, RFC 4015",                              \
	  "the ACK echoes a timestamp from before the retransmission: "        \
	  "the window is restored")                                            \
	R(X, rack_recovery, "RFC 8985 6.2, RFC 6675 5",                        \
	  "RACK judged a segment lost: enter fast recovery")                   \
	R(X, window_update, "RFC 9293 3.10.7.4 fifth check",                  \
	  "SND.WND taken from a segment newer than SND.WL1, SND.WL2")          \
	R(X, our_fin_acked, "RFC 9293 3.10.7.4 fifth check",                  \
	  "our FIN acknowledged: FIN-WAIT-2, TIME-WAIT or CLOSED")             \
	R(X, data_in_order, "RFC 9293 3.10.7.4 seventh check",                \
	  "data at RCV.NXT: to the receive queue")                             \
	R(X, data_out_of_order, "RFC 9293 3.10.7.4 seventh check",            \
	  "data beyond RCV.NXT: held for reassembly, ACK at once")             \
	R(X, data_duplicate, "RFC 2883 4.1",                                   \
	  "data already received: trimmed, reported in a DSACK")               \
	R(X, data_beyond_window, "RFC 9293 3.10.7.4 seventh check",           \
	  "data beyond the window: trimmed, with a FIN after it")              \
	R(X, data_after_fin, "RFC 9293 3.10.7.4 seventh check",               \
	  "data after the peer's FIN: ignored")                                \
	R(X, data_after_close, "RFC 9293 3.6",                                 \
	  "data for a connection the user closed: reset")                      \
	R(X, data_no_buffer, "RFC 9293 3.8.6",                                 \
	  "no room for the data: dropped, ACK at once")                        \
	R(X, data_mem_pressure, "RFC 9293 3.8.6",                              \
	  "the pool under hard pressure and the data beyond the "              \
	  "connection's minimum: dropped, ACK at once")                        \
	R(X, data_ooo_pruned, "RFC 2018 8",                                    \
	  "out-of-order data pruned, the highest first, for memory: "          \
	  "SACK has the sender resend it")                                     \
	R(X, fin_in, "RFC 9293 3.10.7.4 eighth check",                        \
	  "a FIN at RCV.NXT: CLOSE-WAIT, CLOSING or TIME-WAIT")                \
	R(X, fin_in_time_wait, "RFC 9293 3.10.7.4 eighth check",              \
	  "a FIN again in TIME-WAIT: ACK it, restart the 2 MSL timeout")       \
	R(X, fin_out_of_order, "RFC 9293 3.10.7.4, RFC 5681 4.2",              \
	  "a FIN beyond RCV.NXT: remembered, ACK at once")                     \
	/* ICMP errors about a connection (tcp_icmp_error). */                 \
	R(X, icmp_refused, "RFC 9293 3.9.2.2, RFC 5927 4.1",                  \
	  "port or protocol unreachable while in SYN-SENT: refused")           \
	R(X, icmp_soft_error, "RFC 9293 3.9.2.2, RFC 5927 4.1",               \
	  "another ICMP error: kept, reported if the connection times out")    \
	R(X, local_unreachable, "RFC 1122 2.3.2.1, RFC 9293 3.9.2.2",          \
	  "SYN-SENT and the next hop never answered ARP: EHOSTUNREACH")        \
	R(X, icmp_out_of_window, "RFC 5927 4.1",                               \
	  "an ICMP error quoting a sequence number not in [SND.UNA, "          \
	  "SND.NXT): ignored")                                                 \
	/* Timers (tcp_timer.c). */                                            \
	R(X, timer_tt_rexmtsyn_1, "RFC 6298 5, RFC 9293 3.8.1",                \
	  "SYN-SENT: the SYN timed out, send it again, backed off")            \
	R(X, timer_tt_rexmt_1, "RFC 6298 5, RFC 8985 6.3",                     \
	  "retransmission timeout: back off, judge what is in flight lost, "   \
	  "resend")                                                            \
	R(X, rexmt_give_up, "RFC 9293 3.8.3",                                  \
	  "R2 retransmissions: reset, fail with ETIMEDOUT")                    \
	R(X, timer_tt_persist_1, "RFC 9293 3.8.6.1",                           \
	  "persist timer: probe a zero window, or push what SWS avoidance "    \
	  "held")                                                              \
	R(X, persist_give_up, "RFC 9293 3.8.6.1",                              \
	  "zero-window probes unanswered R2 times: reset, fail")               \
	R(X, persist_orphan_give_up, "RFC 9293 3.8.6.1",                       \
	  "an orphan's window stayed shut tcp_orphan_retries probes: reset "   \
	  "(beyond the RFC, as Linux)")                                        \
	R(X, timer_tt_delack_1, "RFC 9293 3.8.6.3",                            \
	  "the delayed ACK is due")                                            \
	R(X, keepalive_probe, "RFC 9293 3.8.4",                                \
	  "idle for the keepalive interval: a probe at SND.NXT - 1")           \
	R(X, keepalive_give_up, "RFC 9293 3.8.4",                              \
	  "keepalive probes unanswered: reset, fail with ETIMEDOUT")           \
	R(X, timer_tt_2msl_1, "RFC 9293 3.10.8",                               \
	  "TIME-WAIT is over: the connection closes")                          \
	R(X, timer_tt_fin_wait_2_1, "RFC 9293 3.6",                            \
	  "an orphan's FIN-WAIT-2 timed out (beyond the RFC, as BSD)")         \
	R(X, rack_reo_timeout, "RFC 8985 6.3",                                 \
	  "RACK's reordering window passed: judge losses again")               \
	R(X, tlp_probe, "RFC 8985 7.3",                                        \
	  "the probe timeout: send a loss probe")                              \
	/* User calls (tcp_user.c). */                                         \
	R(X, open_active, "RFC 9293 3.10.1",                                   \
	  "connect: a SYN-SENT connection, which sends its SYN")               \
	R(X, open_passive, "RFC 9293 3.10.1",                                  \
	  "listen: a listener")                                                \
	R(X, send_call, "RFC 9293 3.10.2",                                     \
	  "send: data queued, sent as the windows allow")                      \
	R(X, window_reopened, "RFC 9293 3.8.6.2.2",                            \
	  "receive: the window opened by a worthwhile amount, tell the peer")  \
	R(X, shutdown_call, "RFC 9293 3.10.4",                                 \
	  "shutdown: a FIN follows the data")                                  \
	R(X, close_call, "RFC 9293 3.10.4",                                    \
	  "close: a FIN follows the data, the connection is orphaned")         \
	R(X, close_linger_zero, "RFC 9293 3.10.5",                             \
	  "close with SO_LINGER 0: ABORT, RST unless nothing is left")        \
	R(X, close_orphans_full, "RFC 9293 3.10.4",                            \
	  "close with tcp_orphans_max orphans held: reset (beyond the RFC, "   \
	  "as Linux)")                                                         \
	R(X, close_unread_reset, "RFC 9293 3.6",                               \
	  "close with data not read: reset, the peer learns it was lost")      \
	R(X, abort_call, "RFC 9293 3.10.5",                                    \
	  "abort: reset")                                                      \
	R(X, listen_close, "RFC 9293 3.10.4",                                  \
	  "a listener closes: connections not yet accepted are reset")
/* clang-format on */

#endif
