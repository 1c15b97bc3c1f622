/*
 * Bump in the wire (ustack-emu): forwards every frame between two backends through one
 * emulator instance on the real clock, and serves a UNIX control socket that takes the
 * same configuration lines as the config file.
 *
 *   epoll(a, b, control, timerfd) -> rx a -> ust_emu_input(OUT) ... ust_emu_output(OUT) -> tx b
 *                                    rx b -> ust_emu_input(IN)  ... ust_emu_output(IN)  -> tx a
 *
 * The clock is read once per loop iteration and passed down; a timerfd armed at the
 * emulator's next deadline (absolute CLOCK_MONOTONIC, ns resolution) wakes the loop when a
 * frame is due. Control protocol: the client sends one line and shuts down its write side;
 * the reply is "ok\n" or "error: MESSAGE\n", followed by any output (show).
 * Owns the pool, both backends, the sockets and the instance for the duration of the run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/pktbuf.h"
#include "emu/emu.h"
#include "io/backend.h"

#define BUMP_BATCH 64u
#define BUMP_POOL_DEFAULT 65536u
#define BUMP_GRANULARITY_DEFAULT 20000ull	/* 20 us: real time, the timerfd does the rest */
#define CONTROL_REPLY_MAX 65536u

struct bump {
	const struct ust_emu_bump_config *cfg;
	struct ust_pool *pool;
	struct ust_backend *be[2];	/* a, b */
	struct ust_emu *emu;
	int ep, tfd, ctl;
	uint64_t armed;			/* deadline the timerfd is set to (0: none) */
};

static void logf_(const struct bump *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void logf_(const struct bump *b, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (b->cfg->log)
		b->cfg->log(b->cfg->log_arg, msg);
	else
		fprintf(stderr, "ustack-emu: %s\n", msg);
}

static int control_listen(struct bump *b, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		logf_(b, "--control '%s': path too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path);	/* a stale socket from an earlier run */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0) {
		int err = -errno;
		logf_(b, "--control '%s': %s", path, strerror(errno));
		close(fd);
		return err;
	}
	return fd;
}

static void write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t k = write(fd, p, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return;
		p += k;
		len -= (size_t)k;
	}
}

