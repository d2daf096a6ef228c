/* c_slowdns.c: a tiny DNS server for the dnslat test: answers every
 * query on UDP 127.0.0.1:53 after a fixed delay, an A query with
 * 10.11.12.13 and any other type with no data. Each query is answered by
 * its own thread, so the parallel A and AAAA queries of one lookup are
 * both delayed by the same amount, not queued. Run it inside a network
 * namespace: port 53 of the host is not its to take.
 * Usage: c_slowdns DELAY_MS */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct query {
	int fd;
	struct sockaddr_in from;
	unsigned char buf[512];
	ssize_t len;
};

static int delay_ms;

/* The end of the question section (name, type, class), or -1. */
static ssize_t question_end(const unsigned char *b, ssize_t len)
{
	ssize_t i = 12;

	while (i < len && b[i])
		i += b[i] + 1;
	return i + 5 <= len ? i + 5 : -1;
}

static void *answer(void *arg)
{
	static const unsigned char rr[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4,
					    10, 11, 12, 13 };
	struct query *q = arg;
	struct timespec ts = { delay_ms / 1000, (delay_ms % 1000) * 1000000L };
	ssize_t end = question_end(q->buf, q->len);
	int is_a;

	nanosleep(&ts, NULL);
	if (end > 0 && end + (ssize_t)sizeof(rr) <= (ssize_t)sizeof(q->buf)) {
		is_a = q->buf[end - 4] == 0 && q->buf[end - 3] == 1;
		q->buf[2] = 0x81;            /* response, recursion desired */
		q->buf[3] = 0x80;            /* recursion available, no error */
		q->buf[6] = 0;
		q->buf[7] = is_a;            /* answers */
		memset(q->buf + 8, 0, 4);    /* no authority, no additional */
		if (is_a)
			memcpy(q->buf + end, rr, sizeof(rr));
		sendto(q->fd, q->buf, end + (is_a ? sizeof(rr) : 0), 0,
		       (struct sockaddr *)&q->from, sizeof(q->from));
	}
	free(q);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(53) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	delay_ms = argc > 1 ? atoi(argv[1]) : 300;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		perror("c_slowdns: bind 127.0.0.1:53");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		struct query *q = calloc(1, sizeof(*q));
		socklen_t alen = sizeof(q->from);
		pthread_t t;

		if (!q)
			return 1;
		q->fd = fd;
		q->len = recvfrom(fd, q->buf, sizeof(q->buf), 0, (struct sockaddr *)&q->from, &alen);
		if (q->len < 12 || pthread_create(&t, NULL, answer, q)) {
			free(q);
			continue;
		}
		pthread_detach(t);
	}
}
