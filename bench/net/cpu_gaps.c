/*
 * cpu-gaps: does this CPU belong to us? Spins for SECONDS (default 6) reading the clock and
 * prints every gap over 0.5 ms between two reads: time the thread did not run although it
 * never slept (an interrupt storm, a kernel thread, or the host descheduling the virtual CPU:
 * compare with the steal column of /proc/stat). Run it pinned where a responder would run:
 *
 *   taskset -c 1 cpu-gaps [SECONDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define GAP_S 0.0005

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 6.0;
	double start = now_s(), last = start, worst = 0;
	int gaps = 0;

	if (seconds <= 0 || seconds > 3600) {
		fprintf(stderr, "cpu-gaps: '%s' is not a duration in seconds (0..3600]\n", argv[1]);
		return 2;
	}
	for (;;) {
		double t = now_s();
		if (t - start >= seconds)
			break;
		if (t - last > GAP_S) {
			printf("%.3f s: gap of %.2f ms\n", t - start, (t - last) * 1e3);
			gaps++;
		}
		if (t - last > worst)
			worst = t - last;
		last = t;
	}
	printf("%d gaps over %.1f ms in %.0f s, the longest %.2f ms\n", gaps, GAP_S * 1e3, seconds, worst * 1e3);
	return 0;
}
