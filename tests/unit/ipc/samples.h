/*
 * samples.h - status records for the ipc tests
 *
 * One record of each type with every field set, each unlike its
 * neighbours: test_ipc_vectors.c pins the bytes they encode to (so
 * these values must not change), test_ipc.c reads them back and pokes
 * at them.
 */
#ifndef UTCP_TEST_SAMPLES_H
#define UTCP_TEST_SAMPLES_H

#include "ipc.h"

static const struct ipc_record sample_records[] = {
    {.type = IPC_REC_DAEMON,
     .u.daemon = {.uptime_ms = 0x0102030405060708ull, .name = "utcpd-1"}},
    {.type = IPC_REC_INTERFACE,
     .u.iface = {.index = 2,
		 .name = "tap0",
		 .mac = {0x02, 0x00, 0x5e, 0x10, 0x20, 0x30},
		 .mtu = 1500,
		 .addr = 0x0a000002,
		 .prefix_len = 24,
		 .gateway = 0x0a000001}},
    {.type = IPC_REC_ROUTE,
     .u.route = {.dst = 0xc0a80000,
		 .prefix_len = 16,
		 .gateway = 0x0a0000fe,
		 .ifindex = 3,
		 .kind = IPC_ROUTE_STATIC}},
    {.type = IPC_REC_ARP,
     .u.arp = {.addr = 0x0a000001,
	       .mac = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef},
	       .ifindex = 4,
	       .state = IPC_ARP_REACHABLE,
	       .expires_ms = 0x1112131415161718ull,
	       .queued = 5}},
    {.type = IPC_REC_SOCKET,
     .u.socket = {.id = 6,
		  .protocol = IPC_PROTO_UDP,
		  .local_addr = 0x0a000002,
		  .local_port = 5353,
		  .remote_addr = 0x08080808,
		  .remote_port = 53,
		  .recv_queue = 7,
		  .recv_bytes = 0x00010203,
		  .rx = 0x2122232425262728ull,
		  .tx = 0x3132333435363738ull,
		  .drops = 0x4142434445464748ull}},
    {.type = IPC_REC_TCP,
     .u.tcp = {.id = 8,
	       .state = IPC_TCPS_FIN_WAIT_1,
	       .flags = IPC_TCP_F_ORPHAN,
	       .local_addr = 0x0a000002,
	       .remote_addr = 0x5db8d822,
	       .local_port = 40000,
	       .remote_port = 443,
	       .send_queue = 0x101,
	       .recv_queue = 0x202,
	       .snd_wnd = 0x303,
	       .rcv_wnd = 0x404,
	       .cwnd = 0x505,
	       .ssthresh = 0x606,
	       .mss = 1460,
	       .backlog = 0x707,
	       .srtt_us = 0x5152535455565758ull,
	       .rttvar_us = 0x6162636465666768ull,
	       .rto_ms = 0x7172737475767778ull,
	       .retransmits = 0x8182838485868788ull,
	       .bytes_sent = 0x9192939495969798ull,
	       .bytes_received = 0xa1a2a3a4a5a6a7a8ull}},
    {.type = IPC_REC_POOL,
     .u.pool = {.small_in_use = 1,
		.small_allocated = 2,
		.small_max = 3,
		.large_in_use = 4,
		.large_allocated = 5,
		.large_max = 6}},
    {.type = IPC_REC_COUNTER,
     .u.counter = {.value = 0xb1b2b3b4b5b6b7b8ull, .name = "tcp_rx_segments"}},
};

#define N_SAMPLE_RECORDS (sizeof(sample_records) / sizeof(sample_records[0]))

/* The record types added later (OWNER, LINK), in a sample of their own
 * so that the first sample's bytes stay as they were captured. */
