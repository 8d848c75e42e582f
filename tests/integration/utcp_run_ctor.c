/*
 * utcp_run_ctor.c - a program linked with utcp_run_ctor_lib.c, whose
 * constructor calls socket(), getsockopt(), close() and write() before
 * main (utcp_run_tcp.sh).
 */
#include <stdio.h>

void utcp_run_ctor_mark(void);

int main(void)
{
	utcp_run_ctor_mark();
	printf("main\n");
	return 0;
}
