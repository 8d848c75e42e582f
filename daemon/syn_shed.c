/*
 * syn_shed.c - shedding a SYN flood at the TAP: when, and the filter
 *
 * Theory of operation. The stack answers a bounded number of SYNs per
 * turn and drops the rest, counting them on the interface they came in
 * on; but a flood the daemon cannot read as fast as it comes fills the
 * kernel's queue in front of the TAP, and the kernel then drops frames
 * of every kind alike, established connections' included. So while the
 * stack drops more than SYN_SHED_TRIGGER SYNs of one interface within a
 * second, a classic BPF filter on that TAP (and on no other) lets one
 * pure SYN in SYN_SHED_KEEP through, at random, and every other frame:
 * a genuine client still gets through on a retry or two, and the rest
 * of the flood is dropped by the kernel on the sender's time. After
 * SYN_SHED_WINDOW_NS without such a second the filter comes off.
 *
 * syn_shed_step() is the decision, one interface at a time and pure
 * (tap.c attaches and detaches); the drops are counted per interface
 * (stack_if_info's syn_over_budget), so a flood on one TAP never
 * filters another's SYNs.
 */
#include "syn_shed.h"

enum syn_shed_change syn_shed_step(struct syn_shed *sh, uint64_t drops,
				   uint64_t now)
{
	uint64_t fresh = drops - sh->seen;

	sh->seen = drops;
	if (now - sh->window >= SYN_SHED_WINDOW_NS) {
		sh->window = now;
		sh->in_window = 0;
	}
	sh->in_window += fresh;
	if (sh->in_window > SYN_SHED_TRIGGER) {
		sh->until = now + SYN_SHED_WINDOW_NS;
		if (sh->on)
			return SYN_SHED_SAME;
		sh->on = true;
		sh->times_on++;
		return SYN_SHED_ATTACH;
	}
	if (sh->on && now >= sh->until) {
		sh->on = false;
		return SYN_SHED_DETACH;
	}
	return SYN_SHED_SAME;
}

/* On the Ethernet frame as the TAP queues it: IPv4, TCP, first
 * fragment, flags SYN alone among SYN, ACK, RST and FIN: kept when a
 * random number is 0 modulo SYN_SHED_KEEP. Everything else passes. */
static struct sock_filter syn_shed_code[] = {
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),		/* ethertype */
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, 0, 10), /* IPv4? */
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),		/* protocol */
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 6, 0, 8),	/* TCP? */
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),		/* fragment */
    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 6, 0), /* not first */
    BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),		/* X = IHL * 4 */
    BPF_STMT(BPF_LD | BPF_B | BPF_IND, 14 + 13),	/* TCP flags */
    BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x17),		/* SYN ACK RST FIN */
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x02, 0, 2),	/* SYN alone? */
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_RANDOM),
    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, SYN_SHED_KEEP - 1, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, 0xffffffffu), /* pass */
    BPF_STMT(BPF_RET | BPF_K, 0),	    /* drop */
};

void syn_shed_filter(struct sock_fprog *prog)
{
	prog->len = sizeof(syn_shed_code) / sizeof(syn_shed_code[0]);
	prog->filter = syn_shed_code;
}
