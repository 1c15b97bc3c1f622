/*
 * The protocol modules every stack starts, in order. A module registers its IP handler
 * (ust__ipv4_register) and socket ops (ust__sock_register_ops) from init. TCP adds its
 * module here (one line) when it lands.
 */
#include <stddef.h>

#include "net/stack.h"
#include "net/tcp.h"

static const struct ust__module icmp_module = { .name = "icmp", .init = ust__icmp_module_init };
static const struct ust__module udp_module = { .name = "udp", .init = ust__udp_module_init };
static const struct ust__module tcp_module = { .name = "tcp", .init = ust__tcp_module_init,
					       .fini = ust__tcp_module_fini,
					       .counter_groups = ust__tcp_counter_groups,
					       .push = ust__tcp_push_corked };

const struct ust__module *const ust__modules[] = {
	&icmp_module,
	&udp_module,
	&tcp_module,
	NULL,
};
