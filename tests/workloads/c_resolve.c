/* c_resolve.c: the client of the dnslat test: looks NAME up N times with
 * getaddrinfo (IPv4) and then once with gethostbyname, and prints each
 * call's own latency as "FUNCTION MS RESULT" (RESULT: the first address,
 * or "failed"), timed on CLOCK_MONOTONIC around the call.
 * Usage: c_resolve NAME [N] */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *res;
	int n = argc > 2 ? atoi(argv[2]) : 1, failed = 0;
	char addr[INET_ADDRSTRLEN];
	struct hostent *he;
	double t;

	if (argc < 2)
		return 2;
	for (int i = 0; i < n; i++) {
		int rc;

		t = now_ms();
		rc = getaddrinfo(argv[1], NULL, &hints, &res);
		t = now_ms() - t;
		if (rc == 0) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, addr,
				  sizeof(addr));
			freeaddrinfo(res);
		} else {
			snprintf(addr, sizeof(addr), "failed");
			failed++;
		}
		printf("getaddrinfo %.1f %s\n", t, addr);
	}
	t = now_ms();
	he = gethostbyname(argv[1]);
	t = now_ms() - t;
	if (he && he->h_addr_list[0])
		inet_ntop(AF_INET, he->h_addr_list[0], addr, sizeof(addr));
	else
		snprintf(addr, sizeof(addr), "failed");
	failed += !he;
	printf("gethostbyname %.1f %s\n", t, addr);
	return failed != 0;
}