/* One command per connection; the client is local and quick, so a short blocking read. */
static void control_serve(struct bump *b, uint64_t now)
{
	int fd = accept4(b->ctl, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	struct timeval tv = { .tv_sec = 1 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char line[4200];
	size_t len = 0;
	while (len + 1 < sizeof(line)) {
		ssize_t k = read(fd, line + len, sizeof(line) - 1 - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		len += (size_t)k;
		if (memchr(line, '\n', len))
			break;
	}
	line[len] = '\0';
	char *nl = strchr(line, '\n');
	if (nl)
		*nl = '\0';
	char *out = malloc(CONTROL_REPLY_MAX);
	if (!out) {
		close(fd);
		return;
	}
	int err = ust_emu_command(b->emu, line, out, CONTROL_REPLY_MAX, now);
	if (err) {
		write_all(fd, "error: ", 7);
		write_all(fd, out, strlen(out));
		write_all(fd, "\n", 1);
		logf_(b, "control: refused '%s': %s", line, out);
	} else {
		write_all(fd, "ok\n", 3);
		write_all(fd, out, strlen(out));
		if (strncmp(line, "show", 4) && strstr(line, "show") == NULL)
			logf_(b, "control: applied '%s'", line);
	}
	free(out);
	close(fd);
}

/* Receive from one side into the emulator, then move whatever is due to the other side. */
static void pump(struct bump *b, uint64_t now)
{
	struct ust_pkt *pkts[BUMP_BATCH];
	for (int side = 0; side < 2; side++) {
		unsigned n;
		int rounds = 0;
		while ((n = ust_backend_rx(b->be[side], pkts, BUMP_BATCH, now)) > 0) {
			for (unsigned i = 0; i < n; i++)
				ust_emu_input(b->emu, side == 0 ? UST_EMU_DIR_OUT : UST_EMU_DIR_IN,
					      pkts[i], now);
			if (n < BUMP_BATCH || ++rounds == 8)
				break;	/* let the other side and the output have a turn */
		}
	}
	for (int dir = 0; dir < 2; dir++) {
		unsigned n;
		struct ust_backend *to = b->be[dir == UST_EMU_DIR_OUT ? 1 : 0];
		while ((n = ust_emu_output(b->emu, dir, pkts, BUMP_BATCH, now)) > 0)
			ust_backend_tx(to, pkts, n, now);
	}
}

static void arm_timer(struct bump *b)
{
	uint64_t d = ust_emu_next_deadline(b->emu);
	if (d == b->armed)
		return;
	struct itimerspec its = { 0 };
	if (d != UINT64_MAX) {
		if (d == 0)
			d = 1;	/* "now": an absolute time in the past fires at once */
		its.it_value.tv_sec = (time_t)(d / 1000000000ull);
		its.it_value.tv_nsec = (long)(d % 1000000000ull);
	}
	timerfd_settime(b->tfd, TFD_TIMER_ABSTIME, &its, NULL);
	b->armed = d == UINT64_MAX ? 0 : d;
}

static int add_fd(struct bump *b, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };
	return epoll_ctl(b->ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static void bump_close(struct bump *b)
{
	ust_emu_destroy(b->emu);
	ust_backend_close(b->be[0]);
	ust_backend_close(b->be[1]);
	ust_pool_destroy(b->pool);
	if (b->ep >= 0)
		close(b->ep);
	if (b->tfd >= 0)
		close(b->tfd);
	if (b->ctl >= 0) {
		close(b->ctl);
		unlink(b->cfg->control_path);
	}
}

int ust_emu_bump_run(const struct ust_emu_bump_config *cfg)
{
	struct bump b = { .cfg = cfg, .ep = -1, .tfd = -1, .ctl = -1 };
	int err;
	struct ust_pool_config pc = { .count = cfg->pool_buffers ? cfg->pool_buffers : BUMP_POOL_DEFAULT,
				      .buf_size = UST_PKT_BUF_SIZE_DEFAULT,
				      .headroom = UST_PKT_HEADROOM_DEFAULT };
	err = ust_pool_create(&b.pool, &pc);
	if (err) {
		logf_(&b, "cannot allocate %u packet buffers: %s", pc.count, strerror(-err));
		return err;
	}
	const char *spec[2] = { cfg->a_spec, cfg->b_spec };
	struct ust_backend_config bc = { .offload = false };
	for (int i = 0; i < 2; i++) {
		err = ust_backend_open(&b.be[i], spec[i], b.pool, &bc);
		if (err) {
			logf_(&b, "--%c '%s': %s", i ? 'b' : 'a', spec[i], strerror(-err));
			goto out;
		}
	}
	uint64_t now = ust_clock_now_ns();
	struct ust_emu_config ec = { .now = now, .seed = cfg->seed,
				     .granularity_ns = cfg->granularity_ns ? cfg->granularity_ns
									   : BUMP_GRANULARITY_DEFAULT,
				     .pool = { b.pool, b.pool } };
	err = ust_emu_create(&b.emu, &ec);
	if (err)
		goto out;
	if (cfg->config_path) {
		char msg[UST_EMU_MSG_MAX + 64];
		err = ust_emu_configure_file(b.emu, cfg->config_path, msg, sizeof(msg), now);
		if (err) {
			logf_(&b, "--config '%s': %s", cfg->config_path, msg);
			goto out;
		}
	}
	b.ep = epoll_create1(EPOLL_CLOEXEC);
	b.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (b.ep < 0 || b.tfd < 0) {
		err = -errno;
		goto out;
	}
	if (cfg->control_path) {
		b.ctl = control_listen(&b, cfg->control_path);
		if (b.ctl < 0) {
			err = b.ctl;
			goto out;
		}
		if ((err = add_fd(&b, b.ctl, 2)) != 0)
			goto out;
	}
	for (int i = 0; i < 2; i++) {
		int fd = ust_backend_fd(b.be[i]);
		if (fd < 0 || (err = add_fd(&b, fd, (uint32_t)i)) != 0) {
			logf_(&b, "--%c '%s': backend has no pollable descriptor", i ? 'b' : 'a', spec[i]);
			err = err ? err : -EINVAL;
			goto out;
		}
	}
	if ((err = add_fd(&b, b.tfd, 3)) != 0)
		goto out;
	logf_(&b, "forwarding %s <-> %s (seed %llu)", spec[0], spec[1],
	      (unsigned long long)cfg->seed);

	while (!cfg->stop || !*cfg->stop) {
		struct epoll_event evs[8];
		/* backends may hold frames that are not ready yet (e.g. a block not retired) */
		int timeout = 100;
		int n = epoll_wait(b.ep, evs, 8, timeout);
		if (n < 0 && errno != EINTR) {
			err = -errno;
			logf_(&b, "epoll_wait: %s", strerror(errno));
			goto out;
		}
		now = ust_clock_now_ns();
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u32 == 3) {
				uint64_t ticks;
				if (read(b.tfd, &ticks, sizeof(ticks)) < 0)
					(void)0;	/* EAGAIN: already consumed */
				b.armed = 0;
			} else if (evs[i].data.u32 == 2) {
				control_serve(&b, now);
			}
		}
		/* frames that became due while we worked go out now, not one wake-up later */
		for (int round = 0; round < 4; round++) {
			pump(&b, now);
			if (ust_emu_next_deadline(b.emu) > now)
				break;
			now = ust_clock_now_ns();
		}
		arm_timer(&b);
	}
	err = 0;
	logf_(&b, "stopping; %llu frames were still held", (unsigned long long)ust_emu_held(b.emu));
out:
	bump_close(&b);
	return err;
}

int ust_emu_control_send(const char *control_path, const char *line, char *out, size_t outlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (out && outlen)
		out[0] = '\0';
	if (strlen(control_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, control_path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	write_all(fd, line, strlen(line));
	write_all(fd, "\n", 1);
	shutdown(fd, SHUT_WR);
	char *buf = malloc(CONTROL_REPLY_MAX);
	size_t len = 0;
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t k = read(fd, buf + len, CONTROL_REPLY_MAX - 1 - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0 || len + (size_t)k >= CONTROL_REPLY_MAX - 1) {
			if (k > 0)
				len += (size_t)k;
			break;
		}
		len += (size_t)k;
	}
	close(fd);
	buf[len] = '\0';
	int err;
	const char *body;
	if (strncmp(buf, "ok\n", 3) == 0) {
		err = 0;
		body = buf + 3;
	} else if (strncmp(buf, "error: ", 7) == 0) {
		err = -EINVAL;
		body = buf + 7;
	} else {
		err = -EPROTO;
		body = buf;
	}
	if (out && outlen)
		snprintf(out, outlen, "%s", body);
	free(buf);
	return err;
}
