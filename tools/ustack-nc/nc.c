/*
 * ustack-nc: netcat on a user-level stack. Copies stdin to the peer and the peer to stdout,
 * over UDP (-u) or TCP, as client (HOST PORT) or server (-l PORT). The transport-specific part
 * sits behind a small ops table (nc_udp.c, nc_tcp.c) so both share this loop.
 *
 * The loop: one kernel epoll (struct ust_tool) holds the stack's fd, a signalfd and stdin, so
 * reading stdin never blocks the stack (which keeps answering ARP and pings). stdin is watched
 * only while the transport can take more data; a regular file or /dev/null (not pollable) is
 * read whenever the transport is ready.
 *
 * Owns: the stack, the sockets (through the transport), the stdin buffer.
 */
#include "nc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OPT_ECHO = UST_TOOL_OPT_FIRST_FREE, OPT_KEEPALIVE, OPT_RESET };
#define TAG_STDIN 1u
#define TAG_STDOUT 2u

static void usage(FILE *f)
{
	fputs("Usage: ustack-nc [options] --if SPEC --ip A.B.C.D/N HOST PORT\n"
	      "       ustack-nc [options] --if SPEC --ip A.B.C.D/N -l [-p] PORT\n"
	      "Netcat over a user-level stack: stdin to the peer, the peer to stdout.\n"
	      "  -u             UDP (default TCP); each read of stdin is one datagram\n"
	      "  -l             listen for a peer instead of connecting\n"
	      "  -p PORT        local port (the listening port with -l)\n"
	      "  -k             keep going: UDP answers whoever sent last; TCP accepts again\n"
	      "  -d             do not read stdin\n"
	      "  -q SECONDS     after EOF on stdin, quit after SECONDS (default: keep running\n"
	      "                 for UDP, half-close and wait for the peer for TCP)\n"
	      "  -v             report peers and each datagram/connection on stderr\n"
	      "  -N             accepted for OpenBSD nc compatibility, changes nothing: over TCP\n"
	      "                 EOF on stdin always shuts down the write side (shutdown(SHUT_WR))\n"
	      "                 and the program ends at the peer's EOF, as OpenBSD nc -N does\n"
	      "  -w SECONDS     TCP: give up a connect, or end an idle connection, after SECONDS\n"
	      "  --keepalive IDLE,INTVL,CNT  TCP: SO_KEEPALIVE with these TCP_KEEPIDLE,\n"
	      "                 TCP_KEEPINTVL (seconds) and TCP_KEEPCNT\n"
	      "  --reset        TCP: on EOF on stdin abort the connection (RST, SO_LINGER 0)\n"
	      "  --echo         send everything received back to its sender (implies -d)\n"
	      "TCP close waits up to 5 s for the peer to acknowledge all the data; if it\n"
	      "does not, the data may not have arrived: error, exit 1.\n"
	      "Signals: SIGINT/SIGTERM stop cleanly (exit 0).\n", f);
	ust_tool_common_usage(f);
}

static int parse_args(struct nc *nc, int argc, char **argv)
{
	static const struct option longopts[] = {
		UST_TOOL_COMMON_LONGOPTS,
		{ "echo", no_argument, NULL, OPT_ECHO },
		{ "keepalive", required_argument, NULL, OPT_KEEPALIVE },
		{ "reset", no_argument, NULL, OPT_RESET },
		{ NULL, 0, NULL, 0 },
	};
	struct ust_tool *t = &nc->tool;
	int opt, npos;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":ulp:kdq:vNw:", longopts, NULL)) != -1) {
		int rc = ust_tool_common_option(t, opt, optarg);

		if (rc < 0)
			return -1;
		if (rc > 0)
			continue;
		switch (opt) {
		case 'u':
			nc->udp = true;
			break;
		case 'l':
			nc->listen = true;
			break;
		case 'p':
			if (ust_tool_parse_port(t, "-p", optarg, &nc->lport) < 0)
				return -1;
			break;
		case 'k':
			nc->keep = true;
			break;
		case 'd':
			nc->no_stdin = true;
			break;
		case 'q':
			if (ust_tool_parse_seconds(t, "-q", optarg, 0, 86400, &nc->quit_after_ns) < 0)
				return -1;
			nc->quit_given = true;
			break;
		case 'v':
			nc->verbose = true;
			break;
		case 'N':
			nc->shut_net = true;
			break;
		case 'w':
			if (ust_tool_parse_seconds(t, "-w", optarg, 0.001, 86400, &nc->wait_ns) < 0)
				return -1;
			break;
		case OPT_KEEPALIVE:
			if (sscanf(optarg, "%d,%d,%d", &nc->ka_idle, &nc->ka_intvl, &nc->ka_cnt) != 3 ||
			    nc->ka_idle < 1 || nc->ka_intvl < 1 || nc->ka_cnt < 1 || nc->ka_idle > 86400 ||
			    nc->ka_intvl > 86400 || nc->ka_cnt > 127) {
				ust_tool_error(t, "--keepalive: '%s' is not IDLE,INTVL,CNT (seconds, seconds, count)",
					       optarg);
				return -1;
			}
			break;
		case OPT_RESET:
			nc->reset_on_eof = true;
			break;
		case OPT_ECHO:
			nc->echo = true;
			nc->no_stdin = true;
			break;
		default:
			ust_tool_bad_option(t, opt, argv);
			return -1;
		}
	}
	if (t->help)
		return 0;
	if (ust_tool_check_required(t) < 0)
		return -1;
	npos = argc - optind;
	if (nc->listen) {
		if (npos == 1) {
			if (ust_tool_parse_port(t, "PORT", argv[optind], &nc->lport) < 0)
				return -1;
		} else if (npos > 1) {
			ust_tool_error(t, "'%s': unexpected argument with -l", argv[optind + 1]);
			return -1;
		}
		if (!nc->lport) {
			ust_tool_error(t, "-l: needs a port (-l PORT or -l -p PORT)");
			return -1;
		}
	} else {
		if (npos != 2) {
			ust_tool_error(t, "%s (try --help)", npos < 2 ? "HOST PORT: missing"
							    : "too many arguments: expected HOST PORT");
			return -1;
		}
		if (ust_tool_parse_ipv4(t, "HOST", argv[optind], &nc->raddr.sin_addr) < 0)
			return -1;
		uint16_t port;

		if (ust_tool_parse_port(t, "PORT", argv[optind + 1], &port) < 0)
			return -1;
		nc->raddr.sin_family = AF_INET;
		nc->raddr.sin_port = htons(port);
	}
	return 0;
}

