/*
 * utcp_run_ctor_lib.c - a library whose constructor uses sockets and
 * writes, as some libraries' do: under utcp-run it may run before the
 * preload library's own constructor (utcp_run_tcp.sh, with
 * utcp_run_ctor.c).
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void utcp_run_ctor_mark(void);

__attribute__((constructor)) static void early(void)
{
	char line[64];
	int s = socket(AF_INET, SOCK_STREAM, 0);
	int type = 0;
	socklen_t len = sizeof(type);

	if (s < 0 || getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
		type = -1;
	if (s >= 0)
		close(s);
	snprintf(line, sizeof(line), "constructor: socket type %d\n", type);
	if (write(1, line, strlen(line)) < 0)
		_exit(1);
}

void utcp_run_ctor_mark(void)
{
}
