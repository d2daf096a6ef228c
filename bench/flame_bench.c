/* flame_bench.c: the driver bench/flame_render.sh times. Two modes:
 *
 *   flame_bench profile N OUTDIR   symbolize and write a profile of N
 *       distinct user stacks the way a collector's harvest does: real
 *       addresses in this process's own text (its DWARF-rich copy of
 *       libfriday and libc), each frame named by lib/symbolize.c (ELF
 *       symbols, DWARF inline chains), folded with lib/stackfold.c, then
 *       written as folded text, SVG and gzipped pprof. Prints the phases'
 *       times in ms and writes OUTDIR/profile.folded.
 *   flame_bench render FOLDED OUT.svg   renders a folded file as the
 *       archive's SVG flame graph and prints the time in ms.
 *
 * Addresses are drawn by a fixed-seed generator, so every run builds the
 * same stacks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "lib/stackfold.h"
#include "lib/strbuf.h"
#include "lib/symbolize.h"
#include "lib/util.h"
#include "reports/flamegraph.h"

#define NR_POOL 4096       /* distinct frame addresses the stacks draw from */
#define MAX_DEPTH 24
#define FAN_OUT 5

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* This process's CPU time (user + system) in ms: on a loaded machine it
 * is the figure that repeats, where wall time counts the waits. */
static double cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Fills pool with addresses spread over this process's executable
 * mappings; the count, or -errno. */
static int address_pool(uint64_t *pool, int nr)
{
	uint64_t lo[64], hi[64], span = 0;
	char line[512], perms[8];
	int nr_maps = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return -errno;
	while (nr_maps < 64 && fgets(line, sizeof(line), f)) {
		unsigned long a, b;

		if (sscanf(line, "%lx-%lx %7s", &a, &b, perms) == 3 && perms[2] == 'x' &&
		    strchr(line, '/')) {
			lo[nr_maps] = a;
			hi[nr_maps++] = b;
			span += b - a;
		}
	}
	fclose(f);
	if (!nr_maps)
		return -ENOENT;
	for (int i = 0; i < nr; i++) {
		uint64_t off = rng() % span;
		int m = 0;

		while (off >= hi[m] - lo[m]) {
			off -= hi[m] - lo[m];
			m++;
		}
		pool[i] = lo[m] + off;
	}
	return nr;
}

/* Writes DIR/NAME, or NAME alone when dir is NULL. */
static int write_out(const char *dir, const char *name, const char *data, size_t len)
{
	char path[4096];
	FILE *f;
	size_t done;

	snprintf(path, sizeof(path), "%s%s%s", dir ? dir : "", dir ? "/" : "", name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	done = fwrite(data, 1, len, f);
	return fclose(f) || done != len ? -EIO : 0;
}

static int bench_profile(long nr_stacks, const char *dir)
{
	static uint64_t pool[NR_POOL];
	struct symbolizer *sym = symbolizer_new();
	struct fold_table t = { 0 };
	struct strbuf sb = { 0 };
	struct flame_opts fo = { .title = "bench", .unit = "samples" };
	struct pprof_opts po = { .sample_type = "samples", .sample_unit = "count" };
	double t0, t_sym, t_fold, t_svg, t_pprof, cpu0;
	char *folded, *svg, *pprof;
	size_t folded_len, svg_len, pprof_len;
	pid_t self = getpid();
	int err;

	if (!sym || address_pool(pool, NR_POOL) < 0 || symbolizer_snapshot(sym, self, false))
		return -EINVAL;
	cpu0 = cpu_ms();
	t0 = now_ms();
	/* Stacks are walks down a random call tree (fan-out FAN_OUT at each
	 * level), so they share prefixes as a real profile's do; walks are
	 * drawn until nr_stacks of them are distinct. */
	for (long drawn = 0; (long)t.nr_stacks < nr_stacks && drawn < 4 * nr_stacks; drawn++) {
		int depth = 8 + (int)(rng() % (MAX_DEPTH - 8));
		uint64_t path = 1;

		sb.len = 0;
		fold_append_frame(&sb, "flame_bench", true);
		for (int d = 0; d < depth; d++) {
			path = path * 31 + 1 + rng() % FAN_OUT;
			fold_append_frame(&sb, symbolize_user(sym, self, pool[path % NR_POOL], d > 0),
					  false);
		}
		if (fold_add(&t, sb.buf, sb.len, 1 + rng() % 100))
			return -ENOMEM;
	}
	t_sym = now_ms();
	folded = fold_render(&t, &folded_len);
	t_fold = now_ms();
	svg = flamegraph_svg(folded, folded_len, &fo, &svg_len);
	t_svg = now_ms();
	err = pprof_encode_gz(folded, folded_len, &po, &pprof, &pprof_len);
	t_pprof = now_ms();
	if (!folded || !svg || err)
		return -ENOMEM;
	err = write_out(dir, "profile.folded", folded, folded_len) ?:
	      write_out(dir, "profile.svg", svg, svg_len) ?:
	      write_out(dir, "profile.pb.gz", pprof, pprof_len);
	printf("stacks %zu distinct; symbolize+fold %.0f ms, render folded %.0f ms, "
	       "svg %.0f ms, pprof %.0f ms, total %.0f ms, cpu %.0f ms; folded %zu KiB, svg %zu KiB, "
	       "pprof %zu KiB\n", t.nr_stacks, t_sym - t0, t_fold - t_sym,
	       t_svg - t_fold, t_pprof - t_svg, t_pprof - t0, cpu_ms() - cpu0, folded_len >> 10, svg_len >> 10,
	       pprof_len >> 10);
	free(folded);
	free(svg);
	free(pprof);
	sb_free(&sb);
	fold_free(&t);
	symbolizer_free(sym);
	return err;
}

static int bench_render(const char *in, const char *out)
{
	struct flame_opts fo = { .title = "bench", .unit = "samples" };
	size_t len, svg_len;
	char *folded = read_file_alloc(in, &len), *svg;
	double t0;
	int err;

	if (!folded)
		return -errno;
	t0 = now_ms();
	svg = flamegraph_svg(folded, len, &fo, &svg_len);
	if (!svg)
		return -ENOMEM;
	err = write_out(NULL, out, svg, svg_len);
	printf("%.1f\n", now_ms() - t0);
	free(svg);
	free(folded);
	return err;
}

int main(int argc, char **argv)
{
	int err;

	if (argc == 4 && !strcmp(argv[1], "profile"))
		err = bench_profile(atol(argv[2]), argv[3]);
	else if (argc == 4 && !strcmp(argv[1], "render"))
		err = bench_render(argv[2], argv[3]);
	else {
		fprintf(stderr, "usage: flame_bench profile N OUTDIR | render FOLDED OUT.svg\n");
		return 2;
	}
	if (err)
		fprintf(stderr, "flame_bench: %s\n", strerror(-err));
	return err ? 1 : 0;
}
