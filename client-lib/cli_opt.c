/*
 * cli_opt.c - naming the option a command line got wrong (the theory
 * is in cli_opt.h)
 */
#include "cli_opt.h"

#include <getopt.h>
#include <string.h>

const char *refused_option(const char *shorts, char **argv, char buf[3])
{
	if (optopt > 0 && optopt < 0x7f && !strchr(shorts, optopt)) {
		buf[0] = '-';
		buf[1] = (char)optopt;
		buf[2] = '\0';
		return buf;
	}
	return argv[optind - 1];
}
