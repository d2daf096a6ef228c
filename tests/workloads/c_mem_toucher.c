/* c_mem_toucher.c: the process of the "memory pressure" known workload
 * (SCENARIOS.md): maps MIB mebibytes of anonymous memory and writes one
 * word in every page, over and over, for SECONDS. In a memory cgroup whose
 * limit is half of MIB, each pass makes the cgroup reclaim (swap out) and
 * the next pass fault the pages back in from swap. Each page gets its own
 * values, so zram cannot store it as a same-filled page. It prints a line
 * after each pass (the first one fills the memory; later ones swap in);
 * at the end, its passes and its own major and minor fault counts
 * (getrusage), for the test to compare with what friday measured.
 * Usage: c_mem_toucher MIB [SECONDS] */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 512, page = sysconf(_SC_PAGESIZE);
	double seconds = argc > 2 ? atof(argv[2]) : 10, deadline_s;
	size_t bytes = mib << 20, nr_pages = bytes / page;
	unsigned long passes = 0;
	struct rusage ru;
	char *mem;

	if (!mib) {
		fprintf(stderr, "usage: %s MIB [SECONDS]\n", argv[0]);
		return 2;
	}
	mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	deadline_s = now_s() + seconds;
	while (now_s() < deadline_s) {
		for (size_t i = 0; i < nr_pages; i++) {
			unsigned long *w = (unsigned long *)(mem + i * page);

			/* A few words per page, different in every page and pass. */
			w[0] = i * 2654435761ul + passes;
			w[page / sizeof(*w) / 2] = ~w[0];
		}
		passes++;
		printf("pass %lu\n", passes);
		fflush(stdout);
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("passes %lu majflt %ld minflt %ld\n", passes, ru.ru_majflt, ru.ru_minflt);
	munmap(mem, bytes);
	return 0;
}
