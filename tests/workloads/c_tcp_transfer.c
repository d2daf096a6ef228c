/* c_tcp_transfer.c: a known TCP workload for the network tests.
 *   c_tcp_transfer server PORT NCONN     accept NCONN connections, read each to EOF
 *   c_tcp_transfer client ADDR PORT NCONN BYTES [PAUSE_MS]
 *                                        NCONN connections one after another, each
 *                                        sending BYTES and closing, PAUSE_MS apart;
 *                                        NCONN 0: until killed
 *   c_tcp_transfer trickle ADDR PORT BYTES PAUSE_MS
 *                                        one connection that writes BYTES every
 *                                        PAUSE_MS until killed (a long-lived flow)
 *   c_tcp_transfer refused ADDR PORT     one connect to a closed port: exits 0 when
 *                                        refused (a reset came back)
 * Prints what it did ("connections N bytes B") so a test compares it with
 * what friday counted. IPv4 only. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int die(const char *what)
{
	fprintf(stderr, "c_tcp_transfer: %s: %s\n", what, strerror(errno));
	return 1;
}

static int addr_of(const char *ip, const char *port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((unsigned short)atoi(port));
	return inet_pton(AF_INET, ip, &sa->sin_addr) == 1 ? 0 : -1;
}

static int server(const char *port, long nconn)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(atoi(port)) };
	int one = 1, ls = socket(AF_INET, SOCK_STREAM, 0);
	long long total = 0;
	char buf[65536];

	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 128))
		return die("bind/listen");
	for (long i = 0; i < nconn; i++) {
		int c = accept(ls, NULL, NULL);
		ssize_t n;

		if (c < 0)
			return die("accept");
		while ((n = read(c, buf, sizeof(buf))) > 0)
			total += n;
		close(c);
	}
	printf("accepted %ld bytes %lld\n", nconn, total);
	return 0;
}

static int send_all(int fd, long bytes)
{
	static char buf[65536];

	while (bytes > 0) {
		ssize_t n = write(fd, buf, bytes < (long)sizeof(buf) ? bytes : (long)sizeof(buf));

		if (n < 0)
			return -1;
		bytes -= n;
	}
	return 0;
}

static int client(const char *ip, const char *port, long nconn, long bytes, long pause_ms)
{
	struct timespec pause = { pause_ms / 1000, pause_ms % 1000 * 1000000 };
	struct sockaddr_in sa;
	long done = 0;

	if (addr_of(ip, port, &sa))
		return die("address");
	for (; nconn == 0 || done < nconn; done++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) || send_all(fd, bytes))
			return die("connect/write");
		close(fd);
		if (pause_ms > 0)
			nanosleep(&pause, NULL);
	}
	printf("connections %ld bytes %ld\n", done, done * bytes);
	return 0;
}

static int trickle(const char *ip, const char *port, long bytes, long pause_ms)
{
	struct timespec pause = { pause_ms / 1000, pause_ms % 1000 * 1000000 };
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (addr_of(ip, port, &sa))
		return die("address");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return die("connect");
	for (;;) {
		if (send_all(fd, bytes))
			return die("write");
		nanosleep(&pause, NULL);
	}
}

static int refused(const char *ip, const char *port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (addr_of(ip, port, &sa))
		return die("address");
	if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "c_tcp_transfer: port %s is open\n", port);
		return 1;
	}
	if (errno != ECONNREFUSED)
		return die("connect");
	printf("refused 1\n");
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && !strcmp(argv[1], "server"))
		return server(argv[2], atol(argv[3]));
	if ((argc == 6 || argc == 7) && !strcmp(argv[1], "client"))
		return client(argv[2], argv[3], atol(argv[4]), atol(argv[5]),
			      argc == 7 ? atol(argv[6]) : 0);
	if (argc == 6 && !strcmp(argv[1], "trickle"))
		return trickle(argv[2], argv[3], atol(argv[4]), atol(argv[5]));
	if (argc == 4 && !strcmp(argv[1], "refused"))
		return refused(argv[2], argv[3]);
	fprintf(stderr, "usage: c_tcp_transfer server PORT NCONN | client ADDR PORT NCONN BYTES [PAUSE_MS] | "
		"trickle ADDR PORT BYTES PAUSE_MS | refused ADDR PORT\n");
	return 2;
}
