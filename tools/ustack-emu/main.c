/*
 * ustack-emu: a network emulator as a bump in the wire between two interfaces, or, with
 * --cmd, a client that sends one configuration line to a running instance's control socket.
 * All the work is in the library (include/ustack/emu.h); this file parses options.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ustack/emu.h"

static volatile int stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ustack-emu --a SPEC --b SPEC [--config FILE] [--control PATH] [--seed N]\n"
		"                  [--tick NS] [--buffers N]\n"
		"       ustack-emu --control PATH --cmd 'LINE'\n"
		"\n"
		"Forwards every frame between interfaces a and b through the emulator: a->b is\n"
		"'out', b->a is 'in'. Frames no rule selects (and non-IP frames such as ARP,\n"
		"unless a rule for 'all' says otherwise) pass unshaped.\n"
		"\n"
		"  --a SPEC, --b SPEC  afpacket:IFNAME or tap:NAME\n"
		"  --config FILE       configuration lines (ipfw syntax, see docs/EMU.md)\n"
		"  --control PATH      UNIX socket taking the same lines at run time\n"
		"  --cmd 'LINE'        client mode: send LINE to --control PATH, print the reply\n"
		"  --seed N            PRNG seed (default 1): same seed, same random decisions\n"
		"  --tick NS           timer granularity in ns (default 20000)\n"
		"  --buffers N         packet buffers (default 65536)\n"
		"  --help              this text\n"
		"\n"
		"example: ustack-emu --a afpacket:veth1 --b afpacket:veth2 --control /run/emu.sock\n"
		"         ustack-emu --control /run/emu.sock --cmd 'pipe 1 config bw 5Mbit/s delay 20ms'\n");
}

static int parse_u64(const char *opt, const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (!*s || *end || errno || v > max || s[0] == '-') {
		fprintf(stderr, "ustack-emu: %s '%s': not a number (0..%llu)\n", opt, s, max);
		return -1;
	}
	*out = v;
	return 0;
}

static void log_line(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "ustack-emu: %s\n", msg);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "a", required_argument, NULL, 'a' },
		{ "b", required_argument, NULL, 'b' },
		{ "config", required_argument, NULL, 'c' },
		{ "control", required_argument, NULL, 'C' },
		{ "cmd", required_argument, NULL, 'm' },
		{ "seed", required_argument, NULL, 's' },
		{ "tick", required_argument, NULL, 't' },
		{ "buffers", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ust_emu_bump_config cfg = { .seed = 1, .stop = &stop_flag, .log = log_line };
	const char *cmd = NULL;
	unsigned long long v;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a': cfg.a_spec = optarg; break;
		case 'b': cfg.b_spec = optarg; break;
		case 'c': cfg.config_path = optarg; break;
		case 'C': cfg.control_path = optarg; break;
		case 'm': cmd = optarg; break;
		case 's':
			if (parse_u64("--seed", optarg, ~0ull, &v))
				return 2;
			cfg.seed = v;
			break;
		case 't':
			if (parse_u64("--tick", optarg, 1000000000ull, &v) || v == 0) {
				if (v == 0)
					fprintf(stderr, "ustack-emu: --tick '%s': must be > 0\n", optarg);
				return 2;
			}
			cfg.granularity_ns = v;
			break;
		case 'n':
			if (parse_u64("--buffers", optarg, 1u << 24, &v) || v < 256) {
				if (v < 256)
					fprintf(stderr, "ustack-emu: --buffers '%s': at least 256\n", optarg);
				return 2;
			}
			cfg.pool_buffers = (uint32_t)v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			fprintf(stderr, "ustack-emu: option '%s' needs a value\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "ustack-emu: unknown option '%s' (see --help)\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ustack-emu: unexpected argument '%s' (see --help)\n", argv[optind]);
		return 2;
	}
	if (cmd) {
		if (!cfg.control_path) {
			fprintf(stderr, "ustack-emu: --cmd needs --control PATH\n");
			return 2;
		}
		char out[65536];
		int err = ust_emu_control_send(cfg.control_path, cmd, out, sizeof(out));
		if (err == -EINVAL) {
			fprintf(stderr, "ustack-emu: %s", out);
			return 1;
		}
		if (err) {
			fprintf(stderr, "ustack-emu: --control '%s': %s\n", cfg.control_path, strerror(-err));
			return 1;
		}
		fputs(out, stdout);
		return 0;
	}
	if (!cfg.a_spec || !cfg.b_spec) {
		fprintf(stderr, "ustack-emu: %s is required (see --help)\n", !cfg.a_spec ? "--a" : "--b");
		return 2;
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return ust_emu_bump_run(&cfg) == 0 ? 0 : 1;
}