static const struct ipc_record sample_records_added[] = {
    {.type = IPC_REC_OWNER,
     .u.owner = {.uid = 1000,
		 .clients = 0x11,
		 .udp = 0x2122,
		 .listeners = 0x31,
		 .connections = 0x41424344}},
    {.type = IPC_REC_LINK,
     .u.link = {.ifindex = 9,
		.syn_shed = 1,
		.syn_shed_times = 0xc1c2c3c4c5c6c7c8ull,
		.syn_drops = 0xd1d2d3d4d5d6d7d8ull,
		.kernel_drops = 0xe1e2e3e4e5e6e7e8ull}},
};

#define N_SAMPLE_RECORDS_ADDED                                                 \
	(sizeof(sample_records_added) / sizeof(sample_records_added[0]))

/* The records of DHCP and each interface's settings (version 2's
 * ROUTE_V2 among them), a sample of their own for the same reason. */
static const struct ipc_record sample_records_dhcp[] = {
    {.type = IPC_REC_ROUTE_V2,
     .u.route_v2 = {.dst = 0xc0a80000,
		    .prefix_len = 16,
		    .gateway = 0x0a0000fe,
		    .ifindex = 3,
		    .metric = 0x01020304,
		    .kind = IPC_ROUTE_DHCP}},
    {.type = IPC_REC_READY, .u.ready = {.ready = 1, .ready_at_ms = 0x1234}},
    {.type = IPC_REC_DHCP,
     .u.dhcp = {.ifindex = 1,
		.state = IPC_DHCP_RENEWING,
		.flags = IPC_DHCP_F_RUNNING | IPC_DHCP_F_BOUND,
		.prefix_len = 24,
		.addr = 0x0a000032,
		.server = 0x0a000001,
		.lease_s = 3600,
		.t1_s = 1800,
		.t2_s = 3150,
		.mtu = 1400,
		.t1_in_ms = 0x11,
		.t2_in_ms = 0x2122,
		.expires_in_ms = IPC_DHCP_NEVER,
		.tx_discover = 0x31,
		.tx_request = 0x32,
		.tx_decline = 0x33,
		.tx_release = 0x34,
		.rx_offer = 0x41,
		.rx_ack = 0x42,
		.rx_nak = 0x43,
		.rx_ignored = 0x51,
		.retransmits = 0x52,
		.declines = 0x53,
		.naks = 0x54,
		.expiries = 0x55,
		.corrections = 0x56}},
    {.type = IPC_REC_NETCONF,
     .u.netconf = {.ifindex = 1,
		   .flags = IPC_NETCONF_F_DHCP | IPC_NETCONF_F_CONFIGURED,
		   .address_source = IPC_SOURCE_LEASE,
		   .routes_source = IPC_SOURCE_LEASE,
		   .mtu_source = IPC_SOURCE_CONFIG,
		   .dns_source = IPC_SOURCE_CONFIG,
		   .domain_source = IPC_SOURCE_LEASE,
		   .search_source = IPC_SOURCE_LEASE,
		   .log_server_source = IPC_SOURCE_LEASE,
		   .ntp_source = IPC_SOURCE_NONE,
		   .log_port = 514,
		   .log_server = 0x0a000001,
		   .dns = {.n = 2, .a = {0x08080808, 0x01010101}},
		   .ntp = {.n = 0},
		   .domain = "example.test"}},
    {.type = IPC_REC_SEARCH, .u.search = {.ifindex = 1, .name = "a.test"}},
    {.type = IPC_REC_DHCP_OPTION,
     .u.dhcp_option = {.ifindex = 1,
		       .code = 1,
		       .value = {.n = 4, .b = {255, 255, 255, 0}}}},
    {.type = IPC_REC_DHCP_OPTION,
     .u.dhcp_option = {.ifindex = 1,
		       .code = 224,
		       .value = {.n = 3, .b = {0x00, 0x0a, 0xff}}}},
};

#define N_SAMPLE_RECORDS_DHCP                                                  \
	(sizeof(sample_records_dhcp) / sizeof(sample_records_dhcp[0]))

#endif