int nc_flush_stdout(struct nc *nc)
{
	while (nc->in_off < nc->in_len) {
		ssize_t n = write(nc->out_fd, nc->in + nc->in_off, nc->in_len - nc->in_off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;	/* the loop watches stdout for EPOLLOUT */
			ust_tool_error(&nc->tool, "stdout: %s", strerror(errno));
			return -1;
		}
		nc->in_off += (size_t)n;
	}
	nc->in_len = nc->in_off = 0;
	return 0;
}

int nc_write_stdout(struct nc *nc, const uint8_t *buf, size_t len)
{
	if (nc->out_nonblock && buf == nc->in && nc->in_len == 0) {
		nc->in_len = len;
		nc->in_off = 0;
		return nc_flush_stdout(nc);
	}
	while (len) {
		ssize_t n = write(nc->out_fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				usleep(1000);	/* non-blocking stdout someone else set: wait */
				continue;
			}
			ust_tool_error(&nc->tool, "stdout: %s", strerror(errno));
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void print_ready(struct nc *nc)
{
	uint8_t mac[6];

	if (!nc->verbose)
		return;
	ust_stack_mac(nc->tool.stack, mac);
	fprintf(stderr, "%s: on %s as %s, mac %02x:%02x:%02x:%02x:%02x:%02x\n", nc->tool.prog,
		nc->tool.cfg.ifspec, nc->tool.cfg.ip, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

/* Read one chunk of stdin into the outbound buffer (empty on entry). */
static void read_stdin(struct nc *nc, uint64_t now)
{
	ssize_t n = read(STDIN_FILENO, nc->out, nc->ops->max_chunk);

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		ust_tool_error(&nc->tool, "stdin: %s", strerror(errno));
		n = 0;
	}
	if (n == 0) {
		nc->stdin_eof = true;
		if (nc->stdin_watched)
			ust_tool_unwatch_fd(&nc->tool, STDIN_FILENO);
		nc->stdin_watched = false;
		if (nc->quit_given)
			nc->quit_at = now + nc->quit_after_ns;
		nc->ops->stdin_eof(nc);
		return;
	}
	nc->out_len = (size_t)n;
	nc->out_off = 0;
	nc->ops->flush(nc);
}

/*
 * TCP: a pipe or FIFO on stdout is reopened non-blocking through /proc (a new open file
 * description, so the flag does not leak to whoever shares the pipe). Anything else (a file,
 * a terminal, a socket) stays blocking: those do not stall for long.
 */
static void setup_stdout(struct nc *nc)
{
	struct stat sb;
	int fd;

	nc->out_fd = STDOUT_FILENO;
	if (nc->udp || fstat(STDOUT_FILENO, &sb) < 0 || !S_ISFIFO(sb.st_mode))
		return;
	fd = open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return;
	nc->out_fd = fd;
	nc->out_nonblock = true;
}

static void update_stdout_watch(struct nc *nc)
{
	bool want = nc->out_nonblock && nc->in_off < nc->in_len;

	if (want == nc->out_watched)
		return;
	if (want)
		ust_tool_watch_fd(&nc->tool, nc->out_fd, EPOLLOUT, TAG_STDOUT);
	else
		ust_tool_unwatch_fd(&nc->tool, nc->out_fd);
	nc->out_watched = want;
}

/* Watch stdin only while the transport can take data, so a readable stdin cannot spin us. */
static void update_stdin_watch(struct nc *nc, bool want)
{
	if (!nc->stdin_pollable || want == nc->stdin_watched)
		return;
	if (want)
		ust_tool_watch_fd(&nc->tool, STDIN_FILENO, EPOLLIN, TAG_STDIN);
	else
		ust_tool_unwatch_fd(&nc->tool, STDIN_FILENO);
	nc->stdin_watched = want;
	nc->stdin_readable = false;
}

static int run(struct nc *nc)
{
	struct ust_tool_event ev[4];

	setup_stdout(nc);
	nc->last_activity = ust_now();
	if (nc->ops->open(nc) < 0)
		return UST_TOOL_EXIT_RUNTIME;
	print_ready(nc);
	if (!nc->no_stdin) {
		/* Probe: epoll refuses regular files and /dev/null (EPERM); read those directly. */
		nc->stdin_pollable = ust_tool_watch_fd(&nc->tool, STDIN_FILENO, EPOLLIN, TAG_STDIN) == 0;
		if (nc->stdin_pollable)
			ust_tool_unwatch_fd(&nc->tool, STDIN_FILENO);
	}
	while (!nc->tool.stop_signal && !nc->done) {
		uint64_t until = nc->quit_at;
		bool want_stdin;

		nc->ops->poll(nc);
		if (nc->done)
			break;
		update_stdout_watch(nc);
		if (nc->wait_ns && !nc->udp && (!nc->listen || nc->connected)) {
			uint64_t idle_end = nc->last_activity + nc->wait_ns;

			if (ust_now() >= idle_end) {
				if (!nc->connected) {
					char a[INET_ADDRSTRLEN];

					inet_ntop(AF_INET, &nc->raddr.sin_addr, a, sizeof(a));
					ust_tool_error(&nc->tool, "connect to %s port %u: %s", a,
						       (unsigned)ntohs(nc->raddr.sin_port), strerror(ETIMEDOUT));
					nc->failed = true;
				}
				break;
			}
			if (idle_end < until)
				until = idle_end;
		}
		want_stdin = !nc->no_stdin && !nc->stdin_eof && nc->out_len == 0 && nc->ops->can_send(nc);
		update_stdin_watch(nc, want_stdin);
		if (want_stdin && (!nc->stdin_pollable || nc->stdin_readable)) {
			nc->stdin_readable = false;
			read_stdin(nc, ust_now());
			until = 0;	/* one turn without sleeping: poll the stack, look again */
		}
		if (ust_now() >= nc->quit_at)
			break;
		/* Data the stack refused for now (EAGAIN): retry soon even if no frame wakes us. */
		if (nc->out_len && until > ust_now() + 1000000ull)
			until = ust_now() + 1000000ull;
		int n = ust_tool_wait(&nc->tool, until, ev, 4);

		for (int i = 0; i < n; i++) {
			if (ev[i].tag == TAG_STDIN)
				nc->stdin_readable = true;
			if (ev[i].tag == TAG_STDOUT && nc_flush_stdout(nc) < 0)
				nc->failed = nc->done = true;
		}
	}
	nc->ops->close(nc);
	if (nc->out_watched)
		ust_tool_unwatch_fd(&nc->tool, nc->out_fd);
	if (nc->out_nonblock) {
		/* what the consumer has not taken yet: finish it blocking */
		int fl = fcntl(nc->out_fd, F_GETFL);

		if (fl >= 0)
			fcntl(nc->out_fd, F_SETFL, fl & ~O_NONBLOCK);
		if (nc->in_off < nc->in_len && nc_flush_stdout(nc) < 0)
			nc->failed = true;
		close(nc->out_fd);
	}
	if (nc->verbose)
		fprintf(stderr, "%s: sent %llu bytes in %llu writes, received %llu bytes in %llu reads\n",
			nc->tool.prog, (unsigned long long)nc->bytes_out, (unsigned long long)nc->chunks_out,
			(unsigned long long)nc->bytes_in, (unsigned long long)nc->chunks_in);
	return nc->failed ? UST_TOOL_EXIT_RUNTIME : UST_TOOL_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct nc nc;
	int status;

	memset(&nc, 0, sizeof(nc));
	nc.sd = nc.lsd = nc.epd = -1;
	nc.quit_at = UINT64_MAX;
	ust_tool_init(&nc.tool, "ustack-nc");
	if (parse_args(&nc, argc, argv) < 0)
		return UST_TOOL_EXIT_USAGE;
	if (nc.tool.help) {
		usage(stdout);
		return UST_TOOL_EXIT_OK;
	}
	nc.ops = nc.udp ? &nc_udp_ops : &nc_tcp_ops;
	nc.out = malloc(NC_BUF);
	nc.in = malloc(NC_BUF);
	if (!nc.out || !nc.in) {
		ust_tool_error(&nc.tool, "out of memory");
		status = UST_TOOL_EXIT_RUNTIME;
	} else if (ust_tool_open(&nc.tool) < 0) {
		status = UST_TOOL_EXIT_RUNTIME;
	} else {
		status = run(&nc);
	}
	ust_tool_close(&nc.tool);
	free(nc.out);
	free(nc.in);
	return status;
}
