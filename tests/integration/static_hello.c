/*
 * static_hello.c - a statically linked program, which utcp-run must
 * refuse (utcp_run.sh): it prints a line that the test must not see.
 */
#include <stdio.h>

int main(void)
{
	puts("static_hello ran");
	return 0;
}
