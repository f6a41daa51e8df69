#define _GNU_SOURCE
/*
 * httpecho: the benchmark image's HTTP server. Answers every request on a
 * connection with "200 OK" and the container's hostname, keeping the
 * connection open (HTTP/1.1) unless the request says "Connection: close".
 * One process, poll(), up to 4096 connections: fast enough that a proxy in
 * front of it, not the server, is what a benchmark measures.
 *   httpecho [PORT]   (default 80)
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXC 4096
#define BUF 8192

static struct pollfd fds[MAXC + 1];
static char *bufs[MAXC + 1];
static int lens[MAXC + 1];

static void drop(int i) {
    close(fds[i].fd);
    fds[i].fd = -1;
    lens[i] = 0;
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 80;
    char host[256] = "unknown", keep[512], closing[512];
    gethostname(host, sizeof host - 1);
    int kl = snprintf(keep, sizeof keep, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s\n",
                      strlen(host) + 1, host);
    int cl = snprintf(closing, sizeof closing,
                      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n%s\n",
                      strlen(host) + 1, host);
    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    a.sin_port = htons((unsigned short) port);
    if (bind(ls, (struct sockaddr *) &a, sizeof a) < 0 || listen(ls, 1024) < 0) { perror("listen"); return 1; }
    fcntl(ls, F_SETFL, O_NONBLOCK);
    printf("httpecho listening on %d as %s\n", port, host);
    fflush(stdout);
    for (int i = 1; i <= MAXC; i++) { fds[i].fd = -1; bufs[i] = malloc(BUF); }
    fds[0].fd = ls;
    fds[0].events = POLLIN;
    for (;;) {
        if (poll(fds, MAXC + 1, -1) < 0) { if (errno == EINTR) continue; perror("poll"); return 1; }
        if (fds[0].revents & POLLIN) {
            int c;
            while ((c = accept(ls, NULL, NULL)) >= 0) {
                int i = 1;
                while (i <= MAXC && fds[i].fd >= 0) i++;
                if (i > MAXC) { close(c); continue; }
                setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                fds[i].fd = c;
                fds[i].events = POLLIN;
                lens[i] = 0;
            }
        }
        for (int i = 1; i <= MAXC; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = read(fds[i].fd, bufs[i] + lens[i], BUF - 1 - lens[i]);
            if (n <= 0) { drop(i); continue; }
            lens[i] += (int) n;
            bufs[i][lens[i]] = 0;
            char *end;
            int closed = 0;
            while (!closed && (end = strstr(bufs[i], "\r\n\r\n")) != NULL) {
                *end = 0;
                int close_it = strcasestr(bufs[i], "connection: close") != NULL || strstr(bufs[i], "HTTP/1.0") != NULL;
                const char *r = close_it ? closing : keep;
                int rl = close_it ? cl : kl;
                if (write(fds[i].fd, r, (size_t) rl) != rl || close_it) { drop(i); closed = 1; break; }
                int used = (int) (end + 4 - bufs[i]);
                memmove(bufs[i], end + 4, (size_t) (lens[i] - used + 1));
                lens[i] -= used;
            }
            if (!closed && lens[i] >= BUF - 1) drop(i); /* a request that big is not ours */
        }
    }
}
