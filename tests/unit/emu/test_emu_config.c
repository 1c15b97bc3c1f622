/*
 * Configuration language: every documented form is accepted, bad lines are refused with a
 * message naming the word at fault, and a refused line changes nothing (the instance's
 * "show" output is byte-for-byte the same before and after).
 */
#include "emu_test_util.h"

#include <unistd.h>

struct fixture {
	struct ust_pool *pool;
	struct ust_emu *emu;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->pool = t_pool(256);
	f->emu = t_emu(f->pool, 1, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	ust_emu_destroy(f->emu);
	ust_pool_destroy(f->pool);
	free(f);
	return 0;
}

static void accepted(struct ust_emu *emu, const char *line)
{
	char msg[1024];
	int err = ust_emu_command(emu, line, msg, sizeof(msg), 0);
	if (err)
		fail_msg("'%s' refused: %s", line, msg);
}

/* Refused, the message names `word`, and show is unchanged. */
static void refused(struct ust_emu *emu, const char *line, const char *word)
{
	static char before[65536], after[65536];
	char msg[1024];
	ust_emu_command(emu, "show", before, sizeof(before), 0);
	int err = ust_emu_command(emu, line, msg, sizeof(msg), 0);
	if (err != -EINVAL)
		fail_msg("'%s' accepted (err %d)", line, err);
	if (!strstr(msg, word))
		fail_msg("'%s': message '%s' does not name '%s'", line, msg, word);
	ust_emu_command(emu, "show", after, sizeof(after), 0);
	/* the counter line differs (config_refused); compare everything before it */
	char *cb = strstr(before, "# counters:"), *ca = strstr(after, "# counters:");
	if (cb)
		*cb = '\0';
	if (ca)
		*ca = '\0';
	if (strcmp(before, after) != 0)
		fail_msg("'%s' changed the configuration:\n%s\n---\n%s", line, before, after);
}

static void test_emu_config_documented_forms(void **state)
{
	struct fixture *f = *state;
	static const char *const lines[] = {
		"pipe 1 config bw 10Mbit/s delay 20ms queue 50 plr 0.01",
		"pipe 2 config bw 1MByte/s queue 100KBytes",
		"pipe 3 config bw 1.5Mbit/s delay 1.5ms",
		"ipfw pipe 10 config bw 256 Kbit/s delay 20ms",
		"ipfw pipe 11 config bw 4 Mbit/s delay 5ms",
		"pipe 4 config bw 0 delay 0",
		"pipe 5 config bw 100 delay 20",
		"pipe 6 config bw 1Gbit/s delay 100us queue 1000 red 0.002/30/80/0.1",
		"pipe 7 config bw 10Mbit/s queue 100 gred 0.002/30/80/0.1",
		"pipe 8 config bw 10Mbit/s burst 15KBytes",
		"pipe 9 config bw 2Mbit/s jitter 5ms normal",
		"pipe 12 config jitter 5ms pareto reorder 0.1 delay 3ms dup 1% corrupt 0.001",
		"pipe 13 config ge 0.01 0.3 0 1 reorder gap 5",
		"pipe 14 config bw 1Mbit/s type drr quantum 3000",
		"ipfw pipe 15 config sched qfq mask src-ip 0xffffff00 bw 1 Mbit/s",
		"pipe 16 config bw 1Mbit/s mask dst-ip /24 src-port 0xffff flows 100 buckets 64",
		"pipe 17 config bw 1Mbit/s mask all",
		"sched 18 config type wf2q+",
		"sched 19 config type prio mask proto 0xff",
		"sched 1 config type fifo",
		"ipfw queue 1 config pipe 15 weight 10 mask src-ip 0xffffffff",
		"ipfw queue 2 config pipe 15 weight 4 mask src-ip 0xffffffff",
		"queue 3 config sched 19 priority 7 queue 20KBytes plr 0.5%",
		"add 100 pipe 1 ip from any to any",
		"add 110 prob 0.5 pipe 2 tcp from 10.0.0.0/8 80,443,1000-2000 to not 10.1.2.3 out",
		"add 120 queue 1 udp from 10.0.0.1:255.255.0.0 to any 53 in",
		"add 130 deny icmp from any to any",
		"add 140 allow all from any to any",
		"ipfw add 100 pipe 10 out dst-port 2000-3000",
		"ipfw add 200 pipe 11 in src-port 2000-3000",
		"ipfw add 300 allow ip from any to any",
		"ipfw add 100 queue 1 in dst-port 22,53",
		"ipfw add 200 queue 2 in dst-port any",
		"add pipe 3 proto 17 src-ip 192.168.0.0/16 dst-ip any",
		"# a comment",
		"",
		"pipe 3 config bw 2Mbit/s   # reconfigure in place",
		"delete 130",
		"delete 110 120",
		"queue 3 delete",
		"pipe delete 13 14",
		"sched 19 delete",
		"show",
		"pipe show",
		"flush",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		accepted(f->emu, lines[i]);
}

static void test_emu_config_refuses_naming_word(void **state)
{
	struct fixture *f = *state;
	accepted(f->emu, "pipe 1 config bw 10Mbit/s delay 20ms");
	accepted(f->emu, "queue 1 config pipe 1 weight 5");
	accepted(f->emu, "add 100 pipe 1 ip from any to any");

	char msg[512];
	assert_int_equal(ust_emu_command(f->emu, "pipe 1 config bw 10Mbps", msg, sizeof(msg), 0),
			 -EINVAL);
	assert_string_equal(msg, "pipe 1 config: 'bw': '10Mbps' is not a bandwidth (use 10Mbit/s)");

	refused(f->emu, "pipe 1 config bw 10Mbps", "10Mbps");
	refused(f->emu, "pipe 1 config bw 5Mbit/s delay 20parsecs", "20parsecs");
	refused(f->emu, "pipe 1 config bw 5Mbit/s queue lots", "lots");
	refused(f->emu, "pipe 1 config bw 5Mbit/s plr 1.5", "1.5");
	refused(f->emu, "pipe 1 config bw 5Mbit/s plr", "plr");
	refused(f->emu, "pipe 1 config bw 5Mbit/s red 0.002/80/30/0.1", "0.002/80/30/0.1");
	refused(f->emu, "pipe 1 config bw 5Mbit/s queue 10 red 0.002/5/15/0.1", "max_th");
	refused(f->emu, "pipe 1 config bw 5Mbit/s sched wfq", "wfq");
	refused(f->emu, "pipe 1 config bw 5Mbit/s mask src-ip 0x2ffffff00", "0x2ffffff00");
	refused(f->emu, "pipe 1 config bw 5Mbit/s mask src-ip 0xff00ffffff00", "0xff00ffffff00");
	refused(f->emu, "pipe 1 config bw 5Mbit/s mask", "mask");
	refused(f->emu, "pipe 1 config bw 5Mbit/s frobnicate 3", "frobnicate");
	refused(f->emu, "pipe 1 config profile /nonexistent/profile", "/nonexistent/profile");
	refused(f->emu, "pipe 1 config trace /nonexistent/trace", "/nonexistent/trace");
	refused(f->emu, "pipe 0 config bw 1Mbit/s", "'0'");
	refused(f->emu, "pipe 70000 config bw 1Mbit/s", "70000");
	refused(f->emu, "pipe x config", "'x'");
	refused(f->emu, "pipe 1 reconfigure", "reconfigure");
	refused(f->emu, "queue 2 config weight 3", "pipe");
	refused(f->emu, "queue 2 config pipe 1 weight 0", "'0'");
	refused(f->emu, "queue 2 config pipe 1 priority 99", "99");
	refused(f->emu, "sched 2 config type bogus", "bogus");
	refused(f->emu, "add 200 pipe x ip from any to any", "'x'");
	refused(f->emu, "add 200 shape 1 ip from any to any", "shape");
	refused(f->emu, "add 200 pipe 1 xtp from any to any", "xtp");
	refused(f->emu, "add 200 pipe 1 ip from 10.0.0.300 to any", "10.0.0.300");
	refused(f->emu, "add 200 pipe 1 ip from 10.0.0.0/33 to any", "10.0.0.0/33");
	refused(f->emu, "add 200 pipe 1 ip from any 80-20 to any", "80-20");
	refused(f->emu, "add 200 pipe 1 ip from any to any 70000", "70000");
	refused(f->emu, "add 200 pipe 1 ip from any any", "any");
	refused(f->emu, "add 200 pipe 1 ip from any to any sideways", "sideways");
	refused(f->emu, "add 200 prob 2 pipe 1 ip from any to any", "'2'");
	refused(f->emu, "delete 555", "555");
	refused(f->emu, "delete 100 555", "555");
	refused(f->emu, "pipe 7 delete", "'7'");
	refused(f->emu, "queue 7 delete", "'7'");
	refused(f->emu, "teleport 1", "teleport");
	/* the good configuration is still there */
	char out[4096];
	assert_int_equal(ust_emu_command(f->emu, "show", out, sizeof(out), 0), 0);
	assert_non_null(strstr(out, "pipe 1 config bw 10Mbit/s delay 20ms"));
	assert_non_null(strstr(out, "queue 1 config pipe 1"));
	assert_non_null(strstr(out, "add 00100 pipe 1 ip from any to any"));
	assert_true(ust_emu_counter(f->emu, "config_refused") > 30);
}

static void test_emu_config_show_round_trip(void **state)
{
	struct fixture *f = *state;
	accepted(f->emu, "pipe 1 config bw 1500Kbit/s delay 250us queue 20KBytes plr 0.25 type drr quantum 3000 mask src-ip 0xffffff00");
	accepted(f->emu, "queue 4 config pipe 1 weight 7 priority 2 queue 30 red 0.5/5/10/0.25");
	accepted(f->emu, "add 10 prob 0.5 queue 4 tcp from 10.1.0.0/16 22,1000-2000 to not 10.2.3.4 out");
	/* non-default buckets and flows: show prints "queue 50 buckets 64", which must re-apply */
	accepted(f->emu, "pipe 2 config bw 10Mbit/s queue 50 flows 100 buckets 64 burst 3000Bytes");
	accepted(f->emu, "queue 5 config pipe 2 queue 40 buckets 8");
	char a[4096], b[4096];
	assert_int_equal(ust_emu_command(f->emu, "show", a, sizeof(a), 0), 0);
	/* replay every non-comment line of show into a fresh instance: same show */
	struct ust_emu *e2 = t_emu(f->pool, 1, 0);
	char copy[4096];
	strcpy(copy, a);
	char *save = NULL;
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (l[0] != '#')
			accepted(e2, l);
	assert_int_equal(ust_emu_command(e2, "show", b, sizeof(b), 0), 0);
	/* statistics comments differ (rule counters are zero in both; config counters not) */
	*strstr(a, "# counters:") = '\0';
	*strstr(b, "# counters:") = '\0';
	assert_string_equal(a, b);
	assert_non_null(strstr(a, "buckets 64"));
	assert_non_null(strstr(a, "buckets 8"));
	ust_emu_destroy(e2);
	/* and ust_emu_configure, which replays show on a scratch instance, keeps working */
	char msg[256];
	assert_int_equal(ust_emu_configure(f->emu, "pipe 3 config bw 1Mbit/s\n", msg, sizeof(msg), 0), 0);
	assert_int_equal(ust_emu_configure(f->emu, "pipe 4 config bw 1Mbit/s\n", msg, sizeof(msg), 0), 0);
	assert_non_null(ust__emu_pipe_find(f->emu, 4));
}

/*
 * A slot count after "queue" is followed by another option whose name starts like a unit
 * letter (b, B, K, M, G): the option is not eaten as a unit. Separate unit words still work.
 */
static void test_emu_config_queue_then_option(void **state)
{
	struct fixture *f = *state;
	const struct ust_emu_pipe *p;
	accepted(f->emu, "pipe 1 config queue 50 bw 10Mbit/s");
	p = ust__emu_pipe_find(f->emu, 1);
	assert_int_equal(p->fs_default->cfg.qlimit_slots, 50);
	assert_int_equal(p->fs_default->cfg.qlimit_bytes, 0);
	assert_int_equal(p->link.bw_bps, 10000000);
	accepted(f->emu, "pipe 2 config queue 50 burst 15KBytes");
	p = ust__emu_pipe_find(f->emu, 2);
	assert_int_equal(p->fs_default->cfg.qlimit_slots, 50);
	assert_int_equal(p->link.burst_bytes, 15 * 1024);
	accepted(f->emu, "pipe 3 config queue 50 buckets 64 bandwidth 1Mbit/s");
	p = ust__emu_pipe_find(f->emu, 3);
	assert_int_equal(p->fs_default->cfg.qlimit_slots, 50);
	assert_int_equal(p->fs_default->cfg.buckets, 64);
	assert_int_equal(p->link.bw_bps, 1000000);
	accepted(f->emu, "pipe 4 config queue 50 Bytes");	/* "50 Bytes": a unit word */
	assert_int_equal(ust__emu_pipe_find(f->emu, 4)->fs_default->cfg.qlimit_bytes, 50);
	accepted(f->emu, "pipe 5 config queue 100 KBytes bw 1Mbit/s");
	p = ust__emu_pipe_find(f->emu, 5);
	assert_int_equal(p->fs_default->cfg.qlimit_bytes, 100 * 1024);
	assert_int_equal(p->link.bw_bps, 1000000);
	accepted(f->emu, "pipe 6 config queue 2MBytes burst 1500 B");
	p = ust__emu_pipe_find(f->emu, 6);
	assert_int_equal(p->fs_default->cfg.qlimit_bytes, 2 * 1024 * 1024);
	assert_int_equal(p->link.burst_bytes, 1500);
	accepted(f->emu, "pipe 7 config queue 1500B burst 15 KB");
	p = ust__emu_pipe_find(f->emu, 7);
	assert_int_equal(p->fs_default->cfg.qlimit_bytes, 1500);
	assert_int_equal(p->link.burst_bytes, 15 * 1024);
	accepted(f->emu, "queue 1 config pipe 1 queue 30 buckets 16 weight 3");
	const struct ust_emu_flowset *fs = ust__emu_flowset_find(f->emu, 1);
	assert_int_equal(fs->cfg.qlimit_slots, 30);
	assert_int_equal(fs->cfg.buckets, 16);
	assert_int_equal(fs->cfg.weight, 3);
	/* a word that only starts like a unit is still refused where a unit is required */
	refused(f->emu, "pipe 8 config queue 50 Bogus", "Bogus");
	refused(f->emu, "pipe 8 config queue 50Kbits", "50Kbits");
}

/* "quantum" on an existing pipe without "type" applies to the scheduler it keeps. */
static void test_emu_config_quantum_kept_type(void **state)
{
	struct fixture *f = *state;
	accepted(f->emu, "pipe 1 config bw 1Mbit/s type drr");
	accepted(f->emu, "pipe 1 config bw 1Mbit/s quantum 3000");
	const struct ust_emu_pipe *p = ust__emu_pipe_find(f->emu, 1);
	assert_ptr_equal(p->sched.alg, &ust__emu_sched_drr);
	assert_int_equal(p->sched.quantum, 3000);
	/* without quantum the line keeps it, as it keeps the type */
	accepted(f->emu, "pipe 1 config bw 2Mbit/s");
	assert_int_equal(ust__emu_pipe_find(f->emu, 1)->sched.quantum, 3000);
	accepted(f->emu, "sched 2 config type drr");
	accepted(f->emu, "pipe 2 config bw 1Mbit/s quantum 1514");
	assert_int_equal(ust__emu_pipe_find(f->emu, 2)->sched.quantum, 1514);
	accepted(f->emu, "sched 2 config type drr quantum 5000");
	assert_int_equal(ust__emu_pipe_find(f->emu, 2)->sched.quantum, 5000);
	char out[4096];
	assert_int_equal(ust_emu_command(f->emu, "show", out, sizeof(out), 0), 0);
	assert_non_null(strstr(out, "type drr quantum 3000"));
	assert_non_null(strstr(out, "type drr quantum 5000"));
}

/* "show" output without its last line (counters: refusals are counted, by design). */
static void show_config(struct ust_emu *emu, char *out, size_t outlen)
{
	assert_int_equal(ust_emu_command(emu, "show", out, outlen, 0), 0);
	char *counters = strstr(out, "# counters:");
	assert_non_null(counters);
	*counters = '\0';
}

static void test_emu_config_files(void **state)
{
	struct fixture *f = *state;
	char dir[] = "/tmp/ust-emu-cfg-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char prof[128], trace[128], cfg[128], bad[128], msg[512];
	snprintf(prof, sizeof(prof), "%s/profile", dir);
	snprintf(trace, sizeof(trace), "%s/trace", dir);
	snprintf(cfg, sizeof(cfg), "%s/emu.conf", dir);
	snprintf(bad, sizeof(bad), "%s/bad.conf", dir);
	FILE *fp = fopen(prof, "w");
	fprintf(fp, "name wifi\nsamples 100\nbw 1Mbit/s\nloss-level 0.9\nprob delay\n0.0 1\n1.0 3\n");
	fclose(fp);
	fp = fopen(trace, "w");
	fprintf(fp, "1\n1\n2\n4\n");
	fclose(fp);
	fp = fopen(cfg, "w");
	fprintf(fp, "# test\npipe 1 config bw 1Mbit/s profile %s\npipe 2 config trace %s delay 10ms\n"
		    "add 100 pipe 1 ip from any to any out\nadd 200 pipe 2 ip from any to any in\n",
		prof, trace);
	fclose(fp);
	fp = fopen(bad, "w");
	fprintf(fp, "pipe 3 config bw 1Mbit/s\npipe 4 config bw fast\n");
	fclose(fp);
	assert_int_equal(ust_emu_configure_file(f->emu, cfg, msg, sizeof(msg), 0), 0);
	char before[4096], after[4096];
	show_config(f->emu, before, sizeof(before));
	assert_int_equal(ust_emu_configure_file(f->emu, bad, msg, sizeof(msg), 0), -EINVAL);
	assert_non_null(strstr(msg, "line 2:"));
	assert_non_null(strstr(msg, "'fast'"));
	/* all or nothing: line 1 (pipe 3) was good, yet nothing was applied */
	show_config(f->emu, after, sizeof(after));
	assert_string_equal(before, after);
	assert_null(strstr(after, "pipe 3 "));
	/* a text that changes and deletes existing objects, then fails, also changes nothing */
	assert_int_equal(ust_emu_configure(f->emu, "pipe 1 config bw 2Mbit/s\ndelete 100\n"
				 "add 300 pipe 9 ip from any to any\nqueue 1 config pipe 1 weight 0\n",
				 msg, sizeof(msg), 0), -EINVAL);
	assert_non_null(strstr(msg, "line 4:"));
	show_config(f->emu, after, sizeof(after));
	assert_string_equal(before, after);

	/*
	 * The profile and trace files are deleted after loading: later configures still work
	 * (the scratch replay uses the data in memory), a failing one still changes nothing.
	 */
	unlink(prof);
	unlink(trace);
	assert_int_equal(ust_emu_configure(f->emu, "pipe 3 config bw 3Mbit/s\n", msg, sizeof(msg), 0), 0);
	show_config(f->emu, before, sizeof(before));
	assert_non_null(strstr(before, "pipe 3 config bw 3Mbit/s"));
	assert_non_null(strstr(before, " profile "));
	assert_non_null(strstr(before, " trace "));
	assert_int_equal(ust_emu_configure(f->emu, "pipe 3 config bw 4Mbit/s\npipe 1 config bw slow\n",
				 msg, sizeof(msg), 0), -EINVAL);
	assert_non_null(strstr(msg, "line 2:"));
	show_config(f->emu, after, sizeof(after));
	assert_string_equal(before, after);
	assert_int_equal(ust_emu_configure(f->emu, "pipe 3 config bw 5Mbit/s\n", msg, sizeof(msg), 0), 0);
	/* a file the text names is read once: both lines get the data the rehearsal checked */
	char prof2[160];
	snprintf(prof2, sizeof(prof2), "%s/profile2", dir);
	fp = fopen(prof2, "w");
	fprintf(fp, "name j\nsamples 10\nprob delay\n0.0 1\n1.0 2\n");
	fclose(fp);
	char text[512];
	snprintf(text, sizeof(text), "pipe 6 config profile %s\npipe 7 config jitter-table %s\n", prof2, prof2);
	assert_int_equal(ust_emu_configure(f->emu, text, msg, sizeof(msg), 0), 0);
	assert_ptr_equal(ust__emu_pipe_find(f->emu, 6)->link.profile,
			 ust__emu_pipe_find(f->emu, 7)->link.jitter_table);
	unlink(prof2);
	/* a text naming a missing file is refused whole */
	show_config(f->emu, before, sizeof(before));
	snprintf(text, sizeof(text), "pipe 8 config bw 1Mbit/s\npipe 9 config profile %s\n", prof2);
	assert_int_equal(ust_emu_configure(f->emu, text, msg, sizeof(msg), 0), -EINVAL);
	assert_non_null(strstr(msg, "line 2:"));
	show_config(f->emu, after, sizeof(after));
	assert_string_equal(before, after);

	/* a bad profile names its line and word */
	fp = fopen(prof, "w");
	fprintf(fp, "name x\nsamples 10\nprob delay\n0.5 banana\n");
	fclose(fp);
	char line[256];
	snprintf(line, sizeof(line), "pipe 5 config profile %s", prof);
	refused(f->emu, line, "banana");
	fp = fopen(trace, "w");
	fprintf(fp, "5\n3\n");
	fclose(fp);
	snprintf(line, sizeof(line), "pipe 5 config trace %s", trace);
	refused(f->emu, line, "back in time");
	unlink(prof);
	unlink(trace);
	unlink(cfg);
	unlink(bad);
	rmdir(dir);
}

/* Every configuration line shown in docs/EMU.md is accepted (lines naming files excepted). */
static void test_emu_config_docs_examples(void **state)
{
	struct fixture *f = *state;
	const char *src = getenv("USTACK_SOURCE");
	char path[512];
	snprintf(path, sizeof(path), "%s/docs/EMU.md", src ? src : ".");
	FILE *fp = fopen(path, "r");
	if (!fp) {
		print_message("skipped: %s not found\n", path);
		return;
	}
	char line[1024];
	bool in_code = false;
	int applied = 0;
	while (fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "```", 3) == 0) {
			in_code = !in_code;
			continue;
		}
		if (!in_code || strstr(line, "trace ") || strstr(line, "profile ") ||
		    strstr(line, "ustack-emu") || strstr(line, "EOF") || strstr(line, ".prof") ||
		    strchr(line, 0x27) /* quoted: an error message */ ||
		    strchr(line, 0x5b) /* [optional]: a synopsis */)
			continue;
		const char *w = line;
		if (strncmp(w, "ipfw ", 5) == 0)
			w += 5;
		if (strncmp(w, "pipe ", 5) && strncmp(w, "queue ", 6) && strncmp(w, "sched ", 6) &&
		    strncmp(w, "add ", 4))
			continue;
		accepted(f->emu, line);
		applied++;
	}
	fclose(fp);
	print_message("%d configuration lines from docs/EMU.md accepted\n", applied);
	assert_true(applied >= 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_emu_config_documented_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emu_config_refuses_naming_word, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emu_config_show_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emu_config_queue_then_option, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emu_config_quantum_kept_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emu_config_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emu_config_docs_examples, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
