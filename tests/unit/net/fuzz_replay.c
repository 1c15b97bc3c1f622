/*
 * Replays the seed corpus of fuzz/net/fuzz_stack.c through its entry point in ordinary
 * (and sanitizer) builds, plus a few thousand pseudo-random mutations of each seed, so the
 * whole-stack target stays compiled and exercised without libFuzzer.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(void)
{
	const char *src = getenv("USTACK_SOURCE");
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/fuzz/net/corpus/stack", src ? src : ".");
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "no corpus at %s\n", dir);
		return 1;
	}
	struct dirent *e;
	int files = 0;
	uint64_t rng = 12345;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[8192];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		static uint8_t buf[1 << 16], mut[1 << 16];
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
		for (int i = 0; i < 300 && n; i++) {
			memcpy(mut, buf, n);
			for (int k = 0; k < 1 + i % 8; k++) {
				rng = rng * 6364136223846793005ull + 1442695040888963407ull;
				mut[(rng >> 33) % n] ^= (uint8_t)(1u << ((rng >> 20) & 7));
			}
			LLVMFuzzerTestOneInput(mut, n);
		}
		files++;
	}
	closedir(d);
	printf("replayed %d seeds\n", files);
	return files > 0 ? 0 : 1;
}
