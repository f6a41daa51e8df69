/*
 * udpecho: the test image's UDP service. Answers each datagram with
 * "<hostname> <datagram>" to the address it came from, so a client can tell
 * which container (which backend of the routing mesh) answered.
 *   udpecho [PORT]   (default 5353)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 5353;
    char host[256] = "unknown";
    gethostname(host, sizeof host - 1);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) { perror("socket"); return 1; }
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    addr.sin_port = htons((unsigned short) port);
    if (bind(fd, (struct sockaddr *) &addr, sizeof addr) < 0) { perror("bind"); return 1; }
    printf("udpecho listening on %d as %s\n", port, host);
    fflush(stdout);
    char in[2048], out[2400];
    for (;;) {
        struct sockaddr_in peer;
        socklen_t len = sizeof peer;
        ssize_t n = recvfrom(fd, in, sizeof in, 0, (struct sockaddr *) &peer, &len);
        if (n < 0) { continue; }
        int m = snprintf(out, sizeof out, "%s %.*s", host, (int) n, in);
        if (m > (int) sizeof out) { m = sizeof out; }
        sendto(fd, out, (size_t) m, 0, (struct sockaddr *) &peer, len);
    }
}
